"""Repair after a breakdown or a rush order: started work stays, the rest is re-planned."""

from __future__ import annotations

import itertools

import pytest

from microfab.errors import InvalidInput
from microfab.scheduling.checker import check
from microfab.scheduling.cpsat import Settings, solve
from microfab.scheduling.factory_instance import factory_instance
from microfab.scheduling.model import Assignment, Instance, Job, Machine, Operation, Schedule
from microfab.scheduling.repair import Disruption, disrupted, frozen_work, repair
from microfab.scheduling.rules import (
    RULES,
    Dispatcher,
    _Option,
    dispatch,
    kept_unless_beaten,
    right_shift,
)


def printing_at(plan: Schedule, now: int) -> str:
    """An FDM printer the plan has at work at ``now``."""
    return next(
        a.machine for a in plan.assignments if a.start < now < a.end and a.machine.startswith("fdm")
    )


def test_replans_around_a_broken_printer_and_keeps_started_work() -> None:
    instance = factory_instance(orders=40, seed=3)
    plan = dispatch(instance, "atcs")
    now = 600
    broken = printing_at(plan, now)
    disruption = Disruption(now=now, broken=broken, back_at=now + 240)
    changed, solution = repair(instance, plan, disruption, budget=2.0)
    assert check(changed, solution.schedule) == []
    for op_id, kept in frozen_work(plan, disruption).items():
        assert solution.schedule.of[op_id] == kept
    on_broken = [a for a in solution.schedule.on_machine(broken) if a.end > now]
    assert all(a.start >= now + 240 for a in on_broken)


def test_takes_a_rush_order_in() -> None:
    instance = factory_instance(orders=30, seed=4)
    plan = dispatch(instance, "atcs")
    rush = Job(
        "rush",
        (Operation("rush.print", "rush", {"sls-1": 300, "sls-2": 300}, "pa12"),),
        due=2000,
        weight=5,
    )
    changed, solution = repair(instance, plan, Disruption(now=300, rush=(rush,)), budget=0.1)
    assert solution.schedule.of["rush.print"].start >= 300
    assert check(changed, solution.schedule) == []


class _Uncached(Dispatcher):
    """The dispatcher with every cache emptied before each look-up: the reference."""

    def _cached(self, op: Operation) -> _Option:
        self.cache.clear()
        self.slots.clear()
        self.fits.clear()
        return super()._cached(op)


def test_incremental_bookkeeping_changes_no_decision() -> None:
    instance = factory_instance(orders=60, seed=2)
    plan = dispatch(instance, "atcs")
    disruption = Disruption(now=600, broken="fdm-2", back_at=840)
    changed = disrupted(instance, disruption)
    frozen = frozen_work(plan, disruption)
    for rule in ("atcs", "edd"):
        fast = Dispatcher(changed, frozen, disruption.now).run(RULES[rule])
        slow = _Uncached(changed, frozen, disruption.now).run(RULES[rule])
        assert sorted(fast.assignments, key=str) == sorted(slow.assignments, key=str)
        assert check(changed, fast) == []


@pytest.mark.parametrize(
    ("disruption", "reason"),
    [
        (Disruption(now=720, broken="nope", back_at=960), "broken machine 'nope' is not one of"),
        (Disruption(now=720, broken="fdm-2", back_at=100), "not after the breakdown at 720"),
        (Disruption(now=720, broken="fdm-2", back_at=0), "not after the breakdown"),
        (Disruption(now=-5), "times start at 0"),
        (Disruption(now=10, back_at=60), "name the machine that broke"),
    ],
)
def test_a_mistyped_disruption_is_refused(disruption: Disruption, reason: str) -> None:
    instance = factory_instance(40, seed=3)
    plan = dispatch(instance, "atcs")
    with pytest.raises(InvalidInput, match=reason):
        repair(instance, plan, disruption)


def _moved(plan: Schedule, schedule: Schedule) -> set[str]:
    return {
        a.operation
        for a in schedule.assignments
        if a.operation in plan.of
        and (plan.of[a.operation].machine, plan.of[a.operation].start) != (a.machine, a.start)
    }


def test_kept_plan_is_the_plan_when_nothing_happened() -> None:
    instance = factory_instance(orders=60, seed=1)
    plan = solve(instance, Settings(time_limit=2.0)).schedule
    kept = right_shift(instance, plan)
    assert _moved(plan, kept) == set()
    assert {a.operator for a in kept.assignments} == {a.operator for a in plan.assignments}
    assert check(instance, kept) == []


def test_a_breakdown_in_an_idle_gap_moves_nothing() -> None:
    instance = factory_instance(orders=60, seed=1)
    plan = solve(instance, Settings(time_limit=2.0)).schedule
    machine, gap = next(
        (m.id, (a.end, b.start))
        for m in instance.machines
        for a, b in itertools.pairwise(plan.on_machine(m.id))
        if b.start - a.end >= 12 and a.end > 100
    )
    disruption = Disruption(now=gap[0] + 1, broken=machine, back_at=gap[0] + 11)
    changed, solution = repair(instance, plan, disruption, budget=0.0)
    assert _moved(plan, solution.schedule) == set()
    assert solution.solver == "microfab-kept"
    assert check(changed, solution.schedule) == []


def test_the_kept_plan_waits_out_the_breakdown_in_its_machines_order() -> None:
    instance = factory_instance(orders=60, seed=1)
    plan = dispatch(instance, "atcs")
    now = 600
    broken = printing_at(plan, now)
    disruption = Disruption(now=now, broken=broken, back_at=now + 180)
    frozen = frozen_work(plan, disruption)
    changed = disrupted(instance, disruption, frozen)
    kept = right_shift(changed, plan, frozen, now)
    assert check(changed, kept) == []
    later = [a for a in plan.on_machine(broken) if a.end > now]
    assert [a.operation for a in kept.on_machine(broken) if a.end > now] == [
        a.operation for a in later
    ]
    assert all(kept.of[a.operation].start >= now + 180 for a in later)
    assert all(a.start >= plan.of[a.operation].start for a in kept.assignments)


def test_a_drifted_plan_is_kept_in_the_order_its_steps_allow() -> None:
    """A live plan drifts: here a pack is planned before its print, and a batch run holds
    a part whose print is planned after the run starts."""
    jobs = tuple(
        Job(
            f"j{k}",
            (
                Operation(f"j{k}.print", f"j{k}", {"fdm": 10}),
                Operation(f"j{k}.cure", f"j{k}", {"oven": 5}, "resin"),
            ),
        )
        for k in range(2)
    )
    machines = (Machine("fdm", "fdm"), Machine("oven", "oven", capacity=2))
    instance = Instance("drifted", jobs, machines)
    plan = Schedule(
        (
            Assignment("j0.print", "fdm", 0, 10),
            Assignment("j1.print", "fdm", 30, 40),
            Assignment("j0.cure", "oven", 12, 17, batch=1),
            Assignment("j1.cure", "oven", 12, 17, batch=1),
        )
    )
    kept = right_shift(instance, plan, no_earlier=False)
    assert check(instance, kept) == []
    assert kept.of["j1.cure"].start >= kept.of["j1.print"].end


def test_a_tie_goes_to_the_kept_plan_unless_the_fresh_one_finishes_jobs_sooner() -> None:
    """One machine, a long and a short job: either order ends at 11 (the makespan ties), but
    the short one first finishes the jobs at 1 and 11 rather than 10 and 11."""
    jobs = tuple(
        Job(name, (Operation(f"{name}.op", name, {"m": minutes}),))
        for name, minutes in (("long", 10), ("short", 1))
    )
    instance = Instance("tie", jobs, (Machine("m"),))
    long_first = Schedule((Assignment("long.op", "m", 0, 10), Assignment("short.op", "m", 10, 11)))
    short_first = Schedule((Assignment("short.op", "m", 0, 1), Assignment("long.op", "m", 1, 11)))
    assert kept_unless_beaten(instance, long_first, short_first) is None
    kept = kept_unless_beaten(instance, short_first, long_first)
    assert kept is not None
    assert kept.of["short.op"].start == 0, "the kept plan, which finishes sooner, stays"
    again = kept_unless_beaten(instance, long_first, long_first)
    assert again is not None, "a true tie keeps the plan"
    assert again.of["long.op"].start == 0
