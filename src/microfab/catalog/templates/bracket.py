"""Mounting bracket: an L of two flanges, each with a row of screw holes, printed or milled."""

from __future__ import annotations

from manifold3d import Manifold, OpType

from microfab.catalog.geometry import CIRCLE_SEGMENTS, Solid, on_bed
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.template import Kind, Template, Values, choice, number
from microfab.errors import InvalidParameter

CLEARANCE_MM = {"M3": 3.4, "M4": 4.5, "M5": 5.5, "M6": 6.6}
"""ISO 273 medium clearance holes."""
EDGE = 1.0
"""Material between a hole and an edge, in hole diameters."""

PARAMETERS = (
    Parameter(
        "flange_mm", ParameterKind.NUMBER, 40.0, "Length of each flange", "mm", 20, 100, step=0.5
    ),
    Parameter(
        "width_mm", ParameterKind.NUMBER, 30.0, "Width of the bracket", "mm", 15, 80, step=0.5
    ),
    Parameter(
        "thickness_mm",
        ParameterKind.NUMBER,
        4.0,
        "Thickness of both flanges",
        "mm",
        2,
        10,
        step=0.5,
    ),
    Parameter("holes", ParameterKind.INTEGER, 2, "Holes in a row on each flange", None, 1, 4),
    Parameter(
        "hole_spacing_mm",
        ParameterKind.NUMBER,
        16.0,
        "Centre distance between holes",
        "mm",
        8,
        60,
        step=0.5,
    ),
    Parameter(
        "screw",
        ParameterKind.CHOICE,
        "M4",
        "Screw size the holes clear",
        choices=tuple(CLEARANCE_MM),
    ),
)


def build(values: Values) -> Solid:
    flange, width = number(values, "flange_mm"), number(values, "width_mm")
    thickness, spacing = number(values, "thickness_mm"), number(values, "hole_spacing_mm")
    count, hole = int(number(values, "holes")), CLEARANCE_MM[choice(values, "screw")]
    needed = (count - 1) * spacing + (1 + 2 * EDGE) * hole
    if needed > width:
        raise InvalidParameter(
            f"{count} holes {spacing:g} mm apart need a bracket {needed:.0f} mm wide; this one "
            f"is {width:g} mm: widen it, or use fewer or closer holes"
        )
    if (1 + 2 * EDGE) * hole > flange - thickness:
        raise InvalidParameter(
            f"{choice(values, 'screw')} holes need flanges of at least "
            f"{(1 + 2 * EDGE) * hole + thickness:.0f} mm; these are {flange:g} mm"
        )
    base = Manifold.cube((flange, width, thickness))
    wall = Manifold.cube((thickness, width, flange))
    offsets = [(i - (count - 1) / 2) * spacing + width / 2 for i in range(count)]
    centre = thickness + (flange - thickness) / 2
    down = [_hole(hole, thickness).translate((centre, y, -1.0)) for y in offsets]
    across = [
        _hole(hole, thickness).rotate((0.0, 90.0, 0.0)).translate((-1.0, y, centre))
        for y in offsets
    ]
    solid = Manifold.batch_boolean([base, wall], OpType.Add)
    return Solid(on_bed(solid - Manifold.batch_boolean(down + across, OpType.Add)))


def _hole(diameter: float, thickness: float) -> Manifold:
    return Manifold.cylinder(thickness + 2.0, diameter / 2, diameter / 2, CIRCLE_SEGMENTS)


TEMPLATE = Template(
    id="mounting-bracket",
    name="Mounting bracket",
    version=1,
    kind=Kind.SOLID,
    parameters=PARAMETERS,
    build=build,
    processes=("fdm", "cnc_mill"),
    materials=("petg", "pla", "aluminium-6061"),
    description="An L bracket with a row of screw holes in each flange, to the customer's pattern.",
)
