from dataclasses import replace
from datetime import timedelta

import pytest

from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.errors import NoCapableFactory
from microfab.network.model import Location, Network, Process
from microfab.orders.model import Destination, OrderLine
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.quoting.model import QuoteOption
from microfab.quoting.service import quote
from microfab.routing.service import choose_factory
from microfab.scheduling.dispatch import (
    Attending,
    Booking,
    PlannedStep,
    SiteLoad,
    plan_order,
    site_load,
)

HAMBURG = Destination(Location(53.55, 10.0), "Hamburg")


def lamp(network: Network) -> OrderLine:
    product = network.product("desk-lamp")
    return OrderLine("desk-lamp", 1, "pla", product.validate({}))


def test_a_quote_offers_every_capable_factory_and_the_central_baseline(
    network: Network, clock: ManualClock
) -> None:
    offer = quote(network, [lamp(network)], HAMBURG, clock.now(), {})
    assert offer.best is not None
    assert offer.best.site_id == "hamburg"
    assert {o.site_id for o in offer.local} == {f.id for f in network.factories}
    assert [o.mode for o in offer.central] == ["air", "sea"]
    air, sea = offer.central
    local = offer.best
    assert local.delivery_at < air.delivery_at < sea.delivery_at
    assert air.footprint.transport > local.footprint.transport
    assert local.price_cents > local.production_cents


def test_a_quote_counts_energy_materials_and_transport(
    network: Network, clock: ManualClock
) -> None:
    best = quote(network, [lamp(network)], HAMBURG, clock.now(), {}).best
    assert best is not None
    footprint = best.footprint
    assert footprint.energy > 0
    assert footprint.materials > 2.5, "the LED kit alone embodies 2.5 kg CO2e"
    assert footprint.total == pytest.approx(
        footprint.energy + footprint.materials + footprint.transport
    )


def test_a_busy_factory_quotes_a_later_ready_date(network: Network, clock: ManualClock) -> None:
    now = clock.now()
    idle = quote(network, [lamp(network)], HAMBURG, now, {}).best
    hamburg = network.site("hamburg")
    busy_until = {m.id: now + timedelta(hours=30) for m in hamburg.machines}
    busy = quote(network, [lamp(network)], HAMBURG, now, {"hamburg": SiteLoad(busy_until)})
    assert idle is not None
    assert busy.best is not None
    assert busy.best.site_id != "hamburg"
    hamburg_option = next(o for o in busy.local if o.site_id == "hamburg")
    assert hamburg_option.ready_at > now + timedelta(hours=30)


def test_a_part_on_a_batch_machine_pays_its_share_of_the_run(
    network: Network, clock: ManualClock
) -> None:
    munich = Destination(Location(48.14, 11.58), "Munich")
    product = network.product("bike-mount")
    line = OrderLine("bike-mount", 1, "pa12", product.validate({}))
    now = clock.now()
    site = network.site("munich")
    alone = SiteLoad({m.id: now for m in site.machines})
    shared = SiteLoad({m.id: now for m in site.machines}, waiting={("sls", "pa12"): 3})

    def option(load: SiteLoad) -> QuoteOption:
        offer = quote(network, [line], munich, now, {"munich": load})
        return next(o for o in offer.local if o.site_id == "munich")

    plan = plan_order(network, site, [line], now, alone)
    sinter = next(step for step in plan.steps if step.operation.process == "sls")
    run_kwh = sinter.machine.power_kw * sinter.minutes / 60
    run_cents = sinter.machine.cents_per_hour * sinter.minutes / 60
    run_cents += run_kwh * site.energy_cents_per_kwh
    # with three parts of its family waiting, the part expects a run of four
    first, fourth = option(alone), option(shared)
    assert first.production_cents - fourth.production_cents == pytest.approx(
        run_cents * 3 / 4, abs=1
    )
    energy_kg = run_kwh * site.grid_gco2_per_kwh / 1000
    assert first.footprint.energy - fourth.footprint.energy == pytest.approx(
        energy_kg * 3 / 4, rel=1e-3
    )


def test_a_quote_waits_for_people_the_plan_has_already_taken(
    network: Network, clock: ManualClock
) -> None:
    now = clock.now()
    hamburg = network.site("hamburg")
    idle = next(
        o for o in quote(network, [lamp(network)], HAMBURG, now, {}).local if o.site_id == "hamburg"
    )
    assembly = [m for m in hamburg.machines if m.process is Process.ASSEMBLY]
    assert assembly
    assert hamburg.on_shift(Process.ASSEMBLY, now + timedelta(hours=1)) >= 1
    people = hamburg.operators_for(Process.ASSEMBLY)
    until = now + timedelta(hours=20)
    taken = [Attending(now, until, Process.ASSEMBLY)] * len(people)  # all pack until tomorrow
    load = SiteLoad({m.id: now for m in hamburg.machines}, taken)
    busy = next(
        o
        for o in quote(network, [lamp(network)], HAMBURG, now, {"hamburg": load}).local
        if o.site_id == "hamburg"
    )
    assert busy.ready_at >= now + timedelta(hours=20) > idle.ready_at


def test_a_quote_fits_new_work_into_a_gap_in_the_plan(network: Network, clock: ManualClock) -> None:
    now = clock.now()
    hamburg = network.site("hamburg")
    printers = [m for m in hamburg.machines if m.process is Process.FDM]
    later = now + timedelta(hours=12)
    # every printer has a print planned for tomorrow morning, and nothing before it
    booked = [Booking(m.id, later + timedelta(hours=2), "fdm", None, later) for m in printers]
    load = site_load(hamburg, booked, now)
    plan = plan_order(network, hamburg, [lamp(network)], now, load)
    printing = next(s for s in plan.steps if s.operation.process == "fdm")
    assert printing.start < later, "the print fits before the booked one"
    assert printing.end <= later
    queued = site_load(hamburg, [Booking(m.id, later + timedelta(hours=2)) for m in printers], now)
    after = plan_order(network, hamburg, [lamp(network)], now, queued)
    assert next(s for s in after.steps if s.operation.process == "fdm").start >= later, (
        "a booking with no start holds its machine from now"
    )


def test_a_gap_holds_new_work_only_with_room_for_its_changeovers(
    network: Network, clock: ManualClock
) -> None:
    """A print of another colour between two booked prints needs the filament changed before
    it and back after it; in a gap too short for that it goes after the booked work, and its
    end counts the change it begins with."""
    now = clock.now()
    hamburg = network.site("hamburg")
    printers = [m for m in hamburg.machines if m.process is Process.FDM]
    idle = plan_order(network, hamburg, [lamp(network)], now, site_load(hamburg, [], now))
    alone = next(s for s in idle.steps if s.operation.process == "fdm")
    other = alone.setup_family + "-other"
    change = {m.changeover_minutes for m in printers}
    (minutes,) = change  # one kind of printer
    assert minutes > 0

    def booked(gap: float, family: str) -> list[Booking]:
        first_end = now + timedelta(hours=1)
        second = first_end + timedelta(minutes=gap)
        return [
            booking
            for m in printers
            for booking in (
                Booking(m.id, first_end, "fdm", None, now, family),
                Booking(m.id, second + timedelta(hours=2), "fdm", None, second, family),
            )
        ]

    def printing(gap: float, family: str = other) -> PlannedStep:
        load = site_load(hamburg, booked(gap, family), now)
        plan = plan_order(network, hamburg, [lamp(network)], now, load)
        return next(s for s in plan.steps if s.operation.process == "fdm")

    roomy = printing(alone.minutes + 2 * minutes)
    assert roomy.start == now + timedelta(hours=1)
    assert roomy.end == roomy.start + timedelta(minutes=minutes + alone.minutes)
    tight = printing(alone.minutes + minutes)
    assert tight.start > now + timedelta(hours=3), "it waits for the booked print after the gap"
    assert tight.end == tight.start + timedelta(minutes=minutes + alone.minutes)
    unknown = printing(alone.minutes, family="")  # work of no known family: no change counted
    assert unknown.start == now + timedelta(hours=1)
    assert unknown.end == unknown.start + timedelta(minutes=alone.minutes)


def test_nothing_to_quote_when_no_site_has_the_machines(
    network: Network, clock: ManualClock
) -> None:
    stripped = replace(network, sites=tuple(replace(s, machines=()) for s in network.sites))
    with pytest.raises(NoCapableFactory, match="no site in the network can make this order"):
        quote(stripped, [lamp(network)], HAMBURG, clock.now(), {})


def placed(services: Services) -> object:
    command = PlaceOrder("c", (LineRequest("desk-lamp", 1, {}, "pla"),), HAMBURG)
    return services.orders.place(command).order


def test_routing_passes_over_a_full_factory(services: Services) -> None:
    order = placed(services)
    network = services.network
    full = {("hamburg", "fdm"): 100.0}
    site = choose_factory(network, order, full, lambda site, sku: 1000.0)  # type: ignore[arg-type]
    assert site is not None
    assert site.id != "hamburg"
    nearest = choose_factory(network, order, {}, lambda site, sku: 1000.0)  # type: ignore[arg-type]
    assert nearest is not None
    assert nearest.id == "hamburg"


def test_routing_waits_while_no_factory_has_the_stock(services: Services) -> None:
    order = placed(services)
    site = choose_factory(services.network, order, {}, lambda site, sku: 0.0)  # type: ignore[arg-type]
    assert site is None


def test_routing_takes_the_least_loaded_factory_when_all_are_full(services: Services) -> None:
    order = placed(services)
    network = services.network
    backlog = {(f.id, "fdm"): 100.0 for f in network.factories} | {("leipzig", "fdm"): 50.0}
    site = choose_factory(network, order, backlog, lambda site, sku: 1000.0)  # type: ignore[arg-type]
    assert site is not None
    assert site.id == "leipzig"


def test_routing_passes_over_a_factory_that_would_break_the_promise(services: Services) -> None:
    order = placed(services)
    network = services.network
    late = order.promised_at + timedelta(hours=1)
    arrives = {"hamburg": late, "hannover": order.promised_at}
    site = choose_factory(
        network,
        order,
        {},
        lambda site, sku: 1000.0,  # type: ignore[arg-type]
        delivery=lambda s: arrives.get(s.id, late),
    )
    assert site is not None
    assert site.id == "hannover", (
        "the nearest factory that keeps the promise, though not the nearest"
    )


def test_routing_gives_the_least_loaded_factory_that_keeps_the_promise_when_all_are_full(
    services: Services,
) -> None:
    order = placed(services)
    network = services.network
    full = {(f.id, "fdm"): 100.0 for f in network.factories}
    full |= {("berlin", "fdm"): 90.0, ("leipzig", "fdm"): 20.0}
    late = order.promised_at + timedelta(hours=1)
    arrives = {"hamburg": order.promised_at, "berlin": order.promised_at}
    site = choose_factory(
        network,
        order,
        full,
        lambda site, sku: 1000.0,  # type: ignore[arg-type]
        delivery=lambda s: arrives.get(s.id, late),
    )
    assert site is not None
    assert site.id == "berlin", "leipzig is the least loaded, but would deliver late"


def test_routing_takes_the_soonest_delivery_when_no_factory_keeps_the_promise(
    services: Services,
) -> None:
    order = placed(services)
    network = services.network
    soonest = {"munich": order.promised_at + timedelta(hours=1)}
    site = choose_factory(
        network,
        order,
        {},
        lambda site, sku: 1000.0,  # type: ignore[arg-type]
        delivery=lambda s: soonest.get(s.id, order.promised_at + timedelta(hours=5)),
    )
    assert site is not None
    assert site.id == "munich"


def big_part(network: Network, length_mm: float) -> OrderLine:
    """An uploaded part of the given length, estimated for the demo's printers."""
    from microfab.catalog.model import LineEstimate, ProcessEstimate

    estimate = LineEstimate(
        "upload", "upl_1", 1, "0" * 16, (length_mm, 90.0, 20.0),
        (ProcessEstimate("fdm", "Prusa MK4", 240.0, material_g=180.0),),
    )  # fmt: skip
    product = network.product("custom-print")
    params = product.validate({"colour": "black"})
    return OrderLine("custom-print", 1, "pla", params, upload_id="upl_1", estimate=estimate)


def test_a_part_too_long_for_a_factorys_printers_is_not_offered_there(
    network: Network, clock: ManualClock
) -> None:
    from microfab.orders.model import line_machines, site_can_make

    long_part = big_part(network, 300.0)
    hamburg = network.site("hamburg")
    printing = network.product("custom-print").routing[0]
    fitting = line_machines(hamburg, long_part, printing)
    assert [m.model for m in fitting] == ["Prusa XL"]
    assert len(line_machines(hamburg, big_part(network, 200.0), printing)) > 1
    no_xl = replace(hamburg, machines=tuple(m for m in hamburg.machines if m.model != "Prusa XL"))
    assert not site_can_make(no_xl, network.product("custom-print"), long_part)
    shrunk = replace(network, sites=tuple(no_xl if s.id == "hamburg" else s for s in network.sites))
    offer = quote(shrunk, [long_part], HAMBURG, clock.now(), {})
    assert "hamburg" not in {o.site_id for o in offer.local}
    assert offer.best is not None
    best = network.site(offer.best.site_id)
    assert any(m.model == "Prusa XL" for m in best.machines)
    placed = quote(network, [long_part], HAMBURG, clock.now(), {}).best
    assert placed is not None
    assert placed.site_id == "hamburg"


def test_a_long_part_is_planned_on_a_printer_that_holds_it(
    network: Network, clock: ManualClock
) -> None:
    from microfab.scheduling.dispatch import SiteLoad, plan_order

    hamburg = network.site("hamburg")
    load = SiteLoad({m.id: clock.now() for m in hamburg.machines})
    for length, models in ((300.0, {"Prusa XL"}), (200.0, {"Prusa MK4", "Prusa XL"})):
        plan = plan_order(network, hamburg, [big_part(network, length)], clock.now(), load)
        assert plan.steps[0].machine.model in models
        load.book(plan.steps[0])
