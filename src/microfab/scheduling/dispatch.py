"""First-version dispatching for the live network: earliest-available capable machine.

Each operation of each order line goes, in routing order, to the capable machine of the factory
on which it would finish first, given what that machine already has queued. Operations that need
a person wait for a skilled operator's shift. Quoting uses the same plan, so a quoted ready date
is what the factory would schedule at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from microfab.catalog.model import Operation, ProductTemplate
from microfab.errors import NoCapableFactory
from microfab.network.model import MachineSpec, Network, Process, Site
from microfab.orders.model import OrderLine


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


@dataclass(frozen=True)
class Plan:
    site: Site
    steps: tuple[PlannedStep, ...]

    @property
    def ready_at(self) -> datetime:
        return max(step.end for step in self.steps)


@dataclass(frozen=True)
class Booking:
    """Work already on a machine: until when it is taken."""

    machine_id: str
    until: datetime


def machine_free_times(
    site: Site, bookings: Iterable[Booking], now: datetime
) -> dict[str, datetime]:
    """When each machine of ``site`` is free for new work, from what is booked on it."""
    free = {m.id: now for m in site.machines}
    for booking in bookings:
        if booking.machine_id in free:
            free[booking.machine_id] = max(free[booking.machine_id], booking.until)
    return free


def plan_order(
    network: Network,
    site: Site,
    lines: Iterable[OrderLine],
    now: datetime,
    free: Mapping[str, datetime],
) -> Plan:
    """Place every operation of ``lines`` on ``site``'s machines, earliest finish first."""
    taken = dict(free)
    steps: list[PlannedStep] = []
    for index, line in enumerate(lines):
        product = network.product(line.product_id)
        ready = now
        for number, operation in enumerate(product.routing):
            step = place_step(site, product, line, (index, number), operation, ready, taken)
            steps.append(step)
            taken[step.machine.id] = ready = step.end
    return Plan(site, tuple(steps))


def place_step(
    site: Site,
    product: ProductTemplate,
    line: OrderLine,
    position: tuple[int, int],
    operation: Operation,
    ready: datetime,
    taken: Mapping[str, datetime],
) -> PlannedStep:
    """The capable machine of ``site`` that would finish ``operation`` first, and when."""
    process = Process(operation.process)
    material = line.material if operation.uses_material else None
    machines = site.machines_for(process, material)
    if not machines:
        raise NoCapableFactory(f"{site.id} has no {process.value} machine for {line.material}")
    family = operation.family(line.material, line.params)
    best: PlannedStep | None = None
    for machine in machines:
        minutes = operation.minutes(product, line.params, line.quantity, machine.speed_factor)
        start = max(ready, taken.get(machine.id, ready))
        if operation.attended:
            start = site.attended_start(process, start, minutes)
        end = start + timedelta(minutes=minutes)
        if best is None or end < best.end:
            best = PlannedStep(*position, operation, machine, start, end, minutes, family, material)
    assert best is not None
    return best
