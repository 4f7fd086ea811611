"""Batch machines in the live network: several parts of one family in one run.

The demo's SLS printers (Formlabs Fuse 1) sinter up to 16 nylon parts per run, its resin
printers cure up to 6. The controller starts the ready parts together as one machine job, the
run's outcome settles all of them, a restart resumes the run as one job, and re-planning keeps
a run under way as one batch.
"""

import copy
from datetime import timedelta

import pytest

from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.execution.floor_plan import floor_plan
from microfab.execution.model import Task, TaskState
from microfab.execution.replan import (
    FactoryProblem,
    FactoryState,
    PlanningSettings,
    factory_problem,
    replan,
)
from microfab.network.model import Location
from microfab.orders.model import Destination, OrderState
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.scheduling.checker import check
from microfab.scheduling.cpsat import CpModel, Settings, solve
from microfab.scheduling.rules import dispatch
from microfab.simulation.summary import RunWindow, utilisation

from .conftest import services_on
from .test_order_journey import drive

MUNICH = Destination(Location(48.14, 11.58), "Munich")


def mount(diameter: float) -> LineRequest:
    return LineRequest("bike-mount", 1, {"bar_diameter_mm": diameter}, "pa12")


def place_mounts(services: Services, count: int) -> list[str]:
    return [
        services.orders.place(PlaceOrder(f"cust-{k}", (mount(22 + k / 2),), MUNICH)).order.id
        for k in range(count)
    ]


def sintering(services: Services, order_ids: list[str]) -> list[Task]:
    with services.uow() as uow:
        tasks = [t for o in order_ids for t in uow.tasks.for_order(o)]
    return [t for t in tasks if t.process == "sls"]


def test_ready_parts_are_sintered_in_one_run(services: Services, clock: ManualClock) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    orders = place_mounts(services, 3)
    controller.step()
    running = sintering(services, orders)
    assert {t.state for t in running} == {TaskState.RUNNING}
    assert {t.machine_id for t in running} == {"munich-sls"}
    lead = min(running, key=lambda t: t.run != t.id)
    assert {t.run for t in running} == {lead.id}
    status = services.machines["munich-sls"].status()
    assert status.job_id == lead.id
    drive(controller, clock, clock.now() + timedelta(days=2))
    done = sintering(services, orders)
    assert {t.state for t in done} == {TaskState.FINISHED}
    assert len({(t.started_at, t.ended_at) for t in done}) == 1
    # the run lasts as long as its longest part
    started, ended = done[0].started_at, done[0].ended_at
    assert started is not None
    assert ended is not None
    longest = max(t.minutes for t in done)
    assert ended - started >= timedelta(minutes=longest) - timedelta(seconds=1)
    for order_id in orders:
        assert services.orders.get(order_id).state is OrderState.DELIVERED


def with_sls_capacity(doc: dict[str, object], clock: ManualClock, capacity: int) -> Services:
    """The demo network with Munich's SLS printer holding ``capacity`` pieces per run."""
    doc = copy.deepcopy(doc)
    munich = next(s for s in doc["factories"] if s["id"] == "munich")  # type: ignore[attr-defined]
    next(m for m in munich["machines"] if m["id"] == "munich-sls")["batch_capacity"] = capacity
    return services_on(doc, clock)


def test_a_run_takes_no_more_parts_than_the_machine_holds(
    demo_doc: dict[str, object], clock: ManualClock
) -> None:
    services = with_sls_capacity(demo_doc, clock, 4)
    controller = services.controller(seed=1, failure_rate=0)
    orders = place_mounts(services, 6)
    controller.step()
    at_munich = [t for t in sintering(services, orders) if t.factory_id == "munich"]
    assert len(at_munich) > 4, "more parts wait than one run holds"
    running = [t for t in at_munich if t.state is TaskState.RUNNING]
    assert len(running) == 4
    assert len({t.run for t in running}) == 1


def test_a_run_counts_the_pieces_of_each_line(
    demo_doc: dict[str, object], clock: ManualClock
) -> None:
    services = with_sls_capacity(demo_doc, clock, 4)
    controller = services.controller(seed=1, failure_rate=0)
    three = LineRequest("bike-mount", 3, {"bar_diameter_mm": 31.8}, "pa12")
    orders = [services.orders.place(PlaceOrder("cust-a", (three,), MUNICH)).order.id]
    orders += place_mounts(services, 2)
    controller.step()
    at_munich = [t for t in sintering(services, orders) if t.factory_id == "munich"]
    assert len(at_munich) == 3
    with services.uow() as uow:
        pieces = {t.id: uow.tasks.get_job(t.job_id).quantity for t in at_munich}
    running = [t for t in at_munich if t.state is TaskState.RUNNING]
    room = 4 - sum(pieces[t.id] for t in running)
    waiting = [t for t in at_munich if t.state is TaskState.SCHEDULED]
    assert room >= 0
    assert waiting, "five pieces do not fit in a run of four"
    assert all(pieces[t.id] > room for t in waiting), "a part that fits is not left behind"


def test_a_quote_shares_the_run_with_the_parts_waiting_for_it(
    services: Services, clock: ManualClock
) -> None:
    def munich_cents() -> int:
        offer = services.orders.quote((mount(30),), MUNICH)
        return next(o.production_cents for o in offer.local if o.site_id == "munich")

    alone = munich_cents()
    controller = services.controller(seed=1, failure_rate=0)
    place_mounts(services, 3)
    controller.step()  # a run of three starts
    assert munich_cents() == alone, "a run under way takes no more parts"
    place_mounts(services, 2)
    controller.step()  # two more wait for the next run
    assert munich_cents() < alone


def test_a_failed_run_fails_every_part_and_each_is_made_again(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=2, failure_rate=50)
    orders = place_mounts(services, 3)
    controller.step()
    first = {t.id for t in sintering(services, orders)}
    while not any(t.state is TaskState.FAILED for t in sintering(services, orders)):
        wake = controller.next_wakeup()
        assert wake is not None
        clock.set(wake)
        controller.step()
    tasks = sintering(services, orders)
    failed = [t for t in tasks if t.id in first]
    assert {t.state for t in failed} == {TaskState.FAILED}
    assert len({t.ended_at for t in failed}) == 1
    again = [t for t in tasks if t.attempt == 2]
    assert sorted(t.job_id for t in again) == sorted(t.job_id for t in failed)


def test_a_restarted_controller_resumes_a_run_as_one_job(
    services: Services, clock: ManualClock
) -> None:
    first = services.controller(seed=1, failure_rate=0)
    orders = place_mounts(services, 3)
    first.step()
    lead = next(t for t in sintering(services, orders) if t.run == t.id)
    services.machines.clear()  # the process died: its machine drivers are gone
    second = services.controller(seed=2, failure_rate=0)
    assert second.recover() >= 3
    assert services.machines["munich-sls"].status().job_id == lead.id
    drive(second, clock, clock.now() + timedelta(days=2))
    assert {t.state for t in sintering(services, orders)} == {TaskState.FINISHED}


def munich_problem(
    services: Services, clock: ManualClock, running: int, waiting: int, due: timedelta
) -> tuple[FactoryProblem, list[str]]:
    """Munich's open work with a run of ``running`` mounts under way and ``waiting`` more routed
    behind it; also the waiting orders' ids."""
    controller = services.controller(seed=1, failure_rate=0)
    orders = place_mounts(services, running)
    controller.step()
    later = place_mounts(services, waiting)
    controller.step()  # routes them; the SLS printer is busy with the first run
    with services.uow() as uow:
        tasks = uow.tasks.in_states("munich", (TaskState.SCHEDULED, TaskState.RUNNING))
        jobs = {t.job_id: uow.tasks.get_job(t.job_id) for t in tasks}
    deadline = {o: clock.now() + due for o in orders + later}
    site = services.network.site("munich")
    state = FactoryState(jobs, deadline)
    return factory_problem(services.network, site, tasks, state, clock.now()), later


def test_replanning_keeps_a_run_under_way_as_one_batch(
    services: Services, clock: ManualClock
) -> None:
    problem, later = munich_problem(services, clock, 3, 2, timedelta(days=2))
    tasks = list(problem.tasks.values())
    runs = {a.batch for op, a in problem.frozen.items() if problem.tasks[op].process == "sls"}
    assert len(runs) == 1
    assert None not in runs
    schedule = dispatch(problem.instance, "atcs", problem.frozen, 0)
    assert check(problem.instance, schedule) == []
    new = [schedule.of[t.id] for t in tasks if t.process == "sls" and t.order_id in later]
    assert len(new) == 2
    assert all(a.machine == "munich-sls" for a in new)
    assert len({(a.start, a.batch) for a in new}) == 1, "the two new parts share the next run"


def test_a_run_counts_once_in_its_factorys_utilisation(
    services: Services, clock: ManualClock
) -> None:
    start = clock.now()
    controller = services.controller(seed=1, failure_rate=0)
    orders = place_mounts(services, 3)
    controller.step()
    clock.set(start + timedelta(minutes=10))
    window = RunWindow(start, clock.now())
    running = sintering(services, orders)
    assert len(running) == 3
    munich = services.network.site("munich")
    ten_minutes_of_one_machine = 10 / (10 * len(munich.machines))
    busy = utilisation(services.network, running, window)["munich"]
    assert busy == pytest.approx(ten_minutes_of_one_machine, abs=1e-4)


def test_cp_sat_plans_around_a_run_under_way(services: Services, clock: ManualClock) -> None:
    problem, later = munich_problem(services, clock, 3, 4, timedelta(hours=6))
    solution = solve(problem.instance, Settings(time_limit=2.0, workers=1), frozen=problem.frozen)
    assert solution.status == "optimal"
    assert check(problem.instance, solution.schedule) == []
    for op, held in problem.frozen.items():
        assert solution.schedule.of[op] == held
    replan(problem, PlanningSettings("atcs", seconds=2.0, workers=1))
    sls = [t for t in problem.tasks.values() if t.process == "sls" and t.order_id in later]
    assert len(sls) == 4
    assert len({(t.machine_id, t.planned_start) for t in sls}) == 1, "the waiting four: one run"


def test_the_gantt_plan_of_a_run_under_way_passes_the_checker(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    orders = place_mounts(services, 3)
    controller.step()
    running = sintering(services, orders)
    assert len({t.planned_end for t in running}) == 1, "the parts end when the run does"
    with services.uow() as uow:
        tasks = uow.tasks.in_states("munich", (TaskState.SCHEDULED, TaskState.RUNNING))
    plan = floor_plan(services.network.site("munich"), tasks, clock.now())
    assert check(plan.instance, plan.schedule) == []
    assert len({plan.schedule.of[t.id].batch for t in running}) == 1


def test_routing_counts_a_batch_machines_queue_by_the_parts_it_makes_at_once(
    services: Services,
) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    orders = place_mounts(services, 12)
    controller.step()
    assert {services.orders.get(o).factory_id for o in orders} == {"munich"}


def test_cp_sat_may_regroup_a_resin_printers_runs_with_or_without_changeovers(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    tips = LineRequest("earbud-tips", 1, {"tip_size_mm": 12}, "resin-standard")
    for k in range(8):
        services.orders.place(PlaceOrder(f"cust-{k}", (tips,), MUNICH))
    controller.step()
    with services.uow() as uow:
        tasks = uow.tasks.in_states("munich", (TaskState.SCHEDULED, TaskState.RUNNING))
        jobs = {t.job_id: uow.tasks.get_job(t.job_id) for t in tasks}
    assert any(t.machine_id == "munich-sla" for t in tasks)
    state = FactoryState(jobs, {})
    problem = factory_problem(
        services.network, services.network.site("munich"), tasks, state, clock.now()
    )
    resin = problem.instance.machine["munich-sla"]
    assert not any(resin.changeovers.values()), "one resin to print: nothing to change over"
    hint = dispatch(problem.instance, "atcs", problem.frozen, 0)
    model = CpModel(problem.instance, hint, problem.frozen)
    assert "munich-sla" in model.slots, "its waiting parts pick their run in CP-SAT"
    state = FactoryState(jobs, {}, loaded={"munich-sla": "resin-tough"})
    problem = factory_problem(
        services.network, services.network.site("munich"), tasks, state, clock.now()
    )
    assert problem.instance.machine["munich-sla"].changeovers[("resin-tough", "resin-standard")] > 0
    hint = dispatch(problem.instance, "atcs", problem.frozen, 0)
    model = CpModel(problem.instance, hint, problem.frozen)
    assert "munich-sla" in model.slots, "the vat change hangs on the family each run takes"


def test_cp_sat_may_regroup_the_runs_of_an_sls_printer(
    services: Services, clock: ManualClock
) -> None:
    problem, _ = munich_problem(services, clock, 3, 4, timedelta(hours=6))
    sls = problem.instance.machine["munich-sls"]
    assert not any(sls.changeovers.values())
    hint = dispatch(problem.instance, "atcs", problem.frozen, 0)
    model = CpModel(problem.instance, hint, problem.frozen)
    assert model.slots.get("munich-sls"), "the waiting parts pick their run in CP-SAT"


def test_an_attended_run_takes_one_person_so_the_other_can_still_work(
    demo_doc: dict[str, object], clock: ManualClock
) -> None:
    """Munich with two people on shift, sintering attended: a run of three parts under way
    leaves the second person free to mill a knob."""
    doc = copy.deepcopy(demo_doc)
    products = doc["products"]
    sinter = next(p for p in products if p["id"] == "bike-mount")["routing"][0]  # type: ignore[attr-defined]
    sinter["attended"] = True
    munich = next(s for s in doc["factories"] if s["id"] == "munich")  # type: ignore[attr-defined]
    two = [p for p in munich["operators"] if p["id"].startswith("munich-early-assembly")]
    for person in two:
        person["skills"] = ["assembly", "sls", "cnc_mill"]
    munich["operators"] = two
    services = services_on(doc, clock)
    controller = services.controller(seed=1, failure_rate=0)
    orders = [
        services.orders.place(PlaceOrder(f"cust-{k}", (mount(25),), MUNICH)).order.id
        for k in range(3)
    ]
    controller.step()
    running = [t for t in sintering(services, orders) if t.state is TaskState.RUNNING]
    assert len(running) == 3
    assert all(t.attended for t in running)
    assert len({t.run for t in running}) == 1
    knob = LineRequest("window-crank-knob", 1, {}, "aluminium-6061")
    order = services.orders.place(PlaceOrder("cust-knob", (knob,), MUNICH)).order.id
    controller.step()
    with services.uow() as uow:
        milling = [t for t in uow.tasks.for_order(order) if t.process == "cnc_mill"]
    assert [(t.factory_id, t.state) for t in milling] == [("munich", TaskState.RUNNING)]
