"""Machine time and material for one part on one kind of machine.

FDM uses the layer model in ``catalog.printing``; laser time adds cutting length over the cut
speed, a pause per pierce and the raster time of the engraved area; CNC time adds roughing (the
removed volume over the removal rate), finishing (the surface over feed × stepover), tool changes
and set-ups; the textile cutter adds cutting length, a pause per corner and loading the roll.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from microfab.catalog.geometry import Geometry, Sheet, Solid
from microfab.catalog.printing import estimate_print
from microfab.catalog.profiles import (
    CncProfile,
    CutterProfile,
    LaserProfile,
    PrinterProfile,
    Profile,
)
from microfab.errors import InvalidInput

STOCK_ALLOWANCE_MM = 2.0
"""CNC stock is the part's bounding box plus this on every side."""


@dataclass(frozen=True)
class Estimate:
    """Minutes of machine time and the material one part takes."""

    process: str
    machine: str
    minutes: float
    material_g: float | None = None
    material_cm3: float | None = None
    """The volume of filament or stock behind ``material_g``, so that a part made of another
    material is weighed with that material's density."""
    filament_m: float | None = None
    sheet_area_m2: float | None = None
    detail: dict[str, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def estimate(geometry: Geometry, profile: Profile) -> Estimate:
    """The estimate for this geometry on a machine with this profile."""
    if isinstance(geometry, Solid) and isinstance(profile, PrinterProfile):
        printed = estimate_print(geometry, profile)
        return Estimate(
            "fdm",
            profile.name,
            round(printed.minutes, 2),
            material_g=round(printed.grams, 2),
            material_cm3=round(printed.grams / profile.filament_density, 3),
            filament_m=round(printed.filament_mm / 1000, 3),
            detail={"layers": float(printed.layers)},
        )
    if isinstance(geometry, Solid) and isinstance(profile, CncProfile):
        return milling(geometry, profile)
    if isinstance(geometry, Sheet) and isinstance(profile, LaserProfile):
        return laser(geometry, profile)
    if isinstance(geometry, Sheet) and isinstance(profile, CutterProfile):
        return knife(geometry, profile)
    kind = "a solid" if isinstance(geometry, Solid) else "cut paths"
    raise InvalidInput(f"{profile.name} cannot make {kind}")


def laser(sheet: Sheet, profile: LaserProfile) -> Estimate:
    cutting = sheet.cut_length_mm / profile.cut_speed
    piercing = sheet.pierces * profile.pierce_seconds
    engraving = _raster_seconds(sheet, profile)
    travel = sheet.pierces * math.hypot(*sheet.size_mm) / 3 / profile.travel_speed
    seconds = cutting + piercing + engraving + travel
    width, height = sheet.size_mm
    return Estimate(
        "laser_cut",
        profile.name,
        round(seconds / 60, 2),
        sheet_area_m2=round(width * height / 1e6, 4),
        detail={
            "cut_length_mm": round(sheet.cut_length_mm, 1),
            "pierces": float(sheet.pierces),
            "engrave_area_mm2": round(sheet.engrave_area_mm2, 1),
            "engrave_seconds": round(engraving, 1),
        },
    )


def _raster_seconds(sheet: Sheet, profile: LaserProfile) -> float:
    """Raster engraving sweeps the engraved area's bounding box line by line."""
    if sheet.engrave.is_empty():
        return 0.0
    lo_x, lo_y, hi_x, hi_y = sheet.engrave.bounds()
    lines = (hi_y - lo_y) / profile.engrave_line_interval
    return float(lines * (hi_x - lo_x) * (1 + profile.engrave_overtravel) / profile.engrave_speed)


def milling(solid: Solid, profile: CncProfile) -> Estimate:
    """Roughing from stock, finishing every surface, tool changes and set-ups."""
    x, y, z = (s + 2 * STOCK_ALLOWANCE_MM for s in solid.size_mm)
    stock = x * y * z
    removed = max(stock - solid.volume_mm3, 0.0)
    roughing = removed / profile.removal_rate_mm3_min * 60
    surface = float(solid.mesh.area)
    finishing = surface / (profile.finish_feed_mm_min / 60 * profile.finish_stepover)
    fixed = profile.setups * profile.setup_seconds + 3 * profile.tool_change_seconds
    seconds = roughing + finishing + fixed
    return Estimate(
        "cnc_mill",
        profile.name,
        round(seconds / 60, 2),
        material_g=round(stock / 1000 * profile.stock_density_g_cm3, 1),
        material_cm3=round(stock / 1000, 2),
        detail={
            "removed_mm3": round(removed, 0),
            "roughing_seconds": round(roughing, 1),
            "finishing_seconds": round(finishing, 1),
        },
    )


def knife(sheet: Sheet, profile: CutterProfile) -> Estimate:
    corners = sum(_corners(p) for p in sheet.cut)
    seconds = (
        sheet.cut_length_mm / profile.cut_speed
        + corners * profile.corner_seconds
        + profile.load_seconds
    )
    width, height = sheet.size_mm
    return Estimate(
        "textile_cut",
        profile.name,
        round(seconds / 60, 2),
        sheet_area_m2=round(width * min(height, profile.roll_width_mm) / 1e6, 4),
        detail={"cut_length_mm": round(sheet.cut_length_mm, 1), "corners": float(corners)},
    )


def _corners(path: np.ndarray) -> int:
    """Vertices where the knife turns by more than 30° (it lifts and swivels there)."""
    steps = np.roll(path, -1, axis=0) - path
    steps = steps / np.maximum(np.linalg.norm(steps, axis=1, keepdims=True), 1e-9)
    cosines = (steps * np.roll(steps, 1, axis=0)).sum(axis=1)
    return int((cosines < math.cos(math.radians(30))).sum())
