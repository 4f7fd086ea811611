"""Placing a new order on a factory's current plan: for quotes and for a first placement.

Each operation of each order line goes, in routing order, to the capable machine of the factory
on which it would finish first, after what the factory's plan already has on that machine.
Operations that need a person wait for a skilled person's shift and for a gap in the attended
work already planned, so a weekend's queue pushes a quote to Monday afternoon, not Monday
morning. Quoting uses this, so a quoted ready date is where the order would fit into the plan
at that moment; once routed, the factory is re-planned as a whole (``execution.replan``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from microfab.catalog.model import Operation, ProductTemplate
from microfab.errors import NoCapableFactory
from microfab.network.model import MachineSpec, Network, Process, Site
from microfab.orders.model import OrderLine, line_machines, step_minutes


@dataclass(frozen=True)
class PlannedStep:
    line_index: int
    step: int
    operation: Operation
    machine: MachineSpec
    start: datetime
    end: datetime
    minutes: float
    setup_family: str
    material: str | None
    share: float = 1.0
    """The part of the machine's run this step pays for: all of it on a one-part machine; on a
    batch machine one over the parts expected in its run (this one and the parts of its family
    already waiting there, up to the machine's capacity)."""


@dataclass(frozen=True)
class Plan:
    site: Site
    steps: tuple[PlannedStep, ...]

    @property
    def ready_at(self) -> datetime:
        return max(step.end for step in self.steps)


@dataclass(frozen=True)
class Booking:
    """Work already on a machine: until when it is taken, and when a person attends it."""

    machine_id: str
    until: datetime
    process: str = ""
    attended_from: datetime | None = None


@dataclass
class SiteLoad:
    """A factory's plan as a new order sees it: when each machine is free, the stretches of
    attended work already planned for each process (people are as scarce as machines), and the
    parts waiting to start, by process and setup family (a batch machine makes them together).
    """

    machines: dict[str, datetime]
    attended: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    waiting: dict[tuple[str, str], int] = field(default_factory=dict)

    def book(self, step: PlannedStep) -> None:
        self.machines[step.machine.id] = step.end
        process = step.operation.process
        if step.operation.attended:
            self.attended.setdefault(process, []).append((step.start, step.end))
        key = (process, step.setup_family)
        self.waiting[key] = self.waiting.get(key, 0) + 1

    def run_share(self, machine: MachineSpec, process: str, family: str) -> float:
        """One over the parts a new part of ``family`` would expect in a run on ``machine``."""
        if machine.batch_capacity < 2:
            return 1.0
        return 1 / min(machine.batch_capacity, 1 + self.waiting.get((process, family), 0))

    def copy(self) -> SiteLoad:
        return SiteLoad(
            dict(self.machines),
            {p: list(w) for p, w in self.attended.items()},
            dict(self.waiting),
        )


def site_load(site: Site, bookings: Iterable[Booking], now: datetime) -> SiteLoad:
    """What ``site``'s plan already takes, from what is booked on its machines."""
    load = SiteLoad({m.id: now for m in site.machines})
    for booking in bookings:
        if booking.machine_id not in load.machines:
            continue
        load.machines[booking.machine_id] = max(load.machines[booking.machine_id], booking.until)
        if booking.attended_from is not None:
            stretch = (booking.attended_from, booking.until)
            load.attended.setdefault(booking.process, []).append(stretch)
    return load


def plan_order(
    network: Network, site: Site, lines: Iterable[OrderLine], now: datetime, load: SiteLoad
) -> Plan:
    """Place every operation of ``lines`` on ``site``'s plan, earliest finish first."""
    load = load.copy()
    steps: list[PlannedStep] = []
    for index, line in enumerate(lines):
        product = network.product(line.product_id)
        ready = now
        for number, operation in enumerate(product.routing):
            step = place_step(site, product, line, (index, number), operation, ready, load)
            steps.append(step)
            load.book(step)
            ready = step.end
    return Plan(site, tuple(steps))


def place_step(
    site: Site,
    product: ProductTemplate,
    line: OrderLine,
    position: tuple[int, int],
    operation: Operation,
    ready: datetime,
    load: SiteLoad,
) -> PlannedStep:
    """The capable machine of ``site`` that would finish ``operation`` first, and when."""
    process = Process(operation.process)
    material = line.material if operation.uses_material else None
    machines = line_machines(site, line, operation)
    if not machines:
        raise NoCapableFactory(f"{site.id} has no {process.value} machine for {line.material}")
    family = operation.family(line.material, line.params)
    best: PlannedStep | None = None
    for machine in machines:
        minutes = step_minutes(product, line, operation, machine)
        start = max(ready, load.machines.get(machine.id, ready))
        if operation.attended:
            start = attended_start(site, process, start, minutes, load.attended.get(process, ()))
        end = start + timedelta(minutes=minutes)
        if best is None or end < best.end:
            share = load.run_share(machine, process.value, family)
            best = PlannedStep(
                *position, operation, machine, start, end, minutes, family, material, share
            )
    assert best is not None
    return best


def attended_start(
    site: Site,
    process: Process,
    earliest: datetime,
    minutes: float,
    planned: Sequence[tuple[datetime, datetime]],
) -> datetime:
    """The earliest start with a skilled person on shift who is not already planned elsewhere.

    A start is taken when fewer planned stretches of attended work overlap the step than there
    are skilled people on shift; otherwise the step waits until enough of them have ended.
    """
    start = site.attended_start(process, earliest, minutes)
    later = [(begin, until) for begin, until in planned if until > start]
    for _ in range(MAX_WAITS):
        end = start + timedelta(minutes=minutes)
        overlapping = sorted(until for begin, until in later if begin < end and start < until)
        people = max(site.on_shift(process, start), 1)
        if len(overlapping) < people:
            return start
        start = site.attended_start(process, overlapping[len(overlapping) - people], minutes)
    return start


MAX_WAITS = 100
"""How many times a step may wait for people before it is simply queued where it got to."""
