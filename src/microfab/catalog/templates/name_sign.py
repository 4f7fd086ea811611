"""Laser-cut name sign: a rounded plate cut from sheet, the text engraved, two screw holes."""

from __future__ import annotations

import numpy as np

from microfab.catalog.geometry import Sheet, circle, polylines, rounded_rectangle
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.template import Kind, Template, Values, number
from microfab.catalog.templates.common import millimetres, text_parameter
from microfab.catalog.text import fit_text, shipped_font

MARGIN = 12.0
HOLE_DIAMETER = 5.0
SMALLEST_LETTERS = 8.0
"""Cap height below which engraved letters of a door sign stop being readable across a room."""

PARAMETERS = (
    text_parameter("text", "Welcome", "Text on the sign", max_length=24),
    millimetres("width_mm", 300, 120, 600, "Sign width"),
    millimetres("height_mm", 120, 60, 300, "Sign height"),
    Parameter("holes", ParameterKind.BOOLEAN, True, "Two holes to screw the sign on"),
)


def build(values: Values) -> Sheet:
    width, height = number(values, "width_mm"), number(values, "height_mm")
    holes = bool(values["holes"])
    inset = MARGIN + (2 * HOLE_DIAMETER + MARGIN if holes else 0.0)
    heights = np.arange(min(0.5 * height, 90.0), SMALLEST_LETTERS - 0.01, -2.0)
    outline = fit_text(
        shipped_font(),
        str(values["text"]).strip(),
        "text",
        (width - 2 * inset, height - 2 * MARGIN),
        heights.tolist(),
    )
    letters = outline.section()
    lo_x, lo_y, hi_x, hi_y = letters.bounds()
    letters = letters.translate((-(lo_x + hi_x) / 2, -(lo_y + hi_y) / 2))
    plate = rounded_rectangle(width, height, 8.0)
    cuts = list(polylines(plate))
    if holes:
        x = width / 2 - MARGIN - HOLE_DIAMETER / 2
        cuts = [
            *polylines(circle(HOLE_DIAMETER / 2, (-x, 0.0))),
            *polylines(circle(HOLE_DIAMETER / 2, (x, 0.0))),
            *cuts,
        ]
    shift = np.array([width / 2, height / 2])
    return Sheet(
        cut=tuple(c + shift for c in cuts),
        engrave=letters.translate((width / 2, height / 2)),
    )


TEMPLATE = Template(
    id="name-sign",
    name="Laser-cut name sign",
    version=1,
    kind=Kind.SHEET,
    parameters=PARAMETERS,
    build=build,
    processes=("laser_cut",),
    materials=("plywood-3mm", "acrylic-3mm"),
    description="A door or desk sign cut from plywood or acrylic, its text engraved.",
)
