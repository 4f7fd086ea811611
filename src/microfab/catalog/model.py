"""Product templates and their parameters, as plain dataclasses.

A template declares typed, ranged parameters (like a customizer), the operations that make one
unit (its routing) with a linear duration model, the materials it may be made of and the
standard components it needs from central plants. ``ProductTemplate.validate`` turns what a
customer typed into checked values or a message that says what to change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from microfab.errors import InvalidParameter

ParamValue = float | int | str | bool


class ParameterKind(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    TEXT = "text"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    COLOUR = "colour"


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
STEP_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: ParameterKind
    default: ParamValue
    description: str = ""
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    charset: str | None = None
    step: float | None = None

    def check(self, value: object) -> ParamValue:
        """Return ``value`` as this parameter's type, or raise with what to change."""
        match self.kind:
            case ParameterKind.NUMBER | ParameterKind.INTEGER:
                return self._check_number(value)
            case ParameterKind.TEXT:
                return self._check_text(value)
            case ParameterKind.CHOICE:
                if value not in self.choices:
                    raise self._invalid(f"must be one of {', '.join(self.choices)}, not {value!r}")
                return str(value)
            case ParameterKind.BOOLEAN:
                if not isinstance(value, bool):
                    raise self._invalid(f"must be true or false, not {value!r}")
                return value
            case ParameterKind.COLOUR:
                return self._check_colour(value)

    def _check_colour(self, value: object) -> str:
        """A named colour of the palette (``choices``), or ``#rrggbb`` when there is none."""
        if self.choices:
            if value not in self.choices:
                raise self._invalid(f"must be one of {', '.join(self.choices)}, not {value!r}")
            return str(value)
        if not isinstance(value, str) or not HEX_COLOUR.match(value):
            raise self._invalid(f"must be a colour written #rrggbb, not {value!r}")
        return value.lower()

    def _check_number(self, value: object) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._invalid(f"must be a {self.kind.value}, not {value!r}")
        if self.kind is ParameterKind.INTEGER and not float(value).is_integer():
            raise self._invalid(f"must be a whole number, not {value!r}")
        unit = f" {self.unit}" if self.unit else ""
        if self.minimum is not None and value < self.minimum:
            raise self._invalid(
                f"is {value:g}{unit}; the smallest allowed is {self.minimum:g}{unit}"
            )
        if self.maximum is not None and value > self.maximum:
            raise self._invalid(
                f"is {value:g}{unit}; the largest allowed is {self.maximum:g}{unit}"
            )
        if self.step is not None:
            self._check_step(float(value), unit)
        return int(value) if self.kind is ParameterKind.INTEGER else float(value)

    def _check_step(self, value: float, unit: str) -> None:
        assert self.step is not None
        steps = value / self.step  # as JSON Schema's multipleOf: whole multiples of the step
        if abs(steps - round(steps)) > STEP_TOLERANCE * max(1.0, abs(steps)):
            raise self._invalid(f"is {value:g}{unit}; it must be a multiple of {self.step:g}{unit}")

    def _check_text(self, value: object) -> str:
        if not isinstance(value, str):
            raise self._invalid(f"must be text, not {value!r}")
        if self.max_length is not None and len(value) > self.max_length:
            raise self._invalid(f"is {len(value)} characters long; at most {self.max_length} fit")
        if not value.strip():
            raise self._invalid("must not be empty")
        if self.charset is not None:
            missing = sorted({ch for ch in value if ch not in self.charset})
            if missing:
                raise self._invalid(f"has characters that cannot be made: {''.join(missing)!r}")
        return value

    def _invalid(self, reason: str) -> InvalidParameter:
        return InvalidParameter(f"parameter {self.name!r} {reason}")

    def numeric(self, value: ParamValue) -> float:
        """The number a duration or material model multiplies: text counts its characters."""
        if isinstance(value, str):
            return float(len(value)) if self.kind is ParameterKind.TEXT else 0.0
        return float(value)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"description": self.description, "default": self.default}
        if self.unit:
            schema["x-unit"] = self.unit
        match self.kind:
            case ParameterKind.NUMBER | ParameterKind.INTEGER:
                schema["type"] = self.kind.value
                if self.minimum is not None:
                    schema["minimum"] = self.minimum
                if self.maximum is not None:
                    schema["maximum"] = self.maximum
                if self.step is not None:
                    schema["multipleOf"] = self.step
            case ParameterKind.TEXT:
                schema.update(type="string", minLength=1)
                if self.max_length is not None:
                    schema["maxLength"] = self.max_length
            case ParameterKind.CHOICE:
                schema.update(type="string", enum=list(self.choices))
            case ParameterKind.BOOLEAN:
                schema["type"] = "boolean"
            case ParameterKind.COLOUR:
                schema.update(type="string", format="color", **{"x-kind": "colour"})
                if self.choices:
                    schema["enum"] = list(self.choices)
                else:
                    schema["pattern"] = HEX_COLOUR.pattern
        if self.kind is ParameterKind.TEXT and self.charset is not None:
            schema["x-charset"] = self.charset
        return schema


@dataclass(frozen=True)
class LinearModel:
    """``base + Σ coefficient × parameter``: minutes or material per unit."""

    base: float
    per_parameter: Mapping[str, float] = field(default_factory=dict)

    def evaluate(self, product: ProductTemplate, values: Mapping[str, ParamValue]) -> float:
        total = self.base
        for name, coefficient in self.per_parameter.items():
            total += coefficient * product.parameter(name).numeric(values[name])
        return max(total, 0.0)


@dataclass(frozen=True)
class Operation:
    """One step of a routing, e.g. print → finish → assemble."""

    name: str
    process: str
    setup_minutes: float
    minutes_per_unit: LinearModel
    setup_family: str = "{material}"
    attended: bool = False
    uses_material: bool = False

    def minutes(
        self,
        product: ProductTemplate,
        values: Mapping[str, ParamValue],
        quantity: int,
        speed_factor: float = 1.0,
    ) -> float:
        per_unit = self.minutes_per_unit.evaluate(product, values) / speed_factor
        return self.setup_minutes + quantity * per_unit

    def family(self, material: str, values: Mapping[str, ParamValue]) -> str:
        """The changeover family, e.g. ``pla-red``: tasks of one family need no setup between."""
        return self.setup_family.format(material=material, **values)


@dataclass(frozen=True)
class ComponentUse:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ProductTemplate:
    id: str
    name: str
    description: str
    version: int
    parameters: tuple[Parameter, ...]
    routing: tuple[Operation, ...]
    materials: tuple[str, ...]
    material_per_unit: LinearModel
    unit_mass_kg: float
    components: tuple[ComponentUse, ...] = ()
    geometry: str | None = None
    """The name of the geometry template that draws this product (see ``catalog.registry``)."""
    from_upload: bool = False
    """Made from the customer's uploaded model: each line names an upload instead of geometry."""

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise InvalidParameter(
            f"product {self.id!r} has no parameter {name!r}; "
            f"it has: {', '.join(p.name for p in self.parameters)}"
        )

    def validate(self, raw: Mapping[str, object]) -> dict[str, ParamValue]:
        """Checked values for every parameter: given ones checked, missing ones defaulted."""
        for name in raw:
            self.parameter(name)
        return {
            p.name: p.check(raw[p.name]) if p.name in raw else p.default for p in self.parameters
        }

    def check_material(self, material: str) -> None:
        if material not in self.materials:
            raise InvalidParameter(
                f"product {self.id!r} cannot be made of {material!r}; "
                f"choose one of: {', '.join(self.materials)}"
            )

    def material_units(self, values: Mapping[str, ParamValue], quantity: int) -> float:
        return quantity * self.material_per_unit.evaluate(self, values)

    def json_schema(self) -> dict[str, Any]:
        """The parameters as a JSON Schema object, for forms and API clients."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
            "description": self.description,
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.parameters},
            "additionalProperties": False,
        }


@dataclass(frozen=True)
class ProcessEstimate:
    """Machine time and material of one unit on one kind of machine, from the geometry."""

    process: str
    profile: str
    """The machine profile estimated on, e.g. ``Prusa MK4``."""
    minutes: float
    """Machine minutes for one unit at speed factor 1, without the operation's set-up."""
    material_g: float | None = None
    sheet_area_m2: float | None = None
    material_cm3: float | None = None
    """The volume behind ``material_g`` (at the profile's density), for other materials."""

    def grams_of(self, density_g_cm3: float | None) -> float | None:
        """Grams of one unit in a material of ``density_g_cm3`` (the profile's when unknown)."""
        if density_g_cm3 is not None and self.material_cm3 is not None:
            return self.material_cm3 * density_g_cm3
        return self.material_g


@dataclass(frozen=True)
class LineEstimate:
    """The geometry estimate an order line was quoted and is made with.

    ``source`` is ``template`` (``design`` is the catalog template id, ``version`` its version)
    or ``upload`` (``design`` is the upload id, ``version`` 1). ``params_hash`` identifies the
    parameters (or the uploaded file's bytes), so the estimate can be traced to its geometry.
    """

    source: str
    design: str
    version: int
    params_hash: str
    size_mm: tuple[float, float, float]
    processes: tuple[ProcessEstimate, ...]

    def for_process(self, process: str) -> ProcessEstimate | None:
        return next((p for p in self.processes if p.process == process), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "design": self.design,
            "version": self.version,
            "params_hash": self.params_hash,
            "size_mm": list(self.size_mm),
            "processes": [
                {k: v for k, v in vars(p).items() if v is not None} for p in self.processes
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineEstimate:
        x, y, z = (float(s) for s in data["size_mm"])
        return cls(
            source=data["source"],
            design=data["design"],
            version=int(data["version"]),
            params_hash=data["params_hash"],
            size_mm=(x, y, z),
            processes=tuple(ProcessEstimate(**p) for p in data["processes"]),
        )


def fits(size: tuple[float, ...], volume: tuple[float, ...]) -> str | None:
    """None if ``size`` fits ``volume`` (turning it a quarter on the bed is allowed), else why."""
    turned = (size[1], size[0], *size[2:])
    if all(s <= v for s, v in zip(size, volume, strict=True)) or all(
        s <= v for s, v in zip(turned, volume, strict=True)
    ):
        return None
    shown = " × ".join(f"{s:.0f}" for s in size)
    room = " × ".join(f"{v:.0f}" for v in volume)
    return f"the part is {shown} mm; the machine holds at most {room} mm"
