"""Batch machines in durations and quotes: a line's pieces share a run, a quote pays its pieces'
share of the run, and joins a planned run of its family that has room for it.

The demo's resin printers cure 6 pieces per run, its SLS printers sinter 16.
"""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.execution.model import Task, TaskState
from microfab.execution.queues import backlog_hours, site_loads
from microfab.network.model import MachineSpec, Network, Process
from microfab.orders.model import OrderLine, minutes_moved, step_minutes
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.scheduling.dispatch import (
    Attending,
    PlannedRun,
    PlannedStep,
    SiteLoad,
    place_step,
    plan_order,
)

from .test_batch_runs import MUNICH, mount, place_mounts, sintering
from .test_order_journey import drive


def tips(network: Network, pairs: int) -> OrderLine:
    return OrderLine(
        "earbud-tips", pairs, "resin-standard", network.product("earbud-tips").validate({})
    )


def a_mount(network: Network, pieces: int = 1) -> OrderLine:
    return OrderLine("bike-mount", pieces, "pa12", network.product("bike-mount").validate({}))


def machine(network: Network, machine_id: str) -> MachineSpec:
    return network.machine(machine_id)[1]


# -- durations -----------------------------------------------------------------------------------


def test_a_line_on_a_batch_machine_is_made_in_one_run_per_capacity(network: Network) -> None:
    product = network.product("earbud-tips")
    resin = machine(network, "munich-sla")
    assert resin.batch_capacity == 6
    print_ = product.routing[0]
    one_run = step_minutes(product, tips(network, 1), print_, resin)
    assert one_run == print_.minutes(product, tips(network, 1).params, 1)
    assert step_minutes(product, tips(network, 4), print_, resin) == one_run
    assert step_minutes(product, tips(network, 6), print_, resin) == one_run
    assert step_minutes(product, tips(network, 10), print_, resin) == 2 * one_run


def test_a_line_on_a_one_part_machine_makes_its_pieces_one_after_another(
    network: Network,
) -> None:
    product = network.product("earbud-tips")
    resin = replace(machine(network, "munich-sla"), batch_capacity=1)
    print_ = product.routing[0]
    line = tips(network, 4)
    assert step_minutes(product, line, print_, resin) == print_.minutes(product, line.params, 4)


@pytest.mark.parametrize("pieces", [1, 4, 6, 10, 13])
@pytest.mark.parametrize(("capacity", "speed"), [(1, 1.0), (4, 1.0), (6, 2.0), (16, 0.5)])
def test_replanned_minutes_on_another_machine_are_its_step_minutes(
    network: Network, pieces: int, capacity: int, speed: float
) -> None:
    product = network.product("earbud-tips")
    resin = machine(network, "munich-sla")
    other = replace(resin, id="other-sla", batch_capacity=capacity, speed_factor=speed)
    print_ = product.routing[0]
    line = tips(network, pieces)
    here = step_minutes(product, line, print_, resin)
    there = minutes_moved(here, pieces, print_.setup_minutes, resin, other)
    assert there == pytest.approx(step_minutes(product, line, print_, other))
    back = minutes_moved(there, pieces, print_.setup_minutes, other, resin)
    assert back == pytest.approx(here)


def test_an_oversized_line_runs_alone_for_all_its_runs(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    twenty = LineRequest("bike-mount", 20, {"bar_diameter_mm": 31.8}, "pa12")
    big = services.orders.place(PlaceOrder("cust-big", (twenty,), MUNICH)).order.id
    small = place_mounts(services, 2)
    controller.step()
    big_task = next(t for t in sintering(services, [big]) if t.factory_id == "munich")
    product = services.network.product("bike-mount")
    sinter = product.routing[0]
    per_run = sinter.setup_minutes + sinter.minutes_per_unit.evaluate(
        product, product.validate({"bar_diameter_mm": 31.8})
    )
    assert big_task.minutes == pytest.approx(2 * per_run, abs=1e-3)  # 20 pieces: two runs of 16
    place_mounts(services, 2)
    drive(controller, clock, clock.now() + timedelta(days=2))
    (big_task,) = [t for t in sintering(services, [big]) if t.factory_id == "munich"]
    assert big_task.state is TaskState.FINISHED
    assert big_task.run is None, "it ran alone"
    assert big_task.started_at is not None
    assert big_task.ended_at is not None
    assert big_task.ended_at - big_task.started_at >= timedelta(minutes=2 * per_run - 1)
    others = [t for t in sintering(services, small) if t.factory_id == "munich"]
    assert len(others) == 2
    assert {t.state for t in others} == {TaskState.FINISHED}


# -- run shares ----------------------------------------------------------------------------------


def test_a_line_pays_its_pieces_share_of_the_run(network: Network, clock: ManualClock) -> None:
    resin = machine(network, "munich-sla")
    load = SiteLoad({}, waiting={("sla", "resin-standard"): 3})
    assert load.run_share(resin, "sla", "resin-standard", 3) == pytest.approx(3 / 6)
    assert load.run_share(resin, "sla", "resin-standard", 1) == pytest.approx(1 / 4)
    assert load.run_share(resin, "sla", "resin-standard", 6) == 1.0
    assert load.run_share(resin, "sla", "resin-tough", 3) == 1.0
    # ten pieces take two runs: the first full, the last four share with what waits
    assert SiteLoad({}).run_share(resin, "sla", "resin-standard", 10) == 1.0
    assert load.run_share(resin, "sla", "resin-standard", 10) == pytest.approx((1 + 4 / 6) / 2)


def test_a_quoted_line_of_three_with_three_pieces_waiting_pays_half_a_run(
    network: Network, clock: ManualClock
) -> None:
    now = clock.now()
    site = network.site("munich")
    load = SiteLoad({m.id: now for m in site.machines}, waiting={("sla", "resin-standard"): 3})
    plan = plan_order(network, site, [tips(network, 3)], now, load)
    cure = next(s for s in plan.steps if s.operation.process == "sla")
    assert cure.pieces == 3
    assert cure.share == pytest.approx(0.5)


def test_booking_a_step_counts_its_pieces_as_waiting(network: Network, clock: ManualClock) -> None:
    now = clock.now()
    site = network.site("munich")
    load = SiteLoad({m.id: now for m in site.machines})
    plan = plan_order(network, site, [tips(network, 3)], now, load)
    for step in plan.steps:
        load.book(step)
    assert load.waiting[("sla", "resin-standard")] == 3


def task(
    task_id: str, job_id: str, machine_id: str, start: datetime, minutes: float, **changes: object
) -> Task:
    made = Task(
        task_id,
        job_id,
        "o-" + job_id,
        machine_id.split("-")[0],
        0,
        "sinter",
        "sls" if machine_id.endswith("sls") else "sla",
        machine_id,
        "pa12" if machine_id.endswith("sls") else "resin-standard",
        False,
        minutes,
        start,
        start + timedelta(minutes=minutes),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_site_loads_count_waiting_pieces_and_planned_runs(
    network: Network, clock: ManualClock
) -> None:
    now = clock.now()
    later = now + timedelta(hours=2)
    tasks = [
        task("t1", "j1", "munich-sls", now, 60, state=TaskState.RUNNING, started_at=now),
        task("t2", "j2", "munich-sls", later, 50),
        task("t3", "j3", "munich-sls", later, 45),
        task("t4", "j4", "munich-sls", later + timedelta(hours=1), 45),
    ]
    pieces = {"j1": 9, "j2": 5, "j3": 3, "j4": 2}
    load = site_loads(network, tasks, now, pieces)["munich"]
    assert load.waiting[("sls", "pa12")] == 5 + 3 + 2  # the run under way takes no more
    first, second = load.runs["munich-sls"]
    assert (first.start, first.end, first.pieces, first.shortest) == (
        later,
        later + timedelta(minutes=50),
        8,
        45,
    )
    assert (second.start, second.pieces) == (later + timedelta(hours=1), 2)


def test_backlog_counts_the_places_a_line_takes_in_its_runs(
    network: Network, clock: ManualClock
) -> None:
    now = clock.now()
    one = backlog_hours(network, [task("t1", "j1", "munich-sla", now, 60)], {"j1": 1})
    four = backlog_hours(network, [task("t1", "j1", "munich-sla", now, 60)], {"j1": 4})
    assert four[("munich", "sla")] == pytest.approx(4 * one[("munich", "sla")])


# -- joining a planned run -----------------------------------------------------------------------


def sls_load(network: Network, now: datetime, *runs: PlannedRun) -> SiteLoad:
    """Munich with its SLS printer booked for ten hours, ``runs`` planned in them."""
    site = network.site("munich")
    load = SiteLoad({m.id: now for m in site.machines})
    load.machines["munich-sls"] = now + timedelta(hours=10)
    load.runs["munich-sls"] = list(runs)
    load.waiting[("sls", "pa12")] = sum(r.pieces for r in runs)
    return load


def sinter_step(network: Network, now: datetime, load: SiteLoad, pieces: int = 1) -> PlannedStep:
    plan = plan_order(network, network.site("munich"), [a_mount(network, pieces)], now, load)
    return next(s for s in plan.steps if s.operation.process == "sls")


def a_run(now: datetime, hours: float, pieces: int, family: str = "pa12") -> PlannedRun:
    start = now + timedelta(hours=hours)
    return PlannedRun(family, False, start, start + timedelta(hours=2), pieces, 100.0)


def test_a_quoted_part_joins_a_planned_run_with_room(network: Network, clock: ManualClock) -> None:
    now = clock.now()
    run = a_run(now, 3, 10)
    step = sinter_step(network, now, sls_load(network, now, run), pieces=4)
    assert step.joined
    assert (step.start, step.end) == (run.start, run.end)
    assert step.share == pytest.approx(4 / 14)


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(lambda now: a_run(now, 3, 13), id="full"),
        pytest.param(lambda now: a_run(now, 3, 2, family="pa11"), id="another-family"),
        pytest.param(lambda now: a_run(now, -0.5, 2), id="starts-before-the-part-is-ready"),
        pytest.param(
            lambda now: replace(a_run(now, 3, 2), attended=True), id="attended-by-a-person"
        ),
    ],
)
def test_a_quoted_part_goes_after_the_machines_work_when_no_run_takes_it(
    network: Network, clock: ManualClock, run: object
) -> None:
    now = clock.now()
    planned = run(now)  # type: ignore[operator]
    step = sinter_step(network, now, sls_load(network, now, planned), pieces=4)
    assert not step.joined
    assert step.start == now + timedelta(hours=10)


def test_an_attended_part_joins_only_a_run_no_shorter_than_itself(
    network: Network, clock: ManualClock
) -> None:
    now = clock.now()
    sls = machine(network, "munich-sls")
    long_enough = replace(a_run(now, 3, 2), attended=True, shortest=60.0)
    load = sls_load(network, now, long_enough)
    assert load.open_run(sls, "pa12", True, now, 1, 60.0) == long_enough
    assert load.open_run(sls, "pa12", True, now, 1, 61.0) is None
    assert load.open_run(sls, "pa12", False, now, 1, 60.0) is None


def test_a_part_longer_than_its_run_makes_the_run_and_the_machines_later_work_later(
    network: Network, clock: ManualClock
) -> None:
    now = clock.now()
    short = PlannedRun(
        "pa12", False, now + timedelta(hours=1), now + timedelta(hours=1, minutes=5), 2, 5.0
    )
    after = a_run(now, 4, 16)
    load = sls_load(network, now, short, after)
    step = sinter_step(network, now, load)
    assert step.joined
    assert step.start == short.start
    assert step.end == short.start + timedelta(minutes=step.minutes)
    later = step.end - short.end
    load.book(step)
    joined, moved = load.runs["munich-sls"]
    assert (joined.end, joined.pieces) == (step.end, 3)
    assert (moved.start, moved.end) == (after.start + later, after.end + later)
    assert load.machines["munich-sls"] == now + timedelta(hours=10) + later


def test_a_quote_promises_the_planned_run_and_the_machine_makes_it_there(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    place_mounts(services, 3)
    controller.step()  # a run of three starts
    waiting = place_mounts(services, 2)
    controller.step()  # two more are planned in the next run
    planned = [t for t in sintering(services, waiting) if t.factory_id == "munich"]
    assert len(planned) == 2
    assert {t.state for t in planned} == {TaskState.SCHEDULED}
    run_end = max(t.planned_end for t in planned)
    offer = services.orders.quote((mount(22),), MUNICH)  # no longer than the two
    munich = next(o for o in offer.local if o.site_id == "munich")
    assert munich.ready_at >= run_end
    third = services.orders.place(PlaceOrder("cust-x", (mount(22),), MUNICH)).order.id
    controller.step()
    (sinter,) = sintering(services, [third])
    assert sinter.factory_id == "munich"
    assert sinter.planned_start == planned[0].planned_start
    assert sinter.planned_end == run_end
    drive(controller, clock, clock.now() + timedelta(days=2))
    made = sintering(services, [*waiting, third])
    assert len({(t.started_at, t.run) for t in made}) == 1, "the three are sintered in one run"


# -- people on attended runs ---------------------------------------------------------------------


def test_an_attended_run_takes_one_person_however_many_parts_it_makes(
    network: Network, clock: ManualClock
) -> None:
    now = clock.now()
    started = {"state": TaskState.RUNNING, "started_at": now, "attended": True}
    run = [task(f"t{k}", f"j{k}", "munich-sls", now, 60 + k, run="t0", **started) for k in range(3)]
    alone = task("t9", "j9", "munich-sla", now, 30, **started)
    load = site_loads(network, [*run, alone], now)["munich"]
    assert sorted(load.attended) == [
        Attending(now, now + timedelta(minutes=30), Process.SLA),
        Attending(now, now + timedelta(minutes=62), Process.SLS),
    ]


def test_a_part_joining_an_attended_run_books_no_second_person(
    network: Network, clock: ManualClock
) -> None:
    now = clock.now()
    planned = replace(a_run(now, 3, 2), attended=True, shortest=600.0)
    load = sls_load(network, now, planned)
    load.attended = [Attending(planned.start, planned.end, Process.SLS)]
    line = a_mount(network)
    attended_sinter = replace(network.product("bike-mount").routing[0], attended=True)
    step = place_step(
        network.site("munich"),
        network.product("bike-mount"),
        line,
        (0, 0),
        attended_sinter,
        now,
        load,
    )
    assert step.joined
    load.book(step)
    assert load.attended == [Attending(planned.start, planned.end, Process.SLS)]
