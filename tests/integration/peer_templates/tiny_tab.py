"""A 6 × 6 × 1.4 mm tab: the smallest part worth slicing, so a virtual print takes seconds."""

from __future__ import annotations

from manifold3d import Manifold

from microfab.catalog.geometry import Solid
from microfab.catalog.template import Kind, Template, Values


def build(values: Values) -> Solid:
    return Solid(Manifold.cube((6.0, 6.0, 1.4)))


TEMPLATE = Template(
    id="tiny-tab",
    name="Tiny tab",
    version=1,
    kind=Kind.SOLID,
    parameters=(),
    build=build,
    processes=("fdm",),
    materials=("pla",),
)
