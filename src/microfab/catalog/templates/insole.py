"""Insole: a foot-shaped TPU plate from foot length and width, with a medial arch support."""

from __future__ import annotations

from manifold3d import Manifold

from microfab.catalog.geometry import Solid, hull_of_circles, on_bed
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.template import Kind, Template, Values, choice, number
from microfab.catalog.templates.common import millimetres

BASE = 3.0
"""Plate thickness under the foot, in mm."""
SPHERE_SEGMENTS = 48

PARAMETERS = (
    millimetres("foot_length_mm", 265, 200, 320, "Heel to longest toe"),
    millimetres("foot_width_mm", 95, 70, 125, "Widest point of the forefoot"),
    millimetres("arch_height_mm", 15, 5, 30, "Height of the arch support"),
    Parameter(
        name="side",
        kind=ParameterKind.CHOICE,
        default="left",
        choices=("left", "right"),
        description="Which foot",
    ),
)


def build(values: Values) -> Solid:
    """Outline from heel, forefoot and toe circles; the arch is a clipped half-ellipsoid."""
    length, width = number(values, "foot_length_mm"), number(values, "foot_width_mm")
    arch = number(values, "arch_height_mm")
    heel, toe = 0.32 * width, 0.27 * width
    outline = hull_of_circles(
        [
            (0.0, heel, heel),
            (0.02 * width, 0.68 * length, width / 2),
            (0.18 * width, length - toe, toe),  # big toe on the inner (medial) side
            (-0.22 * width, length - 1.5 * toe, 0.8 * toe),
        ]
    )
    plate = outline.extrude(BASE)
    support = (
        Manifold.sphere(1.0, SPHERE_SEGMENTS)
        .scale((0.32 * width, 0.2 * length, arch))
        .translate((0.3 * width, 0.42 * length, BASE - 0.01))
    )
    arch_solid = support ^ outline.extrude(BASE + arch)
    solid = plate + arch_solid
    if choice(values, "side") == "right":
        solid = solid.mirror((1.0, 0.0, 0.0))
    return Solid(on_bed(solid))


TEMPLATE = Template(
    id="custom-insole",
    name="Custom-fit insole",
    version=1,
    kind=Kind.SOLID,
    parameters=PARAMETERS,
    build=build,
    processes=("fdm",),
    materials=("tpu",),
    description="A TPU insole from foot length, width and arch height, left or right.",
)
