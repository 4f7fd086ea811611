"""Machine profiles for estimates and printability checks, one per kind of machine.

A printer profile holds the figures a slicer uses (line widths, speeds, accelerations, jerk,
cooling slowdown); ``PrinterProfile.from_ini`` reads them from a PrusaSlicer ini so microfab and
PrusaSlicer estimate from the same numbers. The defaults are Prusa's "0.20mm QUALITY @MK3" print,
"Prusament PLA" filament and "Original Prusa i3 MK3S" printer presets (PrusaSlicer 2.5).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from microfab.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class PrinterProfile:
    """An FDM printer with its filament and print settings (mm, mm/s, mm/s², s)."""

    name: str = "Prusa MK3S, 0.2 mm, PLA"
    bed_mm: tuple[float, float, float] = (250.0, 210.0, 210.0)
    nozzle_diameter: float = 0.4
    layer_height: float = 0.2
    first_layer_height: float = 0.2
    extrusion_width: float = 0.45
    first_layer_extrusion_width: float = 0.42
    external_perimeter_extrusion_width: float = 0.45
    top_infill_extrusion_width: float = 0.4
    perimeters: int = 2
    top_solid_layers: int = 6
    bottom_solid_layers: int = 4
    fill_density: float = 0.15
    perimeter_speed: float = 45.0
    external_perimeter_speed: float = 25.0
    small_perimeter_speed: float = 25.0
    infill_speed: float = 80.0
    solid_infill_speed: float = 80.0
    top_solid_infill_speed: float = 40.0
    first_layer_speed: float = 20.0
    bridge_speed: float = 25.0
    bridge_flow_ratio: float = 0.95
    support_material_speed: float = 50.0
    """PrusaSlicer prints the skirt at this speed."""
    travel_speed: float = 180.0
    travel_speed_z: float = 12.0
    perimeter_acceleration: float = 800.0
    infill_acceleration: float = 1000.0
    default_acceleration: float = 1000.0
    first_layer_acceleration: float = 800.0
    bridge_acceleration: float = 1000.0
    max_acceleration: float = 1250.0
    max_acceleration_retracting: float = 1250.0
    max_acceleration_z: float = 200.0
    jerk: float = 8.0
    max_jerk_z: float = 0.4
    max_jerk_e: float = 4.5
    retract_length: float = 0.8
    retract_speed: float = 35.0
    retract_lift: float = 0.4
    wipe: bool = True
    """Wipe the nozzle along the last path while retracting."""
    slowdown_below_layer_time: float = 15.0
    min_print_speed: float = 15.0
    filament_diameter: float = 1.75
    filament_density: float = 1.24
    skirts: int = 1
    skirt_height: int = 3
    skirt_distance: float = 2.0
    min_skirt_length: float = 4.0
    """Filament (mm) the skirt loops hold at least: PrusaSlicer adds loops until they do."""

    @classmethod
    def from_ini(cls, path: Path) -> PrinterProfile:
        """The profile in a flattened PrusaSlicer ini (``key = value`` lines)."""
        try:
            lines = path.read_text("utf-8").splitlines()
        except OSError as exc:
            raise InvalidInput(
                f"{path}: cannot read the printer profile ({exc.strerror})"
            ) from None
        raw = {
            k.strip(): v.strip()
            for k, _, v in (line.partition("=") for line in lines if "=" in line)
            if not k.strip().startswith("#")
        }
        values: dict[str, object] = {"name": path.stem}
        for field in dataclasses.fields(cls):
            if field.name in raw:
                values[field.name] = _value(field.name, field.type, raw[field.name], path)
        if "bed_shape" in raw and "max_print_height" in raw:
            corner = raw["bed_shape"].split(",")[2].split("x")
            values["bed_mm"] = (float(corner[0]), float(corner[1]), float(raw["max_print_height"]))
        for key, name in MACHINE_LIMITS.items():
            if key in raw:
                values[name] = _first(raw[key])
        return dataclasses.replace(cls(), **values)  # type: ignore[arg-type]

    @property
    def filament_area(self) -> float:
        return 3.141592653589793 * (self.filament_diameter / 2) ** 2


def _first(text: str) -> float:
    return float(text.split(",")[0].rstrip("%"))


MACHINE_LIMITS = {
    "machine_max_acceleration_extruding": "max_acceleration",
    "machine_max_acceleration_retracting": "max_acceleration_retracting",
    "machine_max_acceleration_z": "max_acceleration_z",
    "machine_max_jerk_x": "jerk",
    "machine_max_jerk_z": "max_jerk_z",
    "machine_max_jerk_e": "max_jerk_e",
}
"""The printer's limits in normal mode (the first of each pair; the second is stealth mode)."""

SHARES = frozenset({"fill_density"})
"""Fields whose percentage is a share (``15%`` → 0.15). Elsewhere PrusaSlicer's percentages are
relative to another setting (``external_perimeter_speed = 50%`` of the perimeter speed)."""


def _value(name: str, kind: object, text: str, path: Path) -> object:
    """An ini value as the field's type: ``15%`` → 0.15, ``0.45,0.45`` → 0.45."""
    if kind in (int, "int"):
        return int(_first(text))
    if kind in (bool, "bool"):
        return _first(text) != 0
    if text.endswith("%"):
        if name not in SHARES:
            raise InvalidInput(
                f"{path}: {name} = {text} is relative to another setting, which microfab does "
                "not follow; write the value itself (mm/s or mm)"
            )
        return float(text.rstrip("%")) / 100
    return _first(text) if kind in (float, "float") else text


@dataclass(frozen=True)
class LaserProfile:
    """A CO2 laser cutter (defaults: a 60 W machine on 3 mm plywood)."""

    name: str = "60 W CO2 laser, 3 mm plywood"
    bed_mm: tuple[float, float] = (1000.0, 610.0)
    cut_speed: float = 20.0
    pierce_seconds: float = 0.5
    engrave_speed: float = 400.0
    engrave_line_interval: float = 0.1
    engrave_overtravel: float = 0.15
    """Extra scan time for the head to turn at each line end, as a share of the line."""
    travel_speed: float = 500.0
    kerf: float = 0.2
    min_bridge: float = 3.0
    """Narrowest strip of sheet that survives cutting on both sides (about the thickness)."""


@dataclass(frozen=True)
class CncProfile:
    """A small mill (defaults: Tormach 440-class, aluminium, 6 mm roughing end mill)."""

    name: str = "Tormach 440, aluminium"
    bed_mm: tuple[float, float, float] = (254.0, 158.0, 254.0)
    removal_rate_mm3_min: float = 6000.0
    """Roughing: 6 mm end mill, 3 mm deep, 1 mm wide, ~2000 mm/min feed in aluminium."""
    finish_feed_mm_min: float = 800.0
    finish_stepover: float = 0.3
    smallest_tool: float = 1.0
    tool_change_seconds: float = 30.0
    setups: int = 2
    setup_seconds: float = 300.0
    stock_density_g_cm3: float = 2.7
    """The stock this profile cuts: aluminium 6061. A brass profile needs 8.5, POM 1.4 (and
    its own removal rate)."""


@dataclass(frozen=True)
class CutterProfile:
    """A digital knife cutter for textiles, on a roll of fabric."""

    name: str = "knife cutter, 1500 mm roll"
    roll_width_mm: float = 1500.0
    cut_speed: float = 150.0
    corner_seconds: float = 0.15
    load_seconds: float = 60.0


Profile = PrinterProfile | LaserProfile | CncProfile | CutterProfile

PROFILES: dict[str, Profile] = {
    "fdm": PrinterProfile(),
    "laser_cut": LaserProfile(),
    "cnc_mill": CncProfile(),
    "textile_cut": CutterProfile(),
}


def profile_for(process: str) -> Profile:
    """The default profile of a process, or ``NotFound`` naming the processes there are."""
    if process not in PROFILES:
        raise NotFound(
            f"no machine profile for {process!r}; there are: {', '.join(sorted(PROFILES))}"
        )
    return PROFILES[process]
