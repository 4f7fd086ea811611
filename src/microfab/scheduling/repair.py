"""Repair a schedule after a disruption: a machine breaks down, or a rush order arrives.

Work that has started stays where it is (it is frozen), except work running on the broken
machine, which must start again elsewhere or after the repair. Everything else is re-planned
from ``now``: the plan kept as far as it holds (each step on its machine, in its order, later
only where it must be) and the plan the ATCS dispatch rule makes afresh are both instant and
feasible; the better of the two (the kept one on a tie, so people see less of their plan move,
unless the fresh one finishes the jobs sooner in all) is then improved by CP-SAT with the
frozen work fixed, within a small time budget, and stands unless CP-SAT finds better.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, replace

from microfab.errors import InvalidInput
from microfab.scheduling.cpsat import Settings, solve
from microfab.scheduling.model import (
    Assignment,
    Instance,
    Job,
    Schedule,
    Solution,
    Window,
    objective_value,
    ranking,
)
from microfab.scheduling.rules import dispatch, kept_unless_beaten


@dataclass(frozen=True)
class Disruption:
    """What happened at ``now``: a machine down until ``back_at`` (or for good), new orders."""

    now: int
    broken: str | None = None
    back_at: int | None = None
    rush: tuple[Job, ...] = ()


def disrupted(
    instance: Instance, disruption: Disruption, started: Collection[str] = ()
) -> Instance:
    """The instance as it stands after the disruption. A machine gone for good (no
    ``back_at``) is taken from the choices of every operation but those ``started`` on it
    before, and one that only it can do is refused."""
    _check(instance, disruption)
    machines = instance.machines
    jobs = instance.jobs
    if disruption.broken is not None:
        end = disruption.back_at
        if end is None:
            end = instance.horizon() + disruption.now + 1
            jobs = tuple(_without(job, disruption.broken, started) for job in jobs)
        down = Window(disruption.now, end)
        machines = tuple(
            replace(m, unavailable=(*m.unavailable, down)) if m.id == disruption.broken else m
            for m in machines
        )
    rush = tuple(replace(j, release=max(j.release, disruption.now)) for j in disruption.rush)
    if disruption.broken is not None and disruption.back_at is None:
        rush = tuple(_without(job, disruption.broken, ()) for job in rush)
    return replace(instance, jobs=(*jobs, *rush), machines=machines)


def _without(job: Job, machine: str, started: Collection[str]) -> Job:
    """``job`` with ``machine`` gone from its operations' choices but those ``started``."""
    operations = []
    for op in job.operations:
        if machine in op.durations and op.id not in started:
            left = {m: d for m, d in op.durations.items() if m != machine}
            if not left:
                raise InvalidInput(f"only {machine} can do {op.id}: give the time it is back")
            op = replace(op, durations=left)
        operations.append(op)
    return replace(job, operations=tuple(operations))


def _check(instance: Instance, disruption: Disruption) -> None:
    """Refuse a disruption that names no machine of the instance or runs back in time."""
    if disruption.now < 0:
        raise InvalidInput(f"disruption at {disruption.now}: times start at 0")
    if disruption.broken is not None and disruption.broken not in instance.machine:
        known = ", ".join(m.id for m in instance.machines)
        raise InvalidInput(f"broken machine {disruption.broken!r} is not one of {known}")
    if disruption.back_at is not None and disruption.back_at <= disruption.now:
        raise InvalidInput(
            f"machine back at {disruption.back_at}, not after the breakdown at "
            f"{disruption.now}: give no return time for a machine down for good"
        )
    if disruption.back_at is not None and disruption.broken is None:
        raise InvalidInput("back_at without a broken machine: name the machine that broke")


def frozen_work(schedule: Schedule, disruption: Disruption) -> dict[str, Assignment]:
    """Assignments that have started and were not interrupted by the breakdown."""
    frozen = {}
    for a in schedule.assignments:
        interrupted = a.machine == disruption.broken and a.end > disruption.now
        if a.start < disruption.now and not interrupted:
            frozen[a.operation] = a
    return frozen


def repair(
    instance: Instance,
    schedule: Schedule,
    disruption: Disruption,
    budget: float = 1.0,
    workers: int = 2,
) -> tuple[Instance, Solution]:
    """The re-planned instance and its best schedule found within ``budget`` seconds."""
    began = time.monotonic()
    frozen = frozen_work(schedule, disruption)
    changed = disrupted(instance, disruption, frozen)
    quick, first = _first_plan(changed, schedule, frozen, disruption.now)
    left = budget - (time.monotonic() - began)
    replanned = len(changed.operations) - len(frozen)
    if left < 0.2 or not builds_in_time(changed, replanned, left):
        value = objective_value(changed, quick)
        seconds = time.monotonic() - began
        return changed, Solution(quick, value, 0, "feasible", seconds, first)
    settings = Settings(time_limit=left - STOP_MARGIN, workers=workers, lns=False)
    solution = solve(changed, settings, hint=quick, frozen=frozen, not_before=disruption.now)
    if ranking(changed, solution.schedule) >= ranking(changed, quick):
        value = objective_value(changed, quick)  # no better: the plan moves no more
        lower = min(solution.lower_bound, value)
        solution = replace(solution, schedule=quick, objective=value, lower_bound=lower)
    seconds = time.monotonic() - began
    return changed, replace(solution, seconds=seconds, solver="microfab-repair")


def _first_plan(
    changed: Instance, schedule: Schedule, frozen: dict[str, Assignment], now: int
) -> tuple[Schedule, str]:
    """The plan kept as far as it holds (``microfab-kept``), unless the dispatch rule's fresh
    plan is better (``microfab-dispatch``).

    A 10-minute breakdown in a printer's idle gap on the print farm left its plan feasible,
    yet the fresh plan alone moved 602 of 960 operations and raised the objective from 7,606
    to 8,901.
    """
    fresh = dispatch(changed, "atcs", frozen, now)
    kept = kept_unless_beaten(changed, schedule, fresh, frozen, now)
    return (fresh, "microfab-dispatch") if kept is None else (kept, "microfab-kept")


def builds_in_time(instance: Instance, operations: int, seconds: float) -> bool:
    """Whether CP-SAT's models of ``operations`` open operations build within ``seconds``.

    Building is not covered by CP-SAT's time limit, and an objective of criteria in order
    builds a model per criterion: a 1 s re-plan of 200 operations for three criteria took
    4.7-5.7 s (two runs) when it counted one.
    """
    stages = len(instance.objective.lexicographic) or 1
    return operations * stages <= CP_OPERATIONS_PER_SECOND * seconds


# Re-planned operations per second of budget left above which CP-SAT is skipped: building its
# model is not covered by its time limit. Measured on the print farm: 120 operations built,
# solved and returned within a 1 s budget (0.89-0.92 s in all); 766 operations with 0.57 s
# left took 1.69 s in all, so the dispatch schedule is returned at that size.
CP_OPERATIONS_PER_SECOND = 300
# Seconds of the budget kept for CP-SAT to stop and the schedule to be read back: with the
# whole budget as its time limit, repairs of the print farm's 120 operations took 1.008 s in
# five of six 1 s runs.
STOP_MARGIN = 0.05
