"""Phone grip: a slim rounded plate glued to a phone's back, the customer's name on its face."""

from __future__ import annotations

from manifold3d import Manifold, OpType

from microfab.catalog.geometry import Solid, on_bed, rounded_rectangle
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.template import Kind, Template, Values, choice
from microfab.catalog.templates.common import FILAMENT_COLOUR, text_parameter
from microfab.catalog.text import fit_text, shipped_font

LENGTH, WIDTH, CORNER, THICKNESS = 72.0, 30.0, 9.0, 3.0
TEXT_AREA = (LENGTH - 14.0, WIDTH - 10.0)
LETTER_HEIGHTS = (10.0, 9.0, 8.0, 7.0, 6.0, 5.0)
"""Cap heights tried, largest first; 5 mm keeps bold strokes over 1 mm, 2.5 nozzle widths."""
ENGRAVED_TRACKING = 0.06
"""Extra space between engraved letters (share of the em): the plate left standing between two
cut-in letters must stay over two nozzle widths (at 5-6 mm letters it was ~0.6 mm without)."""
RELIEF = 1.0
"""Height of embossed letters and depth of engraved ones."""

PARAMETERS = (
    text_parameter("name", "Alex", "Name on the grip", max_length=12),
    Parameter(
        name="style",
        kind=ParameterKind.CHOICE,
        default="embossed",
        choices=("embossed", "engraved"),
        description="Raised or cut-in letters",
    ),
    FILAMENT_COLOUR,
)


def build(values: Values) -> Solid:
    """The plate with the name raised above or cut into its top face."""
    text = str(values["name"]).strip()
    engraved = choice(values, "style") == "engraved"
    tracking = ENGRAVED_TRACKING if engraved else 0.0
    outline = fit_text(shipped_font(), text, "name", TEXT_AREA, LETTER_HEIGHTS, tracking)
    letters = outline.section()
    lo_x, lo_y, hi_x, hi_y = letters.bounds()
    letters = letters.translate((-(lo_x + hi_x) / 2, -(lo_y + hi_y) / 2))
    plate = rounded_rectangle(LENGTH, WIDTH, CORNER).extrude(THICKNESS)
    if not engraved:
        relief = letters.extrude(RELIEF + 0.01).translate((0, 0, THICKNESS - 0.01))
        return Solid(on_bed(Manifold.batch_boolean([plate, relief], OpType.Add)))
    cut = letters.extrude(RELIEF + 0.01).translate((0, 0, THICKNESS - RELIEF))
    return Solid(on_bed(plate - cut))


TEMPLATE = Template(
    id="phone-grip",
    name="Phone grip with a name",
    version=1,
    kind=Kind.SOLID,
    parameters=PARAMETERS,
    build=build,
    processes=("fdm",),
    materials=("pla", "petg", "tpu"),
    description="A slim grip plate with the customer's name embossed or engraved on its face.",
)
