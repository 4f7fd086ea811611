"""Batch runs filled by the build plate's area or the chamber's volume, not only by count.

A resin printer lays parts side by side on its plate and an SLS printer nests them in its
chamber: a large part takes more of a run than a small one. A machine ``batch_by: plate`` (or
``chamber``) splits its plate (chamber) into ``batch_capacity`` places, and a piece takes as
many places as its footprint (bounding volume) covers.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from microfab.bootstrap import Services
from microfab.catalog.model import LineEstimate, ProcessEstimate
from microfab.clock import ManualClock
from microfab.errors import InvalidNetwork
from microfab.execution.model import TaskState
from microfab.execution.planning import jobs_and_tasks
from microfab.ids import random_ids
from microfab.network.loader import build_network
from microfab.network.model import BatchMeasure, Location, MachineSpec, Network, Process
from microfab.orders.model import Destination, OrderLine, batch_runs, piece_places, step_minutes
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.scheduling.dispatch import Plan, PlannedRun, PlannedStep, SiteLoad, place_step

from .conftest import services_on

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BERLIN = Destination(Location(52.52, 13.40), "Berlin")
GRIP = (72.0, 30.0, 4.0)  # the phone grip's bounding box, as the catalog measures it


def resin(measure: BatchMeasure, capacity: int = 6) -> MachineSpec:
    return MachineSpec(
        "sla-1", Process.SLA, "Form 3+", frozenset({"resin"}), 0.1,
        build_volume_mm=(145.0, 145.0, 185.0), batch_capacity=capacity, batch_by=measure,
    )  # fmt: skip


def test_a_piece_takes_its_share_of_the_plate_or_the_chamber() -> None:
    plate = resin(BatchMeasure.PLATE)  # six places of 3,504 mm² each
    assert plate.piece_places((40, 40, 10)) == 1  # 1,600 mm²
    assert plate.piece_places((80, 70, 10)) == 2  # 5,600 mm²
    assert plate.piece_places((145, 145, 5)) == 6
    assert plate.piece_places(None) == 1, "size unknown: one place"
    chamber = resin(BatchMeasure.CHAMBER)  # six places of 648 cm³ each
    assert chamber.piece_places((80, 70, 10)) == 1  # 56 cm³: flat parts nest
    assert chamber.piece_places((100, 100, 100)) == 2  # 1,000 cm³
    assert resin(BatchMeasure.PIECES).piece_places((145, 145, 185)) == 1


def grips(quantity: int) -> OrderLine:
    estimate = LineEstimate("template", "phone-grip", 1, "0" * 16, GRIP, (
        ProcessEstimate("fdm", "Prusa MK4", 20.0, material_g=5.0),
    ))  # fmt: skip
    return OrderLine("phone-grip", quantity, "pla", {}, estimate=estimate)


def plate_printer(network: Network, capacity: int = 60) -> MachineSpec:
    """A Berlin printer printing many grips a plate: 52,500 mm² in 60 places of 875 mm², so a
    grip (2,160 mm²) takes three places and a run holds twenty."""
    printer = next(m for m in network.site("berlin").machines if m.process is Process.FDM)
    return replace(printer, batch_capacity=capacity, batch_by=BatchMeasure.PLATE)


def test_a_line_takes_as_many_runs_as_its_parts_fill_plates(network: Network) -> None:
    product = network.product("phone-grip")
    printer = plate_printer(network)
    by_count = replace(printer, batch_by=BatchMeasure.PIECES)
    print_step = product.routing[0]
    one_run = print_step.setup_minutes + 20.0
    berlin = replace(network.site("berlin"), machines=(printer,))
    places = piece_places(berlin, "fdm", grips(25))
    assert places == 3
    assert step_minutes(product, grips(20), print_step, printer, places) == one_run
    assert step_minutes(product, grips(25), print_step, printer, places) == 2 * one_run
    assert step_minutes(product, grips(25), print_step, by_count) == one_run
    assert batch_runs(25, printer, 3) == 2


def test_a_line_pays_its_places_share_of_the_run(network: Network) -> None:
    """Ten grips take 30 of a run's 60 places; with 30 places of grips waiting, they pay half
    the run, and alone all of it."""
    printer = plate_printer(network)
    load = SiteLoad({printer.id: MONDAY})
    assert load.run_share(printer, "fdm", "pla-red", 10, 3) == 1.0
    load.waiting[("fdm", "pla-red")] = 30
    assert load.run_share(printer, "fdm", "pla-red", 10, 3) == pytest.approx(0.5)


@pytest.mark.parametrize(("quantity", "joins"), [(8, True), (9, False)])
def test_a_quote_joins_a_planned_run_only_with_room_on_the_plate(
    network: Network, quantity: int, joins: bool
) -> None:
    """A run of twelve grips (36 of 60 places) is planned: eight more grips (24 places) join
    it, nine (27) do not."""
    printer = plate_printer(network)
    berlin = replace(network.site("berlin"), machines=(printer,))
    product = network.product("phone-grip")
    line = replace(grips(quantity), params=product.validate({"name": "Ada", "colour": "red"}))
    family = product.routing[0].family(line.material, line.params)
    load = SiteLoad({printer.id: MONDAY})
    load.runs[printer.id] = [
        PlannedRun(family, False, MONDAY, MONDAY + timedelta(minutes=26), 36, 26.0)
    ]
    step = place_step(berlin, product, line, (0, 0), product.routing[0], MONDAY, load)
    assert step.joined is joins
    assert step.pieces == 3 * quantity


def place_grips(services: Services, orders: int, quantity: int) -> list[str]:
    """Place ``orders`` orders of ``quantity`` red grips each for Berlin; their ids."""
    line = LineRequest("phone-grip", quantity, {"name": "Ada", "colour": "red"}, "pla")
    return [
        services.orders.place(PlaceOrder(f"cust-{k}", (line,), BERLIN)).order.id
        for k in range(orders)
    ]


def plate_network(
    demo_doc: dict[str, Any], batch_by: str, printers: int = 6, xl: bool = False
) -> dict[str, Any]:
    """The demo with Berlin's MK4 printers (``printers`` of them) printing up to sixty places
    of grips a plate, and its one-part XL beside them if ``xl``."""
    doc = copy.deepcopy(demo_doc)
    doc["products"] = [p for p in doc["products"] if p["id"] != "desk-lamp"]  # no geometry
    berlin = next(f for f in doc["factories"] if f["id"] == "berlin")
    if not xl:
        berlin["machines"] = [m for m in berlin["machines"] if m["id"] != "berlin-fdm-xl"]
    for machine in berlin["machines"]:
        if machine["id"] == "berlin-fdm":
            machine.update(batch_capacity=60, batch_by=batch_by, count=printers)
    return doc


def test_a_job_takes_the_places_its_factorys_plates_need_whatever_machine_it_starts_on(
    demo_doc: dict[str, Any],
) -> None:
    """Beside the plate printers Berlin keeps its one-part XL. An order planned on the XL
    still takes three places a grip, so the plan or the floor can move it to a plate without
    overfilling it (a review found a 60-place plate holding 63, then 117)."""
    services = services_on(plate_network(demo_doc, "plate", xl=True), ManualClock(MONDAY))
    placed = place_grips(services, 12, quantity=2)
    services.controller(seed=1, failure_rate=0).step()
    with services.uow() as uow:
        tasks = [t for o in placed for t in uow.tasks.for_order(o) if t.process == "fdm"]
        jobs = [uow.tasks.get_job(t.job_id) for t in tasks]
    assert len(jobs) == 12
    assert {j.piece_places for j in jobs} == {3}


def test_a_line_routed_to_the_one_part_printer_keeps_its_places_on_a_plate(
    demo_doc: dict[str, Any],
) -> None:
    """The routing put the grips' print on the XL (one place a piece there): the job still
    counts three places a grip, as the plates beside it need."""
    services = services_on(plate_network(demo_doc, "plate", xl=True), ManualClock(MONDAY))
    line = LineRequest("phone-grip", 2, {"name": "Ada", "colour": "red"}, "pla")
    order = services.orders.place(PlaceOrder("cust-1", (line,), BERLIN)).order
    berlin = services.network.site("berlin")
    xl = next(m for m in berlin.machines if m.id == "berlin-fdm-xl")
    product = services.network.product("phone-grip")
    steps = tuple(
        PlannedStep(0, k, op, xl, MONDAY, MONDAY, 1.0, "pla-red", "pla", pieces=2)
        for k, op in enumerate(product.routing)
    )
    jobs, _ = jobs_and_tasks(order, Plan(berlin, steps), random_ids(), MONDAY)
    assert jobs[0].piece_places == 3


def test_a_product_without_geometry_cannot_go_on_a_plate(demo_doc: dict[str, Any]) -> None:
    doc = plate_network(demo_doc, "plate")
    doc["products"] = demo_doc["products"]
    with pytest.raises(InvalidNetwork, match="product 'desk-lamp' has no geometry to measure"):
        build_network(doc)


@pytest.mark.parametrize(("batch_by", "runs"), [("plate", 2), ("pieces", 1)])
def test_two_orders_share_a_run_only_while_their_parts_fit_the_plate(
    demo_doc: dict[str, Any], batch_by: str, runs: int
) -> None:
    """Two orders of twelve grips take 36 places each by area: more than a 60-place plate, so
    they print in two runs; counted as pieces (24 of 60) they print in one."""
    services = services_on(plate_network(demo_doc, batch_by), ManualClock(MONDAY))
    orders = place_grips(services, 2, quantity=12)
    services.controller(seed=1, failure_rate=0).step()
    with services.uow() as uow:
        tasks = [t for o in orders for t in uow.tasks.for_order(o) if t.process == "fdm"]
        jobs = {uow.tasks.get_job(t.job_id) for t in tasks}
    assert {j.piece_places for j in jobs} == ({3} if batch_by == "plate" else {1})
    assert all(t.factory_id == "berlin" for t in tasks)
    started = [t for t in tasks if t.state is TaskState.RUNNING]
    assert len(started) == 2, "both printing: on one plate, or on two printers"
    assert len({t.run or t.id for t in started}) == runs


@pytest.mark.parametrize(("batch_by", "printing"), [("plate", 1), ("pieces", 2)])
def test_the_floor_fills_a_run_only_with_parts_that_fit_its_places(
    demo_doc: dict[str, Any], batch_by: str, printing: int
) -> None:
    """With one printer, the second order's twelve grips join the first's run only when they
    count as pieces; by area they wait for the next plate."""
    doc = plate_network(demo_doc, batch_by, printers=1)
    services = services_on(doc, ManualClock(MONDAY))
    orders = place_grips(services, 2, quantity=12)
    services.controller(seed=1, failure_rate=0).step()
    with services.uow() as uow:
        tasks = [t for o in orders for t in uow.tasks.for_order(o) if t.process == "fdm"]
    assert [t.state for t in tasks].count(TaskState.RUNNING) == printing


def test_a_machine_batched_by_plate_needs_places_and_a_size(demo_doc: dict[str, Any]) -> None:
    doc = plate_network(demo_doc, "plate")
    berlin = next(f for f in doc["factories"] if f["id"] == "berlin")
    printer = next(m for m in berlin["machines"] if m["process"] == "fdm")
    del printer["build_volume_mm"]
    with pytest.raises(InvalidNetwork, match="batched by plate needs build_volume_mm"):
        build_network(doc)
    printer.update(build_volume_mm=[250, 210, 220], batch_capacity=1)
    with pytest.raises(InvalidNetwork, match="give batch_capacity, the places its run is split"):
        build_network(doc)
    printer.update(batch_capacity=60, batch_by="area")
    with pytest.raises(InvalidNetwork, match="batch_by"):
        build_network(doc)


def test_an_idle_printer_leaves_a_plates_work_it_would_finish_later(
    demo_doc: dict[str, Any],
) -> None:
    """Berlin has one plate printer and the one-part XL. Twenty grips fill a plate in one
    33-minute run; on the XL they print one after another for hours. Before, the idle XL took
    the second plate's grips and printed them in the plate's 33 minutes."""
    clock = ManualClock(MONDAY)
    services = services_on(plate_network(demo_doc, "plate", 1, xl=True), clock)
    orders = place_grips(services, 3, quantity=20)
    controller = services.controller(seed=1, failure_rate=0)
    for _ in range(3):
        controller.step()
        clock.advance(timedelta(minutes=1))
    with services.uow() as uow:
        tasks = [t for o in orders for t in uow.tasks.for_order(o) if t.process == "fdm"]
    assert [t.machine_id for t in tasks if t.state is TaskState.RUNNING] == ["berlin-fdm"]
    assert all(t.machine_id == "berlin-fdm" for t in tasks)
