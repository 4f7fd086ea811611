"""Design-for-manufacturing checks, each failure a sentence a customer understands.

Solids: one closed shell, fits the machine (turned on the bed if that helps), no walls or
features thinner than the nozzle or tool can make, overhangs that need support (a note, not a
failure). Sheets: closed cut paths, fits the bed or the roll, no strip of material narrower than
survives cutting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from manifold3d import CrossSection, FillRule, JoinType

from microfab.catalog.geometry import Geometry, Sheet, Solid, signed_area
from microfab.catalog.model import fits
from microfab.catalog.profiles import (
    CncProfile,
    CutterProfile,
    LaserProfile,
    PrinterProfile,
    Profile,
)

OVERHANG_COSINE = -0.7071
"""Faces steeper than 45° from vertical, facing down, need support in FDM."""
SUPPORT_NOTE_MM2 = 25.0
"""Below this much overhang, bridges and the first layers carry it: no note."""
THIN_CORE = 0.25
"""What an opening removes is shrunk by this share of the smallest feature before it counts:
rounded-off sharp corners vanish (their slivers are < 0.17 × the feature thick), thin walls stay."""
THIN_AREA_MM2 = 1.0
"""Thin core area (per slice) that fails a part. Measured at 0.8 mm: the tips of 'A' and 'v' in
"Ada Lovelace" leave 0.74 mm²; the islands of engraved "Wolfgang M." 1.6 mm²; a 2 mm wall 11 mm²."""
FEATURE_SAMPLES = 12
NOZZLE_WIDTHS = 1.5
"""Narrowest printable feature in nozzle diameters: a 0.4 mm nozzle lays 0.45 mm lines, and a
slicer drops what is narrower than about one line; 1.5 keeps a margin for the seam."""


@dataclass(frozen=True)
class Finding:
    code: str
    message: str


@dataclass(frozen=True)
class DfmReport:
    """Problems stop the part from being made; notes change how it is made (e.g. support)."""

    problems: tuple[Finding, ...] = ()
    notes: tuple[Finding, ...] = ()
    support_area_mm2: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(geometry: Geometry, profile: Profile) -> DfmReport:
    """Every check that applies to this geometry on this kind of machine."""
    if isinstance(geometry, Solid):
        problems = list(_solid_problems(geometry, profile))
        support = overhang_area(geometry) if isinstance(profile, PrinterProfile) else 0.0
        notes = []
        if support > SUPPORT_NOTE_MM2:
            notes.append(
                Finding(
                    "needs-support",
                    f"{support:.0f} mm² of the part overhangs by more than 45° and will be "
                    "printed on removable supports; their marks may show",
                )
            )
        return DfmReport(tuple(problems), tuple(notes), support)
    return DfmReport(tuple(_sheet_problems(geometry, profile)))


def _solid_problems(solid: Solid, profile: Profile) -> Iterator[Finding]:
    mesh = solid.mesh
    if not (mesh.is_watertight and mesh.is_winding_consistent):
        yield Finding("not-closed", "the model has holes in its surface; it must be closed")
    shells = solid.shells
    if shells != 1:
        yield Finding(
            "several-pieces",
            f"the model is {shells} separate pieces; it must be one piece (join them)",
        )
    if isinstance(profile, PrinterProfile | CncProfile):
        fit = fits(solid.size_mm, profile.bed_mm)
        if fit is not None:
            yield Finding("too-big", f"{fit} ({profile.name})")
        smallest = (
            NOZZLE_WIDTHS * profile.nozzle_diameter
            if isinstance(profile, PrinterProfile)
            else profile.smallest_tool
        )
        yield from _thin_features(solid, smallest, profile)


def _thin_features(solid: Solid, smallest: float, profile: Profile) -> Iterator[Finding]:
    """Walls and details thinner than ``smallest``: what a morphological opening removes."""
    height = solid.size_mm[2]
    for z in np.linspace(0.1, height - 0.1, FEATURE_SAMPLES):
        section = solid.manifold.slice(float(z))
        if thin_area(section, smallest) > THIN_AREA_MM2:
            tool = "nozzle" if isinstance(profile, PrinterProfile) else "smallest tool"
            yield Finding(
                "too-thin",
                f"parts of the model about {z:.1f} mm above its base are thinner than "
                f"{smallest:g} mm, which the {tool} cannot make; make them thicker or larger",
            )
            return


def thin_area(section: CrossSection, smallest: float) -> float:
    """Area of the parts of ``section`` narrower than ``smallest`` (corners excepted), mm²."""
    if section.is_empty():
        return 0.0
    radius = smallest / 2
    opened = section.offset(-radius, JoinType.Round).offset(radius, JoinType.Round)
    lost = section - opened
    return float(lost.offset(-THIN_CORE * smallest, JoinType.Round).area())


def overhang_area(solid: Solid) -> float:
    """Area of downward faces steeper than 45° that are not on the bed, in mm²."""
    mesh = solid.mesh
    normals = mesh.face_normals
    low = mesh.triangles[:, :, 2].min(axis=1)
    down = (normals[:, 2] < OVERHANG_COSINE) & (low > 0.05)
    return float(mesh.area_faces[down].sum())


def _sheet_problems(sheet: Sheet, profile: Profile) -> Iterator[Finding]:
    for index, path in enumerate(sheet.cut):
        if len(path) < 3 or abs(signed_area(path)) < 1e-6:
            yield Finding("open-path", f"cut path {index + 1} is not a closed shape")
    if isinstance(profile, LaserProfile):
        fit = fits(sheet.size_mm, profile.bed_mm)
        if fit is not None:
            yield Finding("too-big", f"{fit} ({profile.name})")
        yield from _narrow_strips(sheet, profile.min_bridge)
    if isinstance(profile, CutterProfile) and min(sheet.size_mm) > profile.roll_width_mm:
        yield Finding(
            "too-big",
            f"the pattern is {min(sheet.size_mm):.0f} mm wide; the roll is "
            f"{profile.roll_width_mm:.0f} mm",
        )


def _narrow_strips(sheet: Sheet, narrowest: float) -> Iterator[Finding]:
    material = CrossSection([p.tolist() for p in sheet.cut], FillRule.EvenOdd)
    if thin_area(material, narrowest) > THIN_AREA_MM2:
        yield Finding(
            "too-thin",
            f"some strips of material between cuts are narrower than {narrowest:g} mm and "
            "would break or burn: move holes away from the edges",
        )
