"""The scheduling problem of one factory and the schedules that answer it.

Plain dataclasses, no solver and no I/O. Time is an integer number of minutes (or of the
benchmark's time units) counted from the start of the planning horizon. Windows are half-open:
``[start, end)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import TypeVar


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open stretch of time ``[start, end)``: a maintenance slot, a shift."""

    start: int
    end: int

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end


def joined(windows: Iterable[Window]) -> tuple[Window, ...]:
    """``windows`` in order, those that meet or overlap made one."""
    return tuple(Window(*span) for span in joined_spans((w.start, w.end) for w in windows))


Point = TypeVar("Point", int, datetime)


def joined_spans(spans: Iterable[tuple[Point, Point]]) -> list[tuple[Point, Point]]:
    """``[start, end)`` spans in order, those that meet or overlap made one: minutes of a
    plan, or instants of a calendar."""
    merged: list[tuple[Point, Point]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True, slots=True)
class Operation:
    """One step of a job, which any of its eligible machines can do in its own time.

    ``durations`` maps each eligible machine to the processing time there. ``family`` is the
    setup family (material, colour, nozzle, tool) that decides the changeover before it.
    ``skill`` names the operator skill the step needs; the operator is busy for ``attended``
    time units from the start (the whole step when ``None``). ``size`` is the room it takes in
    a batch run (the pieces of its order line); one larger than a machine's capacity runs
    alone there.
    """

    id: str
    job: str
    durations: Mapping[str, int]
    family: str = ""
    skill: str | None = None
    attended: int | None = None
    size: int = 1

    def attended_time(self, duration: int) -> int:
        return duration if self.attended is None else min(self.attended, duration)


@dataclass(frozen=True, slots=True)
class Job:
    """An order line's routing: operations in the order they must happen."""

    id: str
    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1


@dataclass(frozen=True, slots=True)
class Machine:
    """A machine with its changeover matrix, its unavailable windows and its batch capacity.

    ``changeovers`` maps (from family, to family) to the idle time needed between two runs; a
    missing pair costs nothing. ``capacity`` above 1 makes it a batch machine (SLS, resin) that
    processes operations of one family in a single run, as many as their sizes fit in.
    ``setup`` is the family the machine is set up for when the plan starts (empty when
    unknown): its first run pays the changeover from it, and cannot start before that
    changeover is done. ``unavailable`` is kept in order, windows that overlap or meet made
    one (a repair beside a maintenance window, say: CP-SAT's fixed intervals on a machine may
    not overlap).
    """

    id: str
    kind: str = ""
    changeovers: Mapping[tuple[str, str], int] = field(default_factory=dict)
    unavailable: tuple[Window, ...] = ()
    capacity: int = 1
    setup: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "unavailable", joined(self.unavailable))

    def changeover(self, before: str, after: str) -> int:
        return 0 if before == after else self.changeovers.get((before, after), 0)

    def first_changeover(self, family: str) -> int:
        """The changeover before the plan's first run on this machine."""
        return self.changeover(self.setup, family) if self.setup else 0

    def is_available(self, start: int, end: int) -> bool:
        return not any(w.overlaps(start, end) for w in self.unavailable)


@dataclass(frozen=True, slots=True)
class Operator:
    """A person with skills who can attend steps during the shifts they work.

    ``shifts`` is kept in order, shifts that meet or overlap made one stretch, as the person
    works them: every solver and the checker then see the same stretches."""

    id: str
    skills: frozenset[str]
    shifts: tuple[Window, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "shifts", joined(self.shifts))

    def on_shift(self, start: int, end: int) -> bool:
        """True when back-to-back shifts cover ``[start, end)`` without a break."""
        off = self.off_at(start)
        return off is not None and off >= end

    def off_at(self, start: int) -> int | None:
        """When the stretch of back-to-back shifts this person is on at ``start`` ends; None
        when they are off then."""
        if not any(s.start <= start < s.end for s in self.shifts):
            return None
        reached = start
        for shift in sorted(self.shifts, key=lambda s: s.start):
            if shift.start <= reached < shift.end:
                reached = shift.end
        return reached


class NoStart(ValueError):
    """A step finds no start: its machines' calendars and the shifts laid out never align."""


class Criterion(StrEnum):
    MAKESPAN = "makespan"
    TARDINESS = "tardiness"
    CHANGEOVER = "changeover"


@dataclass(frozen=True)
class Objective:
    """What a factory optimises: a weighted sum, or criteria in lexicographic order."""

    weights: Mapping[Criterion, int] = field(default_factory=lambda: {Criterion.MAKESPAN: 1})
    lexicographic: tuple[Criterion, ...] = ()

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        if self.lexicographic:
            return self.lexicographic
        return tuple(c for c in Criterion if self.weights.get(c, 0))


@dataclass(frozen=True)
class Instance:
    """Everything a solver needs to schedule one factory."""

    name: str
    jobs: tuple[Job, ...]
    machines: tuple[Machine, ...]
    operators: tuple[Operator, ...] = ()
    objective: Objective = field(default_factory=Objective)

    @cached_property
    def operations(self) -> dict[str, Operation]:
        return {op.id: op for job in self.jobs for op in job.operations}

    @cached_property
    def machine(self) -> dict[str, Machine]:
        return {m.id: m for m in self.machines}

    @cached_property
    def job(self) -> dict[str, Job]:
        return {j.id: j for j in self.jobs}

    @cached_property
    def predecessor(self) -> dict[str, Operation]:
        """The operation each operation waits for inside its job."""
        return {
            b.id: a for j in self.jobs for a, b in zip(j.operations, j.operations[1:], strict=False)
        }

    @property
    def has_changeovers(self) -> bool:
        return any(m.changeovers for m in self.machines)

    @property
    def has_batches(self) -> bool:
        return any(m.capacity > 1 for m in self.machines)

    @property
    def is_plain(self) -> bool:
        """True for a textbook (flexible) job shop: no changeovers, batches, calendars, people."""
        return not (
            self.has_changeovers
            or self.has_batches
            or self.operators
            or any(m.unavailable for m in self.machines)
            or any(op.skill for op in self.operations.values())
        )

    def iter_operations(self) -> Iterator[Operation]:
        for job in self.jobs:
            yield from job.operations

    def horizon(self) -> int:
        """A time by which some schedule surely ends (sum of longest durations and setups)."""
        work = sum(max(op.durations.values()) for op in self.iter_operations())
        setups = sum(max(m.changeovers.values(), default=0) for m in self.machines)
        calendars = max((w.end for m in self.machines for w in m.unavailable), default=0)
        shifts = max((w.end for o in self.operators for w in o.shifts), default=0)
        release = max((j.release for j in self.jobs), default=0)
        return max(calendars, shifts) + release + work + setups * len(self.operations)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where and when one operation runs; ``batch`` groups runs on a batch machine."""

    operation: str
    machine: str
    start: int
    end: int
    batch: int | None = None
    operator: str | None = None


@dataclass(frozen=True)
class Schedule:
    """A full plan: one assignment per operation."""

    assignments: tuple[Assignment, ...]

    @cached_property
    def of(self) -> dict[str, Assignment]:
        return {a.operation: a for a in self.assignments}

    @property
    def makespan(self) -> int:
        return max((a.end for a in self.assignments), default=0)

    def on_machine(self, machine: str) -> list[Assignment]:
        return sorted((a for a in self.assignments if a.machine == machine), key=_by_time)


def _by_time(a: Assignment) -> tuple[int, int]:
    return (a.start, a.end)


@dataclass(frozen=True)
class Scores:
    """The three criteria of a schedule."""

    makespan: int
    tardiness: int
    changeover: int

    def value(self, criterion: Criterion) -> int:
        return int(getattr(self, criterion.value))

    def weighted(self, objective: Objective) -> int:
        return sum(w * self.value(c) for c, w in objective.weights.items())


def runs(schedule: Schedule, machine: str) -> list[list[Assignment]]:
    """The machine's runs in time order: a run is one operation or one batch."""
    grouped: dict[object, list[Assignment]] = {}
    for a in schedule.on_machine(machine):
        key: object = ("batch", a.batch) if a.batch is not None else ("op", a.operation)
        grouped.setdefault(key, []).append(a)
    return sorted(grouped.values(), key=lambda run: _by_time(run[0]))


def score(instance: Instance, schedule: Schedule) -> Scores:
    """Makespan, weighted tardiness and total changeover time of a schedule."""
    tardiness = 0
    for job in instance.jobs:
        if job.due is not None and job.operations:
            end = schedule.of[job.operations[-1].id].end
            tardiness += job.weight * max(0, end - job.due)
    changeover = 0
    for m in instance.machines:
        families = [instance.operations[run[0].operation].family for run in runs(schedule, m.id)]
        changeover += sum(m.changeover(a, b) for a, b in itertools.pairwise(families))
        changeover += m.first_changeover(families[0]) if families else 0
    return Scores(schedule.makespan, tardiness, changeover)


def total_completion(instance: Instance, schedule: Schedule) -> int:
    """The sum of every job's end: how soon the work is done, each job alike, where the
    makespan sees only the last."""
    return sum(schedule.of[job.operations[-1].id].end for job in instance.jobs if job.operations)


def objective_value(instance: Instance, schedule: Schedule) -> int:
    """The weighted sum, or the first criterion of a lexicographic objective."""
    return ranking(instance, schedule)[0]


def ranking(instance: Instance, schedule: Schedule) -> tuple[int, ...]:
    """What the objective compares, lowest best: the weighted sum alone, or each criterion of a
    lexicographic objective in its order (a schedule that ties on the first and is better on
    the second is better)."""
    scores = score(instance, schedule)
    if instance.objective.lexicographic:
        return tuple(scores.value(c) for c in instance.objective.lexicographic)
    return (scores.weighted(instance.objective),)


def lower_bound(instance: Instance) -> int:
    """A makespan no schedule can beat: the longest job, the busiest fixed machine, mean load.

    The mean load shares the work over every place a part can be: a batch machine runs up to
    its capacity of parts at once.
    """
    shortest = {op.id: min(op.durations.values()) for op in instance.iter_operations()}
    jobs = [j.release + sum(shortest[op.id] for op in j.operations) for j in instance.jobs]
    total = sum(shortest.values())
    places = sum(max(m.capacity, 1) for m in instance.machines)
    load = -(-total // max(places, 1))
    machines = [_machine_bound(instance, m.id, shortest) for m in instance.machines]
    return max([0, load, *jobs, *machines])


def _machine_bound(instance: Instance, machine: str, shortest: Mapping[str, int]) -> int:
    heads, tails, load = [], [], 0
    for job in instance.jobs:
        done = job.release
        for k, op in enumerate(job.operations):
            if set(op.durations) == {machine}:
                load += op.durations[machine]
                heads.append(done)
                tails.append(sum(shortest[o.id] for o in job.operations[k + 1 :]))
            done += shortest[op.id]
    if instance.machine[machine].capacity > 1 or not heads:
        return 0
    return min(heads) + load + min(tails)


@dataclass(frozen=True)
class Solution:
    """A schedule with what the solver knows about it: a proven lower bound and a status."""

    schedule: Schedule
    objective: int
    lower_bound: int
    status: str
    seconds: float
    solver: str

    @property
    def gap(self) -> float:
        return 0.0 if self.objective == 0 else (self.objective - self.lower_bound) / self.objective
