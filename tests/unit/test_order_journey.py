"""An order's whole journey through the services, on the in-memory store and a manual clock."""

from datetime import datetime, timedelta

import pytest

from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.errors import IdempotencyMismatch, IllegalTransition, InvalidInput, InvalidParameter
from microfab.execution.controller import NetworkController
from microfab.execution.model import TaskState
from microfab.network.model import Location
from microfab.orders.model import Destination, Order, OrderState
from microfab.orders.service import LineRequest, PlaceOrder

BERLIN = Destination(Location(52.535, 13.20), "Berlin Spandau")
MUNICH = Destination(Location(48.14, 11.58), "Munich")


def grip(name: str = "Ada", quantity: int = 1) -> LineRequest:
    return LineRequest("phone-grip", quantity, {"name": name, "colour": "red"}, "pla")


def place(services: Services, *lines: LineRequest, key: str | None = None, to=BERLIN):  # type: ignore[no-untyped-def]
    return services.orders.place(PlaceOrder("cust-1", lines or (grip(),), to, key)).order


def drive(controller: NetworkController, clock: ManualClock, until: datetime) -> None:
    """Step the controller from event to event until ``until``."""
    while clock.now() < until:
        controller.step()
        wake = controller.next_wakeup()
        clock.set(min(wake, until) if wake and wake > clock.now() else until)
    controller.step()


def test_a_placed_order_is_quoted_and_promised(services: Services) -> None:
    order = place(services)
    assert order.state is OrderState.PLACED
    assert order.price_cents > 0
    assert order.co2e_kg > 0
    assert order.promised_at > order.placed_at


def test_an_order_is_routed_to_the_nearest_capable_factory(services: Services) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    berlin_order = place(services, to=BERLIN)
    munich_order = place(services, to=MUNICH)
    controller.step()
    assert services.orders.get(berlin_order.id).factory_id == "berlin"
    assert services.orders.get(munich_order.id).factory_id == "munich"
    assert services.orders.get(berlin_order.id).state is OrderState.IN_PRODUCTION


def test_an_order_travels_from_placement_to_delivery(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    order = place(services, grip(quantity=2))
    drive(controller, clock, clock.now() + timedelta(days=2))
    done = services.orders.get(order.id)
    assert done.state is OrderState.DELIVERED
    assert [c.state for c in done.history][-3:] == [
        OrderState.FINISHED,
        OrderState.SHIPPED,
        OrderState.DELIVERED,
    ]
    assert done.shipment is not None
    assert done.shipment.origin == "berlin"
    assert done.shipment.co2e_kg > 0
    assert not done.late
    with services.uow() as uow:
        tasks = uow.tasks.for_order(order.id)
    assert [t.operation for t in tasks] == ["print", "inspect and pack"]
    assert all(t.state is TaskState.FINISHED for t in tasks)


def test_routing_takes_material_from_the_factory_shelf(services: Services) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    with services.uow() as uow:
        before = uow.stock.level("berlin", "pla")
    order = place(services, grip(quantity=3))
    controller.step()
    with services.uow() as uow:
        after = uow.stock.level("berlin", "pla")
    estimate = order.lines[0].estimate
    assert estimate is not None
    printed = estimate.for_process("fdm")
    assert printed is not None
    assert printed.material_g is not None
    grams = printed.grams_of(services.network.materials["pla"].density_g_cm3)
    assert grams == pytest.approx(printed.material_g, rel=0.005)
    assert before - after == pytest.approx(3 * grams / 1000)


def test_an_order_is_offered_and_promised_from_the_factory_that_will_make_it(
    services: Services, clock: ManualClock
) -> None:
    with services.uow() as uow:
        uow.stock.set_level("berlin", "pla", 0.0)  # the nearest factory is out of PLA
        uow.commit()
    lines = (grip(),)
    offer = services.orders.quote(lines, BERLIN)
    assert offer.best is not None
    nearest = min(offer.local, key=lambda o: o.delivery_at)
    assert nearest.site_id == "berlin", "Berlin would deliver soonest, had it the stock"
    assert offer.best.site_id != "berlin"
    order = place(services, *lines)
    assert order.promised_at >= offer.best.delivery_at
    assert order.price_cents == offer.best.price_cents
    controller = services.controller(seed=1, failure_rate=0)
    controller.step()
    routed = services.orders.get(order.id)
    assert routed.factory_id == offer.best.site_id
    drive(controller, clock, clock.now() + timedelta(days=2))
    done = services.orders.get(order.id)
    assert done.state is OrderState.DELIVERED
    assert not done.late


def test_failed_work_is_made_again(services: Services, clock: ManualClock) -> None:
    controller = services.controller(seed=3, failure_rate=0.5)
    orders = [place(services, grip(f"N{i}")) for i in range(6)]
    drive(controller, clock, clock.now() + timedelta(days=3))
    with services.uow() as uow:
        tasks = [t for o in orders for t in uow.tasks.for_order(o.id)]
    failed = [t for t in tasks if t.state is TaskState.FAILED]
    assert failed, "at 0.5 faults an hour some of the 45-minute prints fail"
    assert any(t.attempt > 1 and t.state is TaskState.FINISHED for t in tasks)
    for order in orders:
        assert services.orders.get(order.id).state is OrderState.DELIVERED


def test_an_order_that_keeps_failing_is_rerouted_to_another_factory(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=5, failure_rate=1000)
    order = place(services)
    drive(controller, clock, clock.now() + timedelta(hours=6))
    states = [c.state for c in services.orders.get(order.id).history]
    assert OrderState.FAILED in states
    assert OrderState.REROUTED in states


def test_work_that_needs_a_person_waits_for_the_next_shift(
    services: Services, clock: ManualClock
) -> None:
    clock.set(datetime.fromisoformat("2026-03-02T21:30:00+00:00"))  # 22:30 in Berlin
    controller = services.controller(seed=1, failure_rate=0)
    bag = LineRequest("tote-bag", 1, {"monogram": "AB"}, "canvas")
    order = place(services, bag)
    drive(controller, clock, datetime.fromisoformat("2026-03-03T12:00:00+00:00"))
    with services.uow() as uow:
        sewing = next(t for t in uow.tasks.for_order(order.id) if t.process == "sewing")
    assert sewing.started_at is not None
    assert sewing.started_at >= datetime.fromisoformat("2026-03-03T05:00:00+00:00")  # 06:00


def test_a_retry_with_the_same_key_returns_the_same_order(services: Services) -> None:
    first = place(services, key="k-1")
    again = services.orders.place(PlaceOrder("cust-1", (grip(),), BERLIN, "k-1"))
    assert again.order.id == first.id
    assert not again.created


def test_a_key_reused_for_another_order_is_refused(services: Services) -> None:
    place(services, key="k-1")
    with pytest.raises(IdempotencyMismatch, match="k-1"):
        place(services, grip("Other"), key="k-1")


@pytest.mark.parametrize(
    ("line", "error", "message"),
    [
        (LineRequest("moon-rock", 1, {}), InvalidInput, "unknown product 'moon-rock'"),
        (LineRequest("phone-grip", 0, {}), InvalidInput, "at least 1"),
        (LineRequest("phone-grip", -2, {}), InvalidInput, "at least 1"),
        (LineRequest("phone-grip", 1, {"name": 7}), InvalidParameter, "must be text"),
        (LineRequest("custom-insole", 1, {"foot_length_mm": 999}), InvalidParameter, "largest"),
        (LineRequest("phone-grip", 1, {}, "brass"), InvalidParameter, "cannot be made of"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(
    services: Services, line: LineRequest, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        place(services, line)
    with services.uow() as uow:
        assert uow.orders.count_by_state() == {}


def test_cancelling_before_production_puts_the_stock_back(services: Services) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    with services.uow() as uow:
        before = uow.stock.level("berlin", "led-lamp-kit")
    order = place(services, LineRequest("desk-lamp", 1, {}, "pla"))
    services.orders.cancel(order.id)
    controller.step()
    assert services.orders.get(order.id).state is OrderState.CANCELLED
    with services.uow() as uow:
        assert uow.stock.level("berlin", "led-lamp-kit") == before


def test_an_order_in_production_cannot_be_cancelled(services: Services) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    order = place(services)
    controller.step()
    with pytest.raises(IllegalTransition, match="in_production"):
        services.orders.cancel(order.id)
    assert services.orders.get(order.id).state is OrderState.IN_PRODUCTION


def test_a_restarted_controller_carries_on_with_running_work(
    services: Services, clock: ManualClock
) -> None:
    first = services.controller(seed=1, failure_rate=0)
    order = place(services)
    first.step()
    services.machines.clear()  # the process died: its machine drivers are gone
    second = services.controller(seed=2, failure_rate=0)
    assert second.recover() == 1
    drive(second, clock, clock.now() + timedelta(days=2))
    assert services.orders.get(order.id).state is OrderState.DELIVERED


def test_work_started_after_a_colour_change_is_planned_to_end_after_it(
    services: Services, clock: ManualClock
) -> None:
    """A printer that last printed red changes filament before a blue print: the print's
    planned end, which the plan, the chart and the promise take, counts the change."""
    controller = services.controller(seed=1, failure_rate=0)
    place(services, grip("Ada"))
    drive(controller, clock, clock.now() + timedelta(hours=3))
    with services.uow() as uow:
        (red,) = [t for t in uow.tasks.in_states("berlin", TaskState) if t.operation == "print"]
    printers = [m for m in services.network.site("berlin").machines if m.process.value == "fdm"]
    blue = LineRequest("phone-grip", 1, {"name": "Bo", "colour": "blue"}, "pla")
    for _ in printers:
        place(services, blue)
    controller.step()
    with services.uow() as uow:
        started = [
            t for t in uow.tasks.in_states("berlin", (TaskState.RUNNING,)) if t.operation == "print"
        ]
    change = {m.id: m.changeover_minutes for m in printers}
    assert change[red.machine_id] > 0
    after_red = [t for t in started if t.machine_id == red.machine_id]
    assert after_red, "the printer that printed red takes a blue print"
    for task in started:
        assert task.started_at is not None
        changeover = change[task.machine_id] if task.machine_id == red.machine_id else 0.0
        minutes = timedelta(minutes=changeover + task.minutes)
        assert task.planned_end == task.started_at + minutes


def test_printers_remember_their_colour_for_quotes_and_after_a_restart(
    services: Services, clock: ManualClock
) -> None:
    """Every Berlin printer printed red and stands idle: a quote for blue counts the filament
    change a red one does not, and a controller started afresh still changes over for blue."""
    printers = [m for m in services.network.site("berlin").machines if m.process.value == "fdm"]
    first = services.controller(seed=1, failure_rate=0)
    for n in range(3 * len(printers)):
        place(services, grip(f"Ada{n}"))
    drive(first, clock, clock.now() + timedelta(hours=6))
    with services.uow() as uow:
        records = {r.machine_id: r for r in uow.machines.all("berlin")}
        printed = {t.machine_id for t in uow.tasks.in_states("berlin", TaskState)
                   if t.operation == "print"}  # fmt: skip
        assert not uow.tasks.in_states("berlin", (TaskState.SCHEDULED, TaskState.RUNNING))
    assert printed == {m.id for m in printers}, "every printer printed red"
    assert {records[m.id].family for m in printers} == {"pla-red"}

    def ready(colour: str) -> datetime:
        line = LineRequest("phone-grip", 1, {"name": "Bo", "colour": colour}, "pla")
        offer = services.orders.quote([line], BERLIN)
        return next(o.ready_at for o in offer.local if o.site_id == "berlin")

    change = timedelta(minutes=max(m.changeover_minutes for m in printers))
    assert ready("blue") >= ready("red") + change

    services.machines.clear()
    second = services.controller(seed=2, failure_rate=0)
    second.recover()
    blue = LineRequest("phone-grip", 1, {"name": "Bo", "colour": "blue"}, "pla")
    for _ in printers:
        place(services, blue)
    second.step()
    with services.uow() as uow:
        started = [t for t in uow.tasks.in_states("berlin", (TaskState.RUNNING,))
                   if t.operation == "print"]  # fmt: skip
    assert started
    for task in started:
        assert task.started_at is not None
        assert task.planned_end == task.started_at + change + timedelta(minutes=task.minutes)


def test_a_print_done_between_two_steps_is_recorded_as_the_printers_set_up(
    services: Services, clock: ManualClock
) -> None:
    """The controller never sees the printer busy: it starts the print in one step and finds it
    done in the next. The record still says what the printer is set up for."""
    controller = services.controller(seed=1, failure_rate=0)
    place(services, grip("Ada"))
    controller.step()
    with services.uow() as uow:
        (printing,) = [t for t in uow.tasks.in_states("berlin", (TaskState.RUNNING,))
                       if t.operation == "print"]  # fmt: skip
    clock.set(printing.planned_end + timedelta(minutes=1))
    controller.step()
    with services.uow() as uow:
        assert uow.tasks.get(printing.id).state is TaskState.FINISHED
        record = next(r for r in uow.machines.all("berlin") if r.machine_id == printing.machine_id)
    assert record.family == printing.setup_family == "pla-red"


@pytest.mark.parametrize(("races", "succeeds"), [(1, True), (2, True), (3, False)])
def test_a_re_prioritisation_that_loses_a_race_reads_the_order_again(
    services: Services, monkeypatch: pytest.MonkeyPatch, races: int, succeeds: bool
) -> None:
    from microfab.errors import StaleState
    from microfab.memory_store import _Orders

    order = place(services)
    read = _Orders.get
    lost: list[str] = []

    def read_then_someone_saves(self: _Orders, order_id: str) -> Order:
        found = read(self, order_id)
        if len(lost) < races:  # the controller saves the order between our read and our save
            lost.append(order_id)
            self._data.orders[order_id].version += 1
        return found

    monkeypatch.setattr(_Orders, "get", read_then_someone_saves)

    if succeeds:
        assert services.orders.prioritise(order.id, 6).priority == 6
    else:
        with pytest.raises(StaleState):
            services.orders.prioritise(order.id, 6)
    monkeypatch.undo()
    assert services.orders.get(order.id).priority == (6 if succeeds else 1)
    assert len(lost) == races
