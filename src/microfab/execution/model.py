"""Jobs and tasks: what a factory makes for an order line, step by step.

A *job* is one order line made at one factory; its *tasks* are the operations of the product's
routing, each on one machine (a batch machine makes several tasks in one run). A task that
fails is not retried in place: a new attempt is made, so the history of every attempt stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from microfab.errors import IllegalTransition


class TaskState(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_TASK_STATES = frozenset({TaskState.SCHEDULED, TaskState.RUNNING})


@dataclass(frozen=True)
class Job:
    id: str
    order_id: str
    line_index: int
    factory_id: str
    product_id: str
    quantity: int
    material: str
    created_at: datetime
    piece_places: int = 1
    """The places of a batch run each piece takes on the factory's batch machine for this line
    (``MachineSpec.piece_places``, as routing found it); one where it has none."""

    @property
    def places(self) -> int:
        """The places the job's pieces take in batch runs, all together."""
        return self.quantity * self.piece_places


@dataclass
class Task:
    id: str
    job_id: str
    order_id: str
    factory_id: str
    step: int
    operation: str
    process: str
    machine_id: str
    setup_family: str
    attended: bool
    minutes: float
    planned_start: datetime
    planned_end: datetime
    attempt: int = 1
    state: TaskState = TaskState.SCHEDULED
    started_at: datetime | None = None
    ended_at: datetime | None = None
    note: str = ""
    run: str | None = None
    """On a batch machine, the id of the task that leads the run this one is made in (its own
    id for the leader); the machine runs the whole run as one job, the leader's."""
    operator_id: str | None = None
    """For a task that needs a person, the operator its factory's plan gives it (who sets up,
    unloads or finishes it), and from its start the one attending it; None until a plan names
    someone, and for unattended work."""
    version: int = 0

    def run_key(self, batch: bool) -> str | tuple[str, datetime]:
        """The run this task is made in, as a key its other parts share: the run under way, or
        on a batch machine (``batch``) the tasks planned there at one time; else itself."""
        if self.run is not None:
            return self.run
        return (self.machine_id, self.planned_start) if batch else self.id

    def _move(self, allowed_from: TaskState, to: TaskState) -> None:
        if self.state is not allowed_from:
            raise IllegalTransition(
                f"task {self.id} is {self.state.value}; only a {allowed_from.value} task "
                f"can become {to.value}"
            )
        self.state = to

    def start(self, at: datetime) -> None:
        self._move(TaskState.SCHEDULED, TaskState.RUNNING)
        self.started_at = at

    def finish(self, at: datetime) -> None:
        self._move(TaskState.RUNNING, TaskState.FINISHED)
        self.ended_at = at

    def fail(self, at: datetime, reason: str) -> None:
        self._move(TaskState.RUNNING, TaskState.FAILED)
        self.ended_at = at
        self.note = reason

    def cancel(self, at: datetime, reason: str) -> None:
        self._move(TaskState.SCHEDULED, TaskState.CANCELLED)
        self.ended_at = at
        self.note = reason


@dataclass
class Maintenance:
    """Planned downtime of one machine from ``start`` to ``end``: a nozzle change, a service
    visit, a calibration. The plan puts no work on the machine then, and the floor starts no
    work on it that would run into it; work already running when it begins finishes first."""

    id: str
    factory_id: str
    machine_id: str
    start: datetime
    end: datetime
    reason: str
    created_at: datetime
    cancelled_at: datetime | None = None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end

    def cancel(self, at: datetime) -> None:
        if self.cancelled_at is not None:
            raise IllegalTransition(f"maintenance {self.id} was cancelled already")
        if self.end <= at:
            raise IllegalTransition(
                f"maintenance {self.id} is over; only what is ahead is cancelled"
            )
        self.cancelled_at = at
