"""Pieces every resource shares: money, places, times, tasks, the health report.

Money is ``{"amount": "12.50", "currency": "EUR"}`` with the amount as a decimal string; times
are ISO 8601 in UTC. Requests refuse unknown fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from microfab.execution.model import Task, TaskState
from microfab.footprint.model import Footprint


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcTime = Annotated[datetime, AfterValidator(_as_utc)]
Identifier = Annotated[str, Field(min_length=1, max_length=100)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Money(BaseModel):
    amount: str = Field(examples=["12.50"], description="A decimal number of the currency.")
    currency: str = Field(examples=["EUR"])

    @classmethod
    def of(cls, cents: int, currency: str) -> Self:
        sign = "-" if cents < 0 else ""
        whole, part = divmod(abs(cents), 100)
        return cls(amount=f"{sign}{whole}.{part:02d}", currency=currency)


class Place(BaseModel):
    lat: float
    lon: float


class FootprintPublic(BaseModel):
    """kg CO2e by source."""

    energy: float
    materials: float
    transport: float
    total: float

    @classmethod
    def of(cls, footprint: Footprint) -> Self:
        return cls(**footprint.as_dict())


class TaskPublic(BaseModel):
    id: str
    job_id: str
    order_id: str
    factory_id: str
    step: int
    operation: str
    process: str
    machine_id: str
    setup_family: str = Field(
        description="What the machine must be set up for (a material and colour, a resin, a "
        "tool): work of another family changes it over first"
    )
    attended: bool = Field(description="Whether a skilled person must attend the task")
    state: TaskState
    attempt: int
    minutes: float
    planned_start: UtcTime
    planned_end: UtcTime
    started_at: UtcTime | None
    ended_at: UtcTime | None
    note: str
    run: str | None = Field(
        None,
        description="On a batch machine (SLS, resin), the id of the task leading the run this "
        "part is made in; every part of a run starts and ends with it",
    )
    operator_id: str | None = Field(
        None,
        description="For a task that needs a person, the operator the factory's plan gives it, "
        "and from its start the one attending it; null for unattended work and until a plan "
        "names someone",
    )

    @classmethod
    def of(cls, task: Task) -> Self:
        return cls(
            id=task.id,
            job_id=task.job_id,
            order_id=task.order_id,
            factory_id=task.factory_id,
            step=task.step,
            operation=task.operation,
            process=task.process,
            machine_id=task.machine_id,
            setup_family=task.setup_family,
            attended=task.attended,
            state=task.state,
            attempt=task.attempt,
            minutes=task.minutes,
            planned_start=task.planned_start,
            planned_end=task.planned_end,
            started_at=task.started_at,
            ended_at=task.ended_at,
            note=task.note,
            run=task.run,
            operator_id=task.operator_id,
        )


# -- health ------------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: str = Field(examples=["ok"])
    network: str
    network_time: UtcTime
