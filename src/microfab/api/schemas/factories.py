"""The network, its factories and the jobs they make, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from microfab.api.schemas.common import Identifier, Input, Place, TaskPublic, UtcTime
from microfab.execution.maintenance import LONGEST, MAX_REASON
from microfab.execution.model import Job, Maintenance
from microfab.execution.views import (
    FactoryView,
    JobView,
    MachineView,
    PersonOnShift,
    PersonView,
)
from microfab.machines.base import MachineState
from microfab.network.model import Network, Operator, Shift, Site
from microfab.network.schema import WEEKDAYS
from microfab.scheduling.model import Objective

# -- jobs --------------------------------------------------------------------------------------


class JobPublic(BaseModel):
    id: str
    order_id: str
    line_index: int
    factory_id: str
    product: str
    quantity: int
    material: str
    created_at: UtcTime
    piece_places: int = Field(
        description="The places of a batch run (a resin plate, an SLS chamber) each piece "
        "takes: one, or more for a large part on a machine batched by plate or chamber."
    )

    @classmethod
    def of(cls, job: Job) -> Self:
        return cls(
            id=job.id,
            order_id=job.order_id,
            line_index=job.line_index,
            factory_id=job.factory_id,
            product=job.product_id,
            quantity=job.quantity,
            material=job.material,
            created_at=job.created_at,
            piece_places=job.piece_places,
        )


class JobDetail(JobPublic):
    tasks: list[TaskPublic]

    @classmethod
    def of_view(cls, view: JobView) -> Self:
        return cls(**dict(JobPublic.of(view.job)), tasks=[TaskPublic.of(t) for t in view.tasks])


class JobsPublic(BaseModel):
    items: list[JobPublic]


# -- the network and its factories -------------------------------------------------------------


class RegionPublic(Place):
    id: str
    name: str


class SiteSummary(Place):
    id: str
    name: str
    kind: str = Field(examples=["micro_factory"])
    region_id: str
    machine_count: int
    processes: list[str]

    @classmethod
    def of(cls, site: Site) -> Self:
        return cls(
            id=site.id,
            name=site.name,
            kind=site.kind.value,
            region_id=site.region_id,
            lat=site.location.lat,
            lon=site.location.lon,
            machine_count=len(site.machines),
            processes=sorted({m.process.value for m in site.machines}),
        )


class NetworkCounts(BaseModel):
    factories: int
    central_plants: int
    machines: int
    operators: int
    products: int
    regions: int
    lanes: int


class NetworkPublic(BaseModel):
    name: str
    currency: str
    counts: NetworkCounts
    regions: list[RegionPublic]
    sites: list[SiteSummary]

    @classmethod
    def of(cls, network: Network) -> Self:
        counts = NetworkCounts(
            factories=len(network.factories),
            central_plants=len(network.central_plants),
            machines=sum(len(s.machines) for s in network.sites),
            operators=sum(len(s.operators) for s in network.sites),
            products=len(network.products),
            regions=len(network.regions),
            lanes=len(network.lanes),
        )
        regions = [
            RegionPublic(id=r.id, name=r.name, lat=r.centre.lat, lon=r.centre.lon)
            for r in network.regions
        ]
        sites = [SiteSummary.of(s) for s in network.sites]
        return cls(
            name=network.name,
            currency=network.currency,
            counts=counts,
            regions=regions,
            sites=sites,
        )


class ObjectivePublic(BaseModel):
    """What the factory's plans aim at (the network file's ``objective``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "weights": {"tardiness": 20, "changeover": 2, "makespan": 1},
                    "lexicographic": None,
                },
                {"weights": None, "lexicographic": ["changeover", "tardiness"]},
            ]
        }
    )

    weights: dict[str, int] | None = Field(
        description="A weighted sum of the criteria (tardiness: weighted minutes late, "
        "changeover: minutes, makespan: minutes); null when the order below counts instead."
    )
    lexicographic: list[str] | None = Field(
        description="Criteria in order of importance, each counting only among plans equal on "
        "those before it; null for a weighted sum."
    )

    @classmethod
    def of(cls, objective: Objective) -> Self:
        if objective.lexicographic:
            return cls(weights=None, lexicographic=[c.value for c in objective.lexicographic])
        return cls(weights={c.value: w for c, w in objective.weights.items()}, lexicographic=None)


class FactorySummary(SiteSummary):
    timezone: str
    operator_count: int
    objective: ObjectivePublic

    @classmethod
    def of(cls, site: Site) -> Self:
        return cls(
            **dict(SiteSummary.of(site)),
            timezone=site.timezone,
            operator_count=len(site.operators),
            objective=ObjectivePublic.of(site.objective),
        )


class FactoriesPublic(BaseModel):
    items: list[FactorySummary]


class ClosedHoursPublic(BaseModel):
    weekdays: list[str] = Field(examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str = Field(examples=["22:00"], description="Local time at the factory.")
    end: str = Field(examples=["06:00"], description="Local time; before start: the next day.")

    @classmethod
    def of(cls, hours: Shift) -> Self:
        days = [name for day, name in enumerate(WEEKDAYS) if day in hours.weekdays]
        return cls(weekdays=days, start=f"{hours.start:%H:%M}", end=f"{hours.end:%H:%M}")


class MachinePublic(BaseModel):
    id: str
    process: str
    model: str
    materials: list[str]
    state: MachineState | None = Field(description="null until the machine first reports.")
    since: UtcTime | None
    task_id: str | None
    setup_family: str | None = Field(
        default=None,
        description="What the machine is set up for (a colour, a resin): the setup family of "
        "the work it last started; null before it first starts work.",
    )
    closed_hours: list[ClosedHoursPublic] = Field(
        default_factory=list,
        description="Weekly hours when it takes no work (the network file's `closed`).",
    )
    closed_until: UtcTime | None = Field(
        default=None,
        description="While a maintenance window or its closed hours are on: when they end "
        "(it starts no work until then); null otherwise.",
    )

    @classmethod
    def of(cls, machine: MachineView) -> Self:
        record = machine.record
        return cls(
            id=machine.spec.id,
            process=machine.spec.process.value,
            model=machine.spec.model,
            materials=sorted(machine.spec.materials),
            state=record.state if record else None,
            since=record.since if record else None,
            task_id=record.task_id if record else None,
            setup_family=record.family if record else None,
            closed_hours=[ClosedHoursPublic.of(h) for h in machine.spec.closed_hours],
            closed_until=machine.closed_until,
        )


class OperatorPublic(BaseModel):
    id: str
    name: str
    skills: list[str]

    @classmethod
    def of(cls, operator: Operator) -> Self:
        return cls(id=operator.id, name=operator.name, skills=sorted(operator.skills))


class PersonOnShiftPublic(OperatorPublic):
    """Someone on shift now, what they are doing and what the plan has them do next."""

    shift_ends: UtcTime = Field(
        description="When they go off shift (shifts that meet count as one)."
    )
    attending_task_id: str | None = Field(
        description="The task they attend now (setting up, unloading, finishing; for a batch "
        "run, the task that leads it); null if none."
    )
    next_task_id: str | None = Field(
        description="The next task the factory's plan gives them; null if it gives them none."
    )
    next_planned_start: UtcTime | None = Field(
        description="When the plan starts that task; null if it gives them none."
    )

    @classmethod
    def of_person(cls, person: PersonOnShift) -> Self:
        following = person.next
        return cls(
            **dict(OperatorPublic.of(person.operator)),
            shift_ends=person.until,
            attending_task_id=person.attending.id if person.attending else None,
            next_task_id=following.id if following else None,
            next_planned_start=following.planned_start if following else None,
        )


class MaintenanceBooking(Input):
    """A window when one machine of the factory takes no work."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "machine_id": "ber-fdm-1",
                    "start": "2026-12-08T09:00:00Z",
                    "end": "2026-12-08T11:00:00Z",
                    "reason": "nozzle change",
                }
            ]
        }
    )

    machine_id: Identifier
    start: AwareDatetime = Field(description="When the machine stops taking work.")
    end: AwareDatetime = Field(
        description=f"When it takes work again; at most {LONGEST.days} days after start."
    )
    reason: str = Field(default="", max_length=MAX_REASON, description="What is done then.")


class MaintenancePublic(BaseModel):
    """A maintenance window: the plan keeps the machine free then, and the floor starts no work
    on it that would run into it (work running when it begins finishes first)."""

    id: str
    factory_id: str
    machine_id: str
    start: UtcTime
    end: UtcTime
    reason: str
    created_at: UtcTime
    cancelled_at: UtcTime | None = Field(description="When it was cancelled; null if it stands.")

    @classmethod
    def of(cls, window: Maintenance) -> Self:
        return cls(
            id=window.id,
            factory_id=window.factory_id,
            machine_id=window.machine_id,
            start=window.start,
            end=window.end,
            reason=window.reason,
            created_at=window.created_at,
            cancelled_at=window.cancelled_at,
        )


class MaintenanceListPublic(BaseModel):
    items: list[MaintenancePublic] = Field(description="Windows on now or ahead, by start.")


class PersonWorkPublic(OperatorPublic):
    """One person's work list: what they attend now and what the plan gives them next."""

    factory_id: str
    at: UtcTime = Field(description="The network time this view was taken.")
    on_shift: bool
    shift_ends: UtcTime | None = Field(
        description="When they go off shift (shifts that meet count as one); null when off."
    )
    next_shift_starts: UtcTime | None = Field(
        description="When their next shift begins (within a week); null if none."
    )
    attending: TaskPublic | None = Field(
        description="The task they attend now (for a batch run, the task that leads it)."
    )
    upcoming: list[TaskPublic] = Field(
        description="The tasks the factory's plan gives them, by planned start (a batch run "
        "as the task that leads it); the plan may hand them to someone else when it changes."
    )

    @classmethod
    def of_view(cls, view: PersonView) -> Self:
        return cls(
            **dict(OperatorPublic.of(view.operator)),
            factory_id=view.site.id,
            at=view.at,
            on_shift=view.on_until is not None,
            shift_ends=view.on_until,
            next_shift_starts=view.next_shift,
            attending=TaskPublic.of(view.attending) if view.attending else None,
            upcoming=[TaskPublic.of(t) for t in view.upcoming],
        )


class FactoryPublic(FactorySummary):
    """A factory now: its machines' live state, its queue, its stock and who is on shift."""

    at: UtcTime = Field(description="The network time this view was taken.")
    machines: list[MachinePublic]
    queue: list[TaskPublic] = Field(description="Scheduled and running tasks, by planned start.")
    stock: dict[str, float] = Field(description="Quantity on the shelf per material or component.")
    on_shift: list[PersonOnShiftPublic] = Field(
        description="The people on shift now, with what each attends and does next."
    )
    maintenance: list[MaintenancePublic] = Field(
        description="Maintenance windows on now or ahead, by start."
    )

    @classmethod
    def of_view(cls, view: FactoryView) -> Self:
        return cls(
            **dict(FactorySummary.of(view.site)),
            at=view.at,
            machines=[MachinePublic.of(m) for m in view.machines],
            queue=[TaskPublic.of(t) for t in view.queue],
            stock=view.stock,
            on_shift=[PersonOnShiftPublic.of_person(p) for p in view.on_shift],
            maintenance=[MaintenancePublic.of(w) for w in view.maintenance],
        )


class LateJobPublic(BaseModel):
    """A job the plan finishes after its order must be ready to arrive as promised."""

    job_id: str
    order_id: str
    ready_by: UtcTime = Field(description="When the order must be ready to arrive as promised.")
    planned_end: UtcTime = Field(description="When the plan finishes the job.")
    minutes_late: int


class FactorySchedulePublic(BaseModel):
    """A factory's current plan as Gantt rows: minutes from ``origin``, one row per machine;
    ``late`` lists the jobs it finishes too late for their orders' promises."""

    factory_id: str
    origin: datetime
    unit: Literal["minutes"]
    rows: list[dict[str, Any]]
    late: list[LateJobPublic]
