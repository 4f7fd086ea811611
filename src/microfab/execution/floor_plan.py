"""A factory's live plan as a scheduling instance and schedule, for Gantt charts.

The scheduler counts time in whole minutes from an origin; here the origin is the earliest
start among the factory's active tasks (a running task started before now), so every bar of
the chart has a non-negative start. A running task's bar lasts until its planned end (set when
it started, the changeover before it included), or until now if it runs late. The machines
carry their changeovers, so the chart counts them. Where the orders' ready-by times are given
(when each must be ready to arrive as promised), each job is due then, and the chart counts
the tardiness of the jobs the plan finishes too late. A machine's maintenance windows show
as its unavailable stretches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from microfab.execution.model import Task, TaskState
from microfab.execution.replan import changeover_matrix
from microfab.network.model import MachineSpec, Site
from microfab.scheduling.model import (
    Assignment,
    Instance,
    Job,
    Machine,
    Operation,
    Schedule,
    Window,
)


@dataclass(frozen=True)
class FloorPlan:
    origin: datetime
    instance: Instance
    schedule: Schedule
    orders: Mapping[str, str] = field(default_factory=dict)
    """Each job's order (job id to order id)."""

    def at(self, minute: int) -> datetime:
        """The time a minute of the chart stands for."""
        return self.origin + timedelta(minutes=minute)


def floor_plan(
    site: Site,
    tasks: Iterable[Task],
    now: datetime,
    ready_by: Mapping[str, datetime] | None = None,
    closed: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
) -> FloorPlan:
    """The scheduled and running tasks of ``site`` as an instance with its schedule; a job is
    due when ``ready_by`` says its order must be ready (order id to time), where it says so;
    ``closed`` gives machines' maintenance windows (machine id to ``[start, end)``)."""
    ready_by = ready_by or {}
    closed = closed or {}
    active = sorted(
        (t for t in tasks if t.state in (TaskState.SCHEDULED, TaskState.RUNNING)),
        key=lambda t: (t.job_id, t.step, t.attempt),
    )
    origin = min((_start(t) for t in active), default=now).replace(second=0, microsecond=0)
    batch_machines = {m.id for m in site.machines if m.batch_capacity > 1}
    batches = _batch_numbers(t for t in active if t.machine_id in batch_machines)
    jobs: dict[str, list[Operation]] = {}
    due: dict[str, int] = {}
    assignments: list[Assignment] = []
    for task in active:
        if task.order_id in ready_by:
            due[task.job_id] = round((ready_by[task.order_id] - origin) / timedelta(minutes=1))
        start = _minutes(_start(task), origin)
        planned_end = task.planned_end
        if task.state is TaskState.RUNNING:
            planned_end = max(planned_end, now)
        end = max(start + 1, _minutes(planned_end, origin))
        jobs.setdefault(task.job_id, []).append(
            Operation(task.id, task.job_id, {task.machine_id: end - start}, task.setup_family)
        )
        assignments.append(
            Assignment(task.id, task.machine_id, start, end, batches.get(task.id), task.operator_id)
        )
    instance = Instance(
        name=f"{site.name}: plan from {origin:%Y-%m-%d %H:%M} UTC",
        jobs=tuple(Job(job_id, tuple(ops), due=due.get(job_id)) for job_id, ops in jobs.items()),
        machines=tuple(
            _machine(m, jobs.values(), _windows(closed.get(m.id, ()), origin))
            for m in site.machines
        ),
    )
    orders = {t.job_id: t.order_id for t in active}
    return FloorPlan(origin, instance, Schedule(tuple(assignments)), orders)


def _machine(
    spec: MachineSpec, jobs: Iterable[list[Operation]], unavailable: tuple[Window, ...] = ()
) -> Machine:
    """The machine with its changeover between every two setup families planned on it."""
    families = {op.family for ops in jobs for op in ops if spec.id in op.durations}
    changeovers = changeover_matrix(spec, families)
    return Machine(
        spec.id, spec.process.value, changeovers, unavailable, capacity=spec.batch_capacity
    )


def _windows(windows: Iterable[tuple[datetime, datetime]], origin: datetime) -> tuple[Window, ...]:
    return tuple(Window(_minutes(b, origin), _minutes(e, origin)) for b, e in windows if e > origin)


def _batch_numbers(tasks: Iterable[Task]) -> dict[str, int]:
    """A batch number for each task made with others in one run: the run under way, or the
    tasks planned on one batch machine at one time."""
    groups: dict[object, list[str]] = {}
    for task in tasks:
        groups.setdefault(task.run_key(batch=True), []).append(task.id)
    numbered = (ids for ids in groups.values() if len(ids) > 1)
    return {t: k for k, ids in enumerate(numbered, start=1) for t in ids}


def _start(task: Task) -> datetime:
    return task.started_at if task.started_at is not None else task.planned_start


def _minutes(when: datetime, origin: datetime) -> int:
    return max(0, round((when - origin).total_seconds() / 60))
