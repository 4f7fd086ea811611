"""Repair after a breakdown or a rush order: started work stays, the rest is re-planned."""

from __future__ import annotations

from microfab.scheduling.checker import check
from microfab.scheduling.factory_instance import factory_instance
from microfab.scheduling.model import Job, Operation
from microfab.scheduling.repair import Disruption, disrupted, frozen_work, repair
from microfab.scheduling.rules import RULES, Dispatcher, _Option, dispatch


def test_replans_around_a_broken_printer_and_keeps_started_work() -> None:
    instance = factory_instance(orders=40, seed=3)
    plan = dispatch(instance, "atcs")
    now = 600
    broken = next(
        a.machine for a in plan.assignments if a.start < now < a.end and a.machine.startswith("fdm")
    )
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
