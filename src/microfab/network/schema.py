"""The network file's schema (pydantic), turned into the plain domain model.

Pydantic checks types and shapes; ``_cross_check`` checks what refers to what (a lane's
origin, a machine's materials, a routing's parameters). Every problem is reported with its path
in the file, e.g. ``factories[2].machines[0].process: unknown process 'fdm2' (known: ...)``.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from microfab.network.model import Mode, Process

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known(kind: str, value: str, known: list[str]) -> ValueError:
    return ValueError(f"unknown {kind} {value!r} (known: {', '.join(known)})")


def _process_name(value: str) -> str:
    if value not in Process._value2member_map_:
        raise _known("process", value, [p.value for p in Process])
    return value


ProcessName = Annotated[str, AfterValidator(_process_name)]


class LinearFile(Strict):
    base: NonNegative = 0.0
    per_parameter: dict[str, float] = {}


class ParameterFile(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    kind: Literal["number", "integer", "text", "choice", "boolean", "colour"]
    default: float | int | bool | str
    description: str = ""
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: list[str] = []
    max_length: Annotated[int, Field(gt=0)] | None = None
    charset: str | None = None
    step: Annotated[float, Field(gt=0)] | None = None


class OperationFile(Strict):
    name: str
    process: ProcessName
    setup_minutes: NonNegative = 0.0
    minutes_per_unit: LinearFile
    setup_family: str = "{material}"
    attended: bool = False
    uses_material: bool = False


class ComponentUseFile(Strict):
    sku: str
    quantity: Annotated[int, Field(gt=0)]


class ProductFile(Strict):
    id: Id
    name: str
    description: str = ""
    version: Annotated[int, Field(ge=1)] = 1
    unit_mass_kg: Positive
    materials: Annotated[list[str], Field(min_length=1)]
    material_per_unit: LinearFile
    components: list[ComponentUseFile] = []
    parameters: list[ParameterFile] = []
    routing: Annotated[list[OperationFile], Field(min_length=1)]
    geometry: str | None = None
    from_upload: bool = False


class ShiftFile(Strict):
    days: str = "mon-fri"
    start: time
    end: time

    @field_validator("days")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_days(value)
        return value


def parse_days(text: str) -> frozenset[int]:
    """``mon-fri`` or ``mon,wed,sat`` → weekday numbers (Monday is 0)."""
    days: set[int] = set()
    for part in text.lower().split(","):
        ends = [p.strip() for p in part.split("-")]
        if any(e not in WEEKDAYS for e in ends) or len(ends) > 2:
            raise ValueError(f"cannot read days {text!r}: write e.g. mon-fri or mon,wed,sat")
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        days.update(
            range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        )
    return frozenset(days)


class OperatorFile(Strict):
    id: Id
    name: str
    skills: list[ProcessName]
    shifts: Annotated[list[ShiftFile], Field(min_length=1)]


DRIVER_KINDS = ("octoprint", "simulated")
"""Drivers a machine may name (``microfab.machines.registry`` builds them)."""


class SlicerFile(Strict):
    program: str = "prusa-slicer"
    profile: str | None = None
    profiles: dict[str, str] = {}
    """A profile per material (material id → ini), over ``profile`` for those materials."""


def _http_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an address: write it as http://HOST[:PORT]")
    return value.rstrip("/") if value else value


class DriverFile(Strict):
    """``driver: simulated`` or a mapping: ``{kind: octoprint, url: ..., api_key_env: ...}``."""

    kind: str = "simulated"
    url: Annotated[str | None, AfterValidator(_http_url)] = None
    api_key_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    slicer: SlicerFile | None = None
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0

    @model_serializer(mode="wrap")
    def _short(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A driver with nothing but its kind is written as the plain name, as before."""
        if self == DriverFile(kind=self.kind):
            return self.kind
        return handler(self)


def _driver_name(value: object) -> object:
    return {"kind": value} if isinstance(value, str) else value


class MachineFile(Strict):
    id: Id
    process: ProcessName
    model: str
    materials: list[str] = []
    power_kw: Positive
    count: Annotated[int, Field(ge=1, le=100)] = 1
    driver: Annotated[DriverFile, BeforeValidator(_driver_name)] = DriverFile()
    driver_options: dict[str, str] = {}
    build_volume_mm: tuple[Positive, Positive, Positive] | None = None
    speed_factor: Positive = 1.0
    failure_rate_per_hour: NonNegative = 0.01
    repair_minutes: NonNegative = 60.0
    changeover_minutes: NonNegative = 0.0
    batch_capacity: Annotated[int, Field(ge=1, le=1000)] = 1
    batch_by: Literal["pieces", "plate", "chamber"] = "pieces"
    """What a piece's share of a run is: one place, or its share of the build plate's area or
    of the chamber's volume, split into ``batch_capacity`` places."""
    cents_per_hour: NonNegative = 0.0
    closed: list[ShiftFile] = []
    """Weekly hours when the machine takes no work (a noise rule, a room shared at night), in
    the site's local time, written as shifts are."""


CRITERIA = ("tardiness", "changeover", "makespan")
"""What a factory's plan can aim at (``microfab.scheduling.model.Criterion``)."""
MAX_WEIGHT = 1_000_000


def _objective(value: object) -> object:
    """A factory's objective: criteria with weights (a weighted sum), or a list of criteria
    (lexicographic order, the first counting before all others)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return _weighted(value)
    if isinstance(value, list):
        return _lexicographic(value)
    raise ValueError(
        "write the objective as weights, e.g. {tardiness: 20, changeover: 2, makespan: 1}, "
        "or as criteria in order of importance, e.g. [tardiness, changeover]"
    )


def _weighted(weights: dict[object, object]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for name, weight in weights.items():
        if name not in CRITERIA:
            raise _known("criterion", str(name), list(CRITERIA))
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= MAX_WEIGHT:
            raise ValueError(f"the weight of {name} must be a whole number from 0 to {MAX_WEIGHT}")
        checked[str(name)] = weight
    if not any(checked.values()):
        raise ValueError("give at least one criterion a weight above 0")
    return {name: checked[name] for name in CRITERIA if name in checked}


def _lexicographic(order: list[object]) -> list[str]:
    if not order:
        raise ValueError("name at least one criterion")
    for name in order:
        if name not in CRITERIA:
            raise _known("criterion", str(name), list(CRITERIA))
    if len(set(order)) < len(order):
        raise ValueError("name each criterion once")
    return [str(name) for name in order]


ObjectiveSpec = Annotated[dict[str, int] | list[str] | None, BeforeValidator(_objective)]


class SiteFile(Strict):
    id: Id
    name: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    region: str
    timezone: str = "UTC"
    grid_gco2_per_kwh: NonNegative
    energy_cents_per_kwh: NonNegative
    labour_cents_per_hour: NonNegative
    max_backlog_hours: Positive = 48.0
    objective: ObjectiveSpec = None
    machines: list[MachineFile] = []
    operators: list[OperatorFile] = []
    stock: dict[str, NonNegative] = {}


class RegionFile(Strict):
    id: Id
    name: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class LaneFile(Strict):
    origin: str
    destination: str
    mode: Mode
    transit_hours: NonNegative
    km_per_hour: NonNegative = 0.0
    cents_per_kg: NonNegative
    cents_per_shipment: NonNegative = 0.0
    distance_km: Positive | None = None


class MaterialFile(Strict):
    id: Id
    name: str
    unit: Literal["kg", "m2", "l"]
    cents_per_unit: NonNegative
    kgco2e_per_unit: NonNegative
    kg_per_unit: Positive
    density_g_cm3: Positive | None = None


class ComponentFile(Strict):
    sku: Id
    name: str
    supplied_by: str
    cents: NonNegative
    kgco2e: NonNegative
    mass_kg: Positive


class EmissionFactorsFile(Strict):
    per_tonne_km: dict[Mode, NonNegative]
    sources: dict[str, str] = {}


class NetworkFile(Strict):
    name: str
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    margin: Annotated[float, Field(ge=0, le=5)] = 0.35
    emission_factors: EmissionFactorsFile
    regions: Annotated[list[RegionFile], Field(min_length=1)]
    materials: list[MaterialFile]
    components: list[ComponentFile] = []
    products: list[ProductFile]
    factories: Annotated[list[SiteFile], Field(min_length=1)]
    central_plants: list[SiteFile] = []
    lanes: list[LaneFile]

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=False)
