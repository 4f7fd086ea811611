"""Read-side views of the shop floor for the API and the CLI: factories, jobs and orders.

Each view reads what it needs in one transaction and returns plain dataclasses; nothing here
writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from microfab.errors import NotFound
from microfab.execution.crew import next_named
from microfab.execution.floor_plan import FloorPlan, floor_plan
from microfab.execution.maintenance import closed_machines
from microfab.execution.model import ACTIVE_TASK_STATES, Job, Maintenance, Task, TaskState
from microfab.network.model import MachineSpec, Network, Operator, Site, person_stretches
from microfab.orders.model import Order
from microfab.quoting.service import ready_by
from microfab.storage import MachineRecord, UnitOfWorkFactory


@dataclass(frozen=True)
class MachineView:
    """A machine as the network file describes it, with its last reported state (if any)."""

    spec: MachineSpec
    record: MachineRecord | None
    closed_until: datetime | None = None
    """When the maintenance window or closed hours on now end; None when it may work."""


@dataclass(frozen=True)
class PersonOnShift:
    """Someone on shift: until when, the task they attend now, the next the plan gives them."""

    operator: Operator
    until: datetime
    attending: Task | None
    next: Task | None


@dataclass(frozen=True)
class PersonView:
    """One person's work: whether they are on shift (until when) or when they next come in,
    the run they attend now, and the work the factory's plan gives them, in order."""

    site: Site
    operator: Operator
    at: datetime
    on_until: datetime | None
    next_shift: datetime | None
    attending: Task | None
    upcoming: list[Task]


@dataclass(frozen=True)
class FactoryView:
    site: Site
    at: datetime
    machines: list[MachineView]
    queue: list[Task]
    stock: dict[str, float]
    on_shift: list[PersonOnShift]
    maintenance: list[Maintenance]
    """Maintenance windows on now or ahead, by start."""


@dataclass(frozen=True)
class JobView:
    job: Job
    tasks: list[Task]


@dataclass(frozen=True)
class OrderView:
    order: Order
    tasks: list[Task]


def factory_view(
    uow: UnitOfWorkFactory, network: Network, factory_id: str, at: datetime
) -> FactoryView:
    """Machines with their live state, the queue of scheduled and running tasks, stock, staff."""
    site = network.factory(factory_id)
    with uow() as work:
        records = {r.machine_id: r for r in work.machines.all(site.id)}
        queue = work.tasks.in_states(site.id, ACTIVE_TASK_STATES)
        stock = work.stock.levels(site.id)
        maintenance = work.maintenance.ahead(at, site.id)
    closed = closed_machines(maintenance, network, at)
    machines = [
        MachineView(spec, records.get(spec.id), _closed_until(closed.get(spec.id, ()), at))
        for spec in site.machines
    ]
    people = _people_on_shift(site, queue, at)
    stock = dict(sorted(stock.items()))
    return FactoryView(site, at, machines, queue, stock, people, maintenance)


def _closed_until(windows: Iterable[tuple[datetime, datetime]], at: datetime) -> datetime | None:
    """The end of the window on at ``at``, running on through windows it meets."""
    until: datetime | None = None
    for start, end in sorted(windows):
        if start <= (until or at) < end:
            until = end
    return until


def _people_on_shift(site: Site, queue: list[Task], at: datetime) -> list[PersonOnShift]:
    attending = {
        t.operator_id: t
        for t in queue
        if t.state is TaskState.RUNNING
        and t.attended
        and t.operator_id is not None
        and t.id == (t.run or t.id)  # a run shows its leader
    }
    upcoming = next_named(queue)
    return [
        PersonOnShift(o, o.on_until(at, site.tz) or at, attending.get(o.id), upcoming.get(o.id))
        for o in site.people_on_shift(at)
    ]


def person_view(
    uow: UnitOfWorkFactory, network: Network, factory_id: str, operator_id: str, at: datetime
) -> PersonView:
    """What ``operator_id`` of the factory attends now and what the plan has them do next (a
    batch run shows as the task that leads it)."""
    site = network.factory(factory_id)
    person = next((o for o in site.operators if o.id == operator_id), None)
    if person is None:
        known = ", ".join(o.id for o in site.operators)
        raise NotFound(f"no person {operator_id!r} at factory {factory_id!r}; known: {known}")
    with uow() as work:
        queue = work.tasks.in_states(site.id, ACTIVE_TASK_STATES)
    batch = {m.id for m in site.machines if m.batch_capacity > 1}
    theirs: dict[object, Task] = {}  # a run once, as its leader (a planned one, its first part)
    for t in sorted(queue, key=lambda t: (t.planned_start, t.id)):
        if t.operator_id != person.id or not t.attended:
            continue
        key = t.run_key(t.machine_id in batch)
        if t.id == key:  # a run under way shows its leader
            theirs[key] = t
        else:
            theirs.setdefault(key, t)
    on_until = person.on_until(at, site.tz)
    # a run whose person has gone home goes on with nobody (``network.model.staff_runs``)
    running = [t for t in theirs.values() if t.state is TaskState.RUNNING and on_until]
    return PersonView(
        site,
        person,
        at,
        on_until,
        _next_shift(site, person, on_until or at),
        running[0] if running else None,
        [t for t in theirs.values() if t.state is TaskState.SCHEDULED],
    )


def _next_shift(site: Site, person: Operator, at: datetime) -> datetime | None:
    """When ``person``'s next shift begins after ``at`` (within a week): for someone on
    shift, ``at`` is when their stretch of shifts ends."""
    stretches = person_stretches(site.tz, person, at.astimezone(site.tz).date(), 8)
    return min((begin for begin, _ in stretches if begin > at), default=None)


def factory_plan(
    uow: UnitOfWorkFactory, network: Network, factory_id: str, at: datetime
) -> FloorPlan:
    """The factory's scheduled and running tasks as a plan (for a Gantt chart), each job due
    when its order must be ready to arrive as promised."""
    site = network.factory(factory_id)
    with uow() as work:
        queue = work.tasks.in_states(site.id, ACTIVE_TASK_STATES)
        orders = work.orders.many(t.order_id for t in queue)
        windows = work.maintenance.ahead(at, site.id)
    due = {o.id: ready_by(network, site, o.destination, o.promised_at) for o in orders}
    return floor_plan(site, queue, at, due, closed_machines(windows, network, at))


def jobs(
    uow: UnitOfWorkFactory, factory_id: str | None, order_id: str | None, limit: int
) -> list[Job]:
    """The newest jobs, optionally of one factory or one order."""
    with uow() as work:
        return work.tasks.jobs(factory_id, order_id, limit)


def job_view(uow: UnitOfWorkFactory, job_id: str) -> JobView:
    """A job with every task made for it, failed attempts included."""
    with uow() as work:
        job = work.tasks.get_job(job_id)
        return JobView(job, work.tasks.for_job(job_id))


def order_view(uow: UnitOfWorkFactory, order_id: str) -> OrderView:
    """An order with the tasks that make it."""
    with uow() as work:
        order = work.orders.get(order_id)
        return OrderView(order, work.tasks.for_order(order_id))
