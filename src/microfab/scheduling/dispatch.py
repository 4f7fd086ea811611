"""Placing a new order on a factory's current plan: for quotes and for a first placement.

Each operation of each order line goes, in routing order, to the capable machine of the factory
on which it would finish first, after what the factory's plan already has on that machine.
Operations that need a person wait for a skilled person's shift and for a gap in the attended
work already planned, so a weekend's queue pushes a quote to Monday afternoon, not Monday
morning. On a batch machine a step joins a run of its family planned there and not yet started
when the run starts once the step is ready and has room for its pieces (the machine fills a run
with the ready parts of its family when it starts it), else it goes after that machine's work.
Quoting uses this, so a quoted ready date is where the order would fit into the plan
at that moment; once routed, the factory is re-planned as a whole (``execution.replan``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from microfab.catalog.model import Operation, ProductTemplate
from microfab.errors import NoCapableFactory
from microfab.network.model import MachineSpec, Network, Process, Site
from microfab.orders.model import (
    OrderLine,
    batch_runs,
    line_machines,
    per_run,
    piece_places,
    step_minutes,
)


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
    """The part of the step's machine time this step pays for (``SiteLoad.run_share``): all of
    it on a one-part machine; on a batch machine its pieces' share of the runs they expect."""
    pieces: int = 1
    """The places the step takes in a batch run: the order line's quantity, times the places
    each piece takes (``orders.model.line_places``)."""
    joined: bool = False
    """True when the step joins a run already planned on its batch machine."""


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
    since: datetime | None = None
    """When the work takes the machine from (None: from now)."""
    family: str = ""
    """The setup family the work leaves the machine in."""


class Attending(NamedTuple):
    """A stretch of attended work planned at a factory: one person of its process's skill is
    taken from ``begin`` until ``until``."""

    begin: datetime
    until: datetime
    process: Process


@dataclass(frozen=True)
class PlannedRun:
    """A run planned on a batch machine and not yet started: its parts' setup family and
    attendance, when it starts and ends, the pieces it holds, and its shortest part's minutes
    (an attended run takes no part longer than its lead, whose time a person was found for)."""

    family: str
    attended: bool
    start: datetime
    end: datetime
    pieces: int
    shortest: float

    def takes(
        self, family: str, attended: bool, ready: datetime, pieces: int, minutes: float, room: int
    ) -> bool:
        """Whether a step of ``pieces`` pieces and ``minutes`` minutes, ready at ``ready``, can
        join: same family and attendance, the run starts once the step is ready, its pieces fit
        in the machine's ``room``, and an attended step is no longer than any part in the run."""
        return (
            self.family == family
            and self.attended == attended
            and self.start >= ready
            and self.pieces + pieces <= room
            and (not attended or minutes <= self.shortest)
        )


@dataclass
class SiteLoad:
    """A factory's plan as a new order sees it: when each machine is free, the stretches of
    attended work already planned, of every process (people are as scarce as machines), the
    pieces waiting to start, by process and setup family (a batch machine makes them together),
    and the runs planned on each batch machine that have not started, in start order.
    """

    machines: dict[str, datetime]
    attended: list[Attending] = field(default_factory=list)
    waiting: dict[tuple[str, str], int] = field(default_factory=dict)
    runs: dict[str, list[PlannedRun]] = field(default_factory=dict)
    taken: dict[str, list[tuple[datetime, datetime, str]]] = field(default_factory=dict)
    """The stretches each one-part machine is booked for, with the setup family each leaves
    it in, in start order: new work fits in the gaps between them, with the changeovers into
    it and out of it (a machine not here is free from its time in ``machines``)."""
    loaded: dict[str, str] = field(default_factory=dict)
    """The setup family each machine was last started in, where known: work before its first
    booked stretch changes over from it."""
    closed: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    """Each machine's maintenance windows ahead, in start order: no work runs into one."""

    def free_from(
        self, machine: MachineSpec, ready: datetime, minutes: float, family: str = ""
    ) -> tuple[datetime, float]:
        """The earliest start at or after ``ready`` of ``minutes`` of work of ``family`` on
        ``machine``, and the minutes of changeover it begins with.

        In a gap between two booked stretches the work needs room for its changeover, itself
        and the change back to the next stretch's family; after the last, it changes from that
        one's family. On a batch machine it follows the last planned run. Work that would run
        into a maintenance window of the machine waits for its end.
        """
        windows = self.closed.get(machine.id, ())
        start, change = self._booked_from(machine, ready, minutes, family)
        for _ in windows:
            end = start + timedelta(minutes=change + minutes)
            clash = next((e for b, e in windows if b < end and start < e), None)
            if clash is None:
                break
            start, change = self._booked_from(machine, clash, minutes, family)
        return start, change

    def _booked_from(
        self, machine: MachineSpec, ready: datetime, minutes: float, family: str
    ) -> tuple[datetime, float]:
        """``free_from`` as the booked work alone has it."""
        stretches = self.taken.get(machine.id)
        loaded = self.loaded.get(machine.id)
        if stretches is None or machine.batch_capacity > 1:
            runs = self.runs.get(machine.id)
            change = machine.changeover_from(runs[-1].family or None if runs else loaded, family)
            return max(ready, self.machines.get(machine.id, ready)), change
        start = ready
        for begin, end, left_in in stretches:  # a family of "" is not known: no change counted
            change = machine.changeover_from(loaded, family)
            back = machine.changeover_from(family or None, left_in) if left_in else 0.0
            if start + timedelta(minutes=change + minutes + back) <= begin:
                return start, change
            start, loaded = max(start, end), left_in or None
        return start, machine.changeover_from(loaded, family)

    def _take(self, machine_id: str, start: datetime, end: datetime, family: str) -> None:
        stretches = self.taken.get(machine_id)
        if stretches is not None:
            stretches.append((start, end, family))
            stretches.sort()

    def book(self, step: PlannedStep) -> None:
        """Take ``step``'s machine and person, count its pieces as waiting, and put it in its
        run: the planned run it joins, or a new one after the machine's work."""
        joined = step.joined and self._join(step)
        if not joined:
            self._add_run(step)
        process = step.operation.process
        if step.operation.attended and not joined:  # a run's person is booked once, by its lead
            self.attended.append(Attending(step.start, step.end, Process(process)))
        key = (process, step.setup_family)
        self.waiting[key] = self.waiting.get(key, 0) + step.pieces

    def _add_run(self, step: PlannedStep) -> None:
        machine_id = step.machine.id
        self.machines[machine_id] = max(self.machines.get(machine_id, step.end), step.end)
        self._take(machine_id, step.start, step.end, step.setup_family)
        if step.machine.batch_capacity > 1:
            run = PlannedRun(
                step.setup_family,
                step.operation.attended,
                step.start,
                step.end,
                step.pieces,
                step.minutes,
            )
            self.runs.setdefault(machine_id, []).append(run)

    def _join(self, step: PlannedStep) -> bool:
        """Add ``step`` to the planned run it joins, if that is there; a part longer than the
        run makes it, and the machine's later work, that much later."""
        machine_id = step.machine.id
        runs = self.runs.get(machine_id, [])
        at = (step.start, step.setup_family, step.operation.attended)
        k = next((k for k, r in enumerate(runs) if (r.start, r.family, r.attended) == at), None)
        if k is None:
            return False
        run = runs[k]
        later = max(step.end - run.end, timedelta(0))
        runs[k] = replace(
            run,
            end=run.end + later,
            pieces=run.pieces + step.pieces,
            shortest=min(run.shortest, step.minutes),
        )
        if later:
            for j in range(k + 1, len(runs)):
                runs[j] = replace(runs[j], start=runs[j].start + later, end=runs[j].end + later)
            self.machines[machine_id] = self.machines.get(machine_id, step.end) + later
        return True

    def open_run(
        self,
        machine: MachineSpec,
        family: str,
        attended: bool,
        ready: datetime,
        pieces: int,
        minutes: float,
    ) -> PlannedRun | None:
        """The first run planned on ``machine`` that a step of ``pieces`` pieces and ``minutes``
        minutes, ready at ``ready``, can join (``PlannedRun.takes``) without making it run
        into a maintenance window of the machine, if any."""
        if machine.batch_capacity < 2:
            return None
        capacity = machine.batch_capacity
        windows = self.closed.get(machine.id, ())

        def clear(run: PlannedRun) -> bool:
            end = max(run.end, run.start + timedelta(minutes=minutes))
            return not any(b < end and run.start < e for b, e in windows)

        runs = self.runs.get(machine.id, ())
        return next(
            (
                r
                for r in runs
                if r.takes(family, attended, ready, pieces, minutes, capacity) and clear(r)
            ),
            None,
        )

    def run_share(
        self, machine: MachineSpec, process: str, family: str, pieces: int = 1, places: int = 1
    ) -> float:
        """The share of its machine time a step of ``pieces`` pieces of ``family``, each taking
        ``places`` places of a run, pays.

        All of it on a one-part machine. On a batch machine of capacity ``c`` (places) the step
        takes ``ceil(pieces / per_run)`` runs (``orders.model.step_minutes``): it fills all but
        the last alone and pays them whole; the last holds its remaining pieces, taking ``r``
        places, and, it expects, as many places of its family's waiting work as fit, so it pays
        ``r / min(c, r + waiting)`` of that run. So a 3-piece line with 3 pieces waiting pays
        3/6 of a 6-place resin run, and a 10-piece line with none waiting pays both its runs.
        """
        capacity = machine.batch_capacity
        if capacity < 2:
            return 1.0
        runs = batch_runs(pieces, machine, places)
        last = (pieces - (runs - 1) * per_run(machine, places)) * places
        waiting = self.waiting.get((process, family), 0)
        return (runs - 1 + last / min(capacity, last + waiting)) / runs

    def copy(self) -> SiteLoad:
        return SiteLoad(
            dict(self.machines),
            list(self.attended),
            dict(self.waiting),
            {m: list(r) for m, r in self.runs.items()},
            {m: list(t) for m, t in self.taken.items()},
            dict(self.loaded),
            self.closed,  # read only
        )


def site_load(
    site: Site,
    bookings: Iterable[Booking],
    now: datetime,
    loaded: Mapping[str, str] | None = None,
    closed: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
) -> SiteLoad:
    """What ``site``'s plan already takes, from what is booked on its machines; ``loaded``
    gives the setup family machines were last started in (machine id to family), ``closed``
    their maintenance windows ahead (machine id to ``[start, end)`` in UTC)."""
    load = SiteLoad({m.id: now for m in site.machines})
    load.loaded = {m.id: loaded[m.id] for m in site.machines if loaded and m.id in loaded}
    load.closed = {
        m.id: sorted(w for w in closed[m.id] if w[1] > now)
        for m in site.machines
        if closed and closed.get(m.id)
    }
    load.taken = {m.id: [] for m in site.machines if m.batch_capacity < 2}
    # The parts of one attended run share its machine and start, and one person attends it.
    stretches: dict[tuple[str, str, datetime], datetime] = {}
    for booking in bookings:
        if booking.machine_id not in load.machines:
            continue
        load.machines[booking.machine_id] = max(load.machines[booking.machine_id], booking.until)
        if booking.machine_id in load.taken:
            since = max(booking.since or now, now)
            stretch = (min(since, booking.until), booking.until, booking.family)
            load.taken[booking.machine_id].append(stretch)
        if booking.attended_from is not None:
            key = (booking.process, booking.machine_id, booking.attended_from)
            stretches[key] = max(stretches.get(key, booking.until), booking.until)
    for (process, _, start), until in stretches.items():
        load.attended.append(Attending(start, until, Process(process)))
    for taken in load.taken.values():
        taken.sort()
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
    machines = line_machines(site, line, operation, product)
    if not machines:
        raise NoCapableFactory(f"{site.id} has no {process.value} machine for {line.material}")
    family = operation.family(line.material, line.params)
    best: PlannedStep | None = None
    places = piece_places(site, operation.process, line)
    for machine in machines:
        minutes = step_minutes(product, line, operation, machine, places)
        taken = line.quantity * places
        start, end, joined = _slot(site, operation, machine, family, taken, ready, load, minutes)
        if best is None or end < best.end:
            share = load.run_share(machine, process.value, family, line.quantity, places)
            best = PlannedStep(
                *position,
                operation,
                machine,
                start,
                end,
                minutes,
                family,
                material,
                share,
                taken,
                joined,
            )
    assert best is not None
    return best


def _slot(
    site: Site,
    operation: Operation,
    machine: MachineSpec,
    family: str,
    places: int,
    ready: datetime,
    load: SiteLoad,
    minutes: float,
) -> tuple[datetime, datetime, bool]:
    """When ``operation``, taking ``places`` places of a batch run, would start and end on
    ``machine``, and whether in a planned run: a run it can join ends no earlier than its own
    end would be, else it waits for the machine's work and, if attended, for a skilled person
    who is free."""
    attended = operation.attended
    run = load.open_run(machine, family, attended, ready, places, minutes)
    if run is not None:  # the run's person, if any, was found for a part no shorter than this
        return run.start, max(run.end, run.start + timedelta(minutes=minutes)), True
    start, change = load.free_from(machine, ready, minutes, family)
    if attended:
        process = Process(operation.process)
        for _ in range(MAX_WAITS):
            person = attended_start(site, process, start, minutes, load.attended)
            start, change = load.free_from(machine, person, minutes, family)
            if start == person:
                break
    return start, start + timedelta(minutes=change + minutes), False


def attended_start(
    site: Site,
    process: Process,
    earliest: datetime,
    minutes: float,
    planned: Sequence[Attending],
) -> datetime:
    """The earliest start with a person skilled in ``process`` on shift and free of the
    attended work already ``planned`` (of every process) for as long as the step lasts.

    A start is taken when, at it, wherever planned work begins during the step and wherever a
    shift ends during it, the people on shift can attend the step beside all the work going on
    then, one person each, each in a skill of theirs (``Site.can_add``): a person who both sews
    and assembles counts once. Otherwise the step waits until the first of the stretches on at
    the moment short of people has ended.
    """
    start = site.attended_start(process, earliest, minutes)
    later = list(planned)
    for _ in range(MAX_WAITS):
        later = [a for a in later if a.until > start]
        short = _short_of_people(site, process, start, minutes, later)
        if short is None:
            return start
        start = site.attended_start(process, short, minutes)
    return start


def _short_of_people(
    site: Site, process: Process, start: datetime, minutes: float, planned: Sequence[Attending]
) -> datetime | None:
    """When a step of ``process`` from ``start`` first finds too few people beside the
    ``planned`` work, as the time it may next try (the first end of the work on then), or
    None when it is staffed throughout.

    With nobody skilled on shift at ``start`` (work longer than any shift, started at one's
    beginning to run over) the step waits only for planned work of its own process, as if one
    person did all of that.
    """
    end = start + timedelta(minutes=minutes)
    during = [a for a in planned if a.begin < end]
    if not during:
        return None
    alone = site.on_shift(process, start) > 0
    begins = (a.begin for a in during if a.begin > start)
    for moment in sorted({start, *begins, *site.shift_ends(start, end)}):
        on = [a for a in during if a.begin <= moment < a.until]
        if not on:
            continue
        if not alone:
            enough = not any(a.process == process for a in on)
        elif site.on_shift(process, moment) == 0:
            continue  # its person's shift is over and the step runs on: nobody else can help
        else:
            enough = site.can_add([a.process for a in on], process, moment)
        if not enough:
            return min(a.until for a in on)
    return None


MAX_WAITS = 500
"""How many times a step may wait for people before it is simply queued where it got to."""
