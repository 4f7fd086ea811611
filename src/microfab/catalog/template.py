"""A geometry template: typed parameters and a ``build`` that turns checked values into geometry.

Templates are plain objects in plain modules (``catalog/templates/*.py`` ship with microfab; users
add their own, see ``catalog.registry``). The parameters are the same ``Parameter`` objects the
network's product templates use, so one JSON Schema describes both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from microfab.catalog.geometry import Geometry
from microfab.catalog.model import LinearModel, Parameter, ParamValue, ProductTemplate
from microfab.errors import InvalidParameter

Values = Mapping[str, ParamValue]


class Kind(StrEnum):
    """What ``build`` returns: a closed mesh or flat cut paths."""

    SOLID = "solid"
    SHEET = "sheet"


@dataclass(frozen=True)
class Template:
    """A product's geometry: ``build(values)`` for values that ``validate`` accepted."""

    id: str
    name: str
    version: int
    kind: Kind
    parameters: tuple[Parameter, ...]
    build: Callable[[Values], Geometry]
    processes: tuple[str, ...]
    """Processes that can make it, preferred first (e.g. ``fdm``, then ``cnc_mill``)."""
    materials: tuple[str, ...]
    description: str = ""

    def as_product(self) -> ProductTemplate:
        """A bare product template, to validate values and publish the JSON Schema."""
        return ProductTemplate(
            id=self.id,
            name=self.name,
            description=self.description,
            version=self.version,
            parameters=self.parameters,
            routing=(),
            materials=self.materials,
            material_per_unit=LinearModel(0.0),
            unit_mass_kg=0.0,
            geometry=self.id,
        )

    def validate(self, raw: Mapping[str, object]) -> dict[str, ParamValue]:
        """Checked values for every parameter, or ``InvalidParameter`` saying what to change."""
        return self.as_product().validate(raw)

    def json_schema(self) -> dict[str, Any]:
        return self.as_product().json_schema()

    def differences(self, product: ProductTemplate) -> list[str]:
        """How a network product's parameters differ from this template's (empty: none)."""
        mine = {p.name: p for p in self.parameters}
        theirs = {p.name: p for p in product.parameters}
        problems = [f"the product has no parameter {n!r}" for n in mine.keys() - theirs.keys()]
        problems += [f"the template has no parameter {n!r}" for n in theirs.keys() - mine.keys()]
        for name in sorted(mine.keys() & theirs.keys()):
            a, b = mine[name], theirs[name]
            for attr in ("kind", "minimum", "maximum", "choices", "max_length", "step"):
                if getattr(a, attr) != getattr(b, attr):
                    problems.append(f"parameter {name!r}: {attr} differs")
        return problems


def choice(values: Values, name: str) -> str:
    value = values[name]
    if not isinstance(value, str):
        raise InvalidParameter(f"parameter {name!r} must be a choice, not {value!r}")
    return value


def number(values: Values, name: str) -> float:
    value = values[name]
    if isinstance(value, str | bool):
        raise InvalidParameter(f"parameter {name!r} must be a number, not {value!r}")
    return float(value)
