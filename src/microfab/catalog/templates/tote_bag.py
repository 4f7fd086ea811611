"""Tote bag: the pattern pieces (two panels, two straps) from the customer's size, laid out on
the fabric roll for the knife cutter; the monogram is checked against the embroidery font."""

from __future__ import annotations

import numpy as np

from microfab.catalog.geometry import Polyline, Sheet
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.template import Kind, Template, Values, number
from microfab.catalog.templates.common import text_parameter
from microfab.catalog.text import fit_text, shipped_font

SEAM = 10.0
"""Seam allowance on every sewn edge, in mm."""
HEM = 30.0
"""Turned-over hem at the bag's opening, in mm."""
STRAP_WIDTH = 30.0
GAP = 10.0
"""Space between pieces on the roll, for the knife."""
MONOGRAM_HEIGHTS = (60.0, 50.0, 40.0, 30.0)


def _centimetres(name: str, default: float, low: float, high: float, text: str) -> Parameter:
    return Parameter(name, ParameterKind.NUMBER, default, text, "cm", low, high)


PARAMETERS = (
    _centimetres("width_cm", 40, 25, 60, "Bag width"),
    _centimetres("height_cm", 42, 25, 60, "Bag height"),
    _centimetres("strap_length_cm", 60, 30, 90, "Length of each strap"),
    text_parameter("monogram", "MF", "Up to three letters stitched on the front", max_length=3),
)


def build(values: Values) -> Sheet:
    width, height = 10 * number(values, "width_cm"), 10 * number(values, "height_cm")
    strap = 10 * number(values, "strap_length_cm")
    fit_text(
        shipped_font(),
        str(values["monogram"]).strip(),
        "monogram",
        (0.6 * width, 0.4 * height),
        MONOGRAM_HEIGHTS,
    )
    panel = (width + 2 * SEAM, height + SEAM + HEM)
    band = (strap + 2 * SEAM, 2 * STRAP_WIDTH + 2 * SEAM)
    pieces = [("front panel", panel), ("back panel", panel), ("strap", band), ("strap", band)]
    return Sheet(
        cut=tuple(_lay_out([size for _, size in pieces])), labels=tuple(name for name, _ in pieces)
    )


def _lay_out(sizes: list[tuple[float, float]]) -> list[Polyline]:
    """Rectangles side by side along the roll (x), in the order given."""
    x = 0.0
    placed: list[Polyline] = []
    for w, h in sizes:
        placed.append(np.array([[x, 0.0], [x + w, 0.0], [x + w, h], [x, h]]))
        x += w + GAP
    return placed


TEMPLATE = Template(
    id="tote-bag",
    name="Custom-sized tote bag",
    version=1,
    kind=Kind.SHEET,
    parameters=PARAMETERS,
    build=build,
    processes=("textile_cut", "sewing"),
    materials=("canvas", "denim", "linen"),
    description="A tote bag cut to the customer's size and sewn locally.",
)
