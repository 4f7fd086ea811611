from datetime import UTC, datetime, timedelta

import pytest

from microfab.errors import IllegalTransition, InvalidInput
from microfab.network.model import Location
from microfab.orders.model import Destination, Order, OrderLine, OrderState, Shipment

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def an_order() -> Order:
    line = OrderLine("phone-grip", 1, "pla", {"name": "Ada"})
    return Order(
        id="ord_1",
        customer_id="c1",
        lines=(line,),
        destination=Destination(Location(52.5, 13.4)),
        placed_at=T0,
        promised_at=T0 + timedelta(days=1),
        price_cents=1500,
        co2e_kg=0.2,
    )


def a_shipment(at: datetime) -> Shipment:
    return Shipment("berlin", "parcel", 12.0, at, at + timedelta(hours=9), 480, 0.01)


def test_an_order_goes_from_placed_to_delivered_and_keeps_its_history() -> None:
    order = an_order()
    order.route_to("berlin", T0)
    order.schedule(T0 + timedelta(hours=2), T0)
    order.start_production(T0 + timedelta(minutes=5))
    order.finish(T0 + timedelta(hours=2))
    order.ship(a_shipment(T0 + timedelta(hours=2)))
    order.deliver(T0 + timedelta(hours=11))
    assert order.state is OrderState.DELIVERED
    assert [c.state for c in order.history] == [
        OrderState.PLACED,
        OrderState.ROUTED,
        OrderState.SCHEDULED,
        OrderState.IN_PRODUCTION,
        OrderState.FINISHED,
        OrderState.SHIPPED,
        OrderState.DELIVERED,
    ]
    assert order.lead_time_hours == pytest.approx(11)
    assert not order.late


def test_a_planned_order_follows_its_plan_and_a_finished_one_keeps_its_time() -> None:
    order = an_order()
    assert not order.expect_ready(T0), "an order not yet planned has no expected time"
    order.route_to("berlin", T0)
    order.schedule(T0 + timedelta(hours=2), T0)
    assert order.expect_ready(T0 + timedelta(hours=3))
    assert order.ready_at == T0 + timedelta(hours=3)
    assert not order.expect_ready(T0 + timedelta(hours=3)), "no change, nothing to save"
    order.start_production(T0 + timedelta(minutes=5))
    order.finish(T0 + timedelta(hours=2, minutes=30))
    assert not order.expect_ready(T0 + timedelta(hours=4))
    assert order.ready_at == T0 + timedelta(hours=2, minutes=30)


def test_an_order_delivered_after_its_promise_is_late() -> None:
    order = an_order()
    order.route_to("berlin", T0)
    order.schedule(T0, T0)
    order.start_production(T0)
    order.finish(T0)
    order.ship(a_shipment(T0 + timedelta(days=2)))
    order.deliver(T0 + timedelta(days=2))
    assert order.late


def test_shipping_an_order_that_is_not_finished_is_an_illegal_transition() -> None:
    order = an_order()
    with pytest.raises(IllegalTransition, match="placed and cannot become shipped"):
        order.ship(a_shipment(T0))
    assert order.state is OrderState.PLACED
    assert len(order.history) == 1


def test_an_order_in_production_cannot_be_cancelled() -> None:
    order = an_order()
    order.route_to("berlin", T0)
    order.schedule(T0, T0)
    order.start_production(T0)
    with pytest.raises(IllegalTransition, match="in_production and cannot become cancelled"):
        order.cancel(T0)


def test_a_delivered_order_says_it_is_closed() -> None:
    order = an_order()
    order.route_to("berlin", T0)
    order.schedule(T0, T0)
    order.start_production(T0)
    order.finish(T0)
    order.ship(a_shipment(T0))
    order.deliver(T0)
    with pytest.raises(IllegalTransition, match="nothing"):
        order.cancel(T0)


def test_a_failed_order_is_rerouted_and_routed_again() -> None:
    order = an_order()
    order.route_to("berlin", T0)
    order.schedule(T0, T0)
    order.start_production(T0)
    order.fail(T0, "printer fire")
    order.reroute(T0)
    assert order.factory_id is None
    order.route_to("hamburg", T0)
    assert order.state is OrderState.ROUTED
    assert order.factory_id == "hamburg"


@pytest.mark.parametrize("quantity", [0, -3])
def test_a_line_needs_a_positive_quantity(quantity: int) -> None:
    with pytest.raises(InvalidInput, match="at least 1"):
        OrderLine("phone-grip", quantity, "pla", {})


def test_a_line_quantity_must_be_a_whole_number() -> None:
    with pytest.raises(InvalidInput, match="whole number"):
        OrderLine("phone-grip", 1.5, "pla", {})  # type: ignore[arg-type]


def test_a_new_priority_is_kept_with_its_time_and_the_same_one_changes_nothing() -> None:
    order = an_order()
    assert (order.priority, order.prioritised_at) == (1, None)

    assert order.prioritise(4, T0 + timedelta(hours=1))
    assert not order.prioritise(4, T0 + timedelta(hours=2))

    assert (order.priority, order.prioritised_at) == (4, T0 + timedelta(hours=1))


@pytest.mark.parametrize("state", ["finish", "ship", "cancel"])
def test_an_order_with_no_work_left_cannot_be_re_prioritised(state: str) -> None:
    order = an_order()
    if state in ("finish", "ship"):
        order.route_to("berlin", T0)
        order.schedule(T0, T0)
        order.start_production(T0)
        order.finish(T0)
    if state == "ship":
        order.ship(a_shipment(T0))
    elif state == "cancel":
        order.cancel(T0)

    with pytest.raises(IllegalTransition, match="only an order not yet finished"):
        order.prioritise(3, T0)
    assert order.priority == 1


@pytest.mark.parametrize("priority", [0, -1, 101, True, 2.0])
def test_a_priority_is_a_whole_number_from_1_to_100(priority: object) -> None:
    with pytest.raises(InvalidInput, match="priority must be"):
        an_order().prioritise(priority, T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="priority must be"):
        Order(**{**vars(an_order()), "history": [], "priority": priority})
