"""An independent feasibility check of a schedule against its instance.

It shares no code with the solvers: it re-reads the instance and the assignments and lists every
broken rule, so that a solver bug cannot hide behind its own assumptions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from microfab.scheduling.model import Assignment, Instance, Machine, Schedule, runs


class Rule(StrEnum):
    MISSING = "missing"
    UNKNOWN = "unknown"
    ELIGIBILITY = "eligibility"
    DURATION = "duration"
    RELEASE = "release"
    PRECEDENCE = "precedence"
    OVERLAP = "overlap"
    BATCH = "batch"
    CALENDAR = "calendar"
    SKILL = "skill"
    SHIFT = "shift"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Violation:
    rule: Rule
    operation: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule.value}: {self.operation}: {self.message}"


def check(instance: Instance, schedule: Schedule) -> list[Violation]:
    """Every rule the schedule breaks; an empty list means the schedule is feasible."""
    found = list(_coverage(instance, schedule))
    if found:
        return found
    for rule_check in (_timing, _precedence, _machines, _operators):
        found.extend(rule_check(instance, schedule))
    return found


def _coverage(instance: Instance, schedule: Schedule) -> Iterator[Violation]:
    seen: set[str] = set()
    for a in schedule.assignments:
        op = instance.operations.get(a.operation)
        if op is None:
            yield Violation(Rule.UNKNOWN, a.operation, "no such operation in the instance")
        elif a.operation in seen:
            yield Violation(Rule.UNKNOWN, a.operation, "scheduled more than once")
        elif a.machine not in op.durations or a.machine not in instance.machine:
            yield Violation(Rule.ELIGIBILITY, a.operation, f"cannot run on {a.machine}")
        seen.add(a.operation)
    for op_id in instance.operations.keys() - seen:
        yield Violation(Rule.MISSING, op_id, "not scheduled")


def _timing(instance: Instance, schedule: Schedule) -> Iterator[Violation]:
    for a in schedule.assignments:
        op = instance.operations[a.operation]
        release = instance.job[op.job].release
        if a.start < release:
            yield Violation(Rule.RELEASE, a.operation, f"starts at {a.start} before {release}")
        need = op.durations[a.machine]
        is_batch = a.batch is not None and instance.machine[a.machine].capacity > 1
        if (a.end - a.start < need) if is_batch else (a.end - a.start != need):
            yield Violation(Rule.DURATION, a.operation, f"lasts {a.end - a.start}, needs {need}")


def _precedence(instance: Instance, schedule: Schedule) -> Iterator[Violation]:
    for op_id, before in instance.predecessor.items():
        start, done = schedule.of[op_id].start, schedule.of[before.id].end
        if start < done:
            yield Violation(Rule.PRECEDENCE, op_id, f"starts at {start} before {before.id} ends")


def _machines(instance: Instance, schedule: Schedule) -> Iterator[Violation]:
    for machine in instance.machines:
        machine_runs = runs(schedule, machine.id)
        for run in machine_runs:
            yield from _batch(instance, machine, run)
            yield from _calendar(machine, run[0])
        for first, second in itertools.pairwise(machine_runs):
            yield from _gap(instance, machine, first[0], second[0])
        if machine_runs:
            yield from _first_setup(instance, machine, machine_runs[0][0])


def _batch(instance: Instance, machine: Machine, run: list[Assignment]) -> Iterator[Violation]:
    lead = run[0]
    size = sum(instance.operations[a.operation].size for a in run)
    if len(run) > 1 and size > machine.capacity:
        yield Violation(
            Rule.BATCH,
            lead.operation,
            f"{size} pieces in one run on {machine.id}, capacity {machine.capacity}",
        )
    families = {instance.operations[a.operation].family for a in run}
    if len(families) > 1:
        yield Violation(Rule.BATCH, lead.operation, f"mixes families {sorted(families)}")
    for a in run[1:]:
        if (a.start, a.end) != (lead.start, lead.end):
            yield Violation(Rule.BATCH, a.operation, f"does not run with batch {a.batch}")


def _calendar(machine: Machine, a: Assignment) -> Iterator[Violation]:
    if not machine.is_available(a.start, a.end):
        yield Violation(Rule.CALENDAR, a.operation, f"{machine.id} is unavailable then")


def _first_setup(instance: Instance, machine: Machine, a: Assignment) -> Iterator[Violation]:
    setup = machine.first_changeover(instance.operations[a.operation].family)
    if a.start < setup:
        yield Violation(
            Rule.OVERLAP,
            a.operation,
            f"starts at {a.start} on {machine.id} before its changeover from {machine.setup} "
            f"ends at {setup}",
        )


def _gap(instance: Instance, machine: Machine, a: Assignment, b: Assignment) -> Iterator[Violation]:
    setup = machine.changeover(
        instance.operations[a.operation].family, instance.operations[b.operation].family
    )
    if b.start < a.end + setup:
        detail = f" plus a changeover of {setup}" if setup else ""
        yield Violation(
            Rule.OVERLAP,
            b.operation,
            f"starts at {b.start} on {machine.id} before {a.operation} ends{detail}",
        )


def _operators(instance: Instance, schedule: Schedule) -> Iterator[Violation]:
    attended: dict[str, dict[object, tuple[int, int, str]]] = {}
    for a in schedule.assignments:
        op = instance.operations[a.operation]
        if op.skill is None:
            continue
        operator = next((o for o in instance.operators if o.id == a.operator), None)
        if operator is None or op.skill not in operator.skills:
            yield Violation(
                Rule.SKILL,
                a.operation,
                f"needs skill {op.skill!r}, operator {a.operator!r} lacks it",
            )
            continue
        end = a.start + op.attended_time(a.end - a.start)
        if not operator.on_shift(a.start, end):
            yield Violation(Rule.SHIFT, a.operation, f"{operator.id} is off shift at {a.start}")
        key: object = (a.machine, a.batch) if a.batch is not None else a.operation
        attended.setdefault(operator.id, {})[key] = (a.start, end, a.operation)
    for operator_id, work in attended.items():
        spans = sorted(work.values())
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            if start < end:
                yield Violation(
                    Rule.OPERATOR, second, f"{operator_id} is still busy with {first} at {start}"
                )
