"""Orders in the SQL store, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError

from microfab.errors import Conflict, InvalidInput, NotFound, StaleState
from microfab.network.model import Location
from microfab.orders.model import (
    Destination,
    Order,
    OrderLine,
    OrderState,
    Shipment,
    StateChange,
)
from microfab.storage import MAX_PAGE, OrderQuery, Priority
from microfab.store import SqlStore
from microfab.store.orders import order_to_row
from microfab.store.tables import orders

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def an_order(number: int, customer: str = "c1", **changes: object) -> Order:
    order = Order(
        id=f"o{number}",
        customer_id=customer,
        lines=(OrderLine("bracket", 2, "pla", {"width": 40.0}),),
        destination=Destination(Location(52.52, 13.405)),
        placed_at=T0 + timedelta(minutes=number),
        promised_at=T0 + timedelta(days=3),
        price_cents=1999,
        co2e_kg=0.8,
    )
    return replace(order, **changes)  # type: ignore[arg-type]


def add(store: SqlStore, *orders: Order) -> None:
    with store.unit_of_work() as uow:
        for order in orders:
            uow.orders.add(order)
        uow.commit()


def a_shipment(arrives_at: datetime) -> Shipment:
    return Shipment(
        "berlin-1", "parcel", 12.5, arrives_at - timedelta(hours=5), arrives_at, 450, 0.3
    )


def test_an_order_comes_back_with_every_field_as_aware_utc(store: SqlStore) -> None:
    local = datetime(2026, 11, 25, 10, 30, 15, 123456, tzinfo=BERLIN)
    order = Order(
        id="o1",
        customer_id="c1",
        lines=(
            OrderLine("bracket", 2, "pla", {"width": 40.5, "holes": 3, "engraved": True}),
            OrderLine("badge", 1, "petg", {"text": "Ada ✓"}),
        ),
        destination=Destination(Location(48.1351, 11.582), "Marienplatz 1"),
        placed_at=local,
        promised_at=local + timedelta(days=2),
        price_cents=123_456_789_012,
        co2e_kg=1.234567,
        idempotency_key="k-1",
        request_hash="sha256:abc",
        state=OrderState.DELIVERED,
        factory_id="munich-2",
        ready_at=local + timedelta(hours=6),
        shipment=a_shipment(local + timedelta(days=1)),
        delivered_at=local + timedelta(days=1, minutes=3),
        history=[
            StateChange(local, OrderState.PLACED),
            StateChange(local + timedelta(minutes=1), OrderState.ROUTED, "munich-2"),
        ],
        priority=7,
        prioritised_at=local + timedelta(hours=2),
        version=4,
    )
    add(store, order)

    with store.unit_of_work() as uow:
        stored = uow.orders.get("o1")

    assert stored == order
    stamps = [stored.placed_at, stored.promised_at, stored.ready_at, stored.delivered_at]
    assert stored.shipment is not None
    stamps += [stored.shipment.shipped_at, stored.shipment.arrives_at]
    stamps += [change.at for change in stored.history]
    stamps.append(stored.prioritised_at)
    assert all(stamp is not None and stamp.tzinfo is UTC for stamp in stamps)
    params = stored.lines[0].params
    assert [type(params[name]) for name in ("width", "holes", "engraved")] == [float, int, bool]


def test_an_order_without_optional_fields_comes_back_with_them_empty(store: SqlStore) -> None:
    order = an_order(1)
    add(store, order)

    with store.unit_of_work() as uow:
        stored = uow.orders.get("o1")

    assert stored == order
    assert (stored.idempotency_key, stored.shipment, stored.ready_at) == (None, None, None)
    assert (stored.priority, stored.prioritised_at) == (1, None)


def test_re_prioritised_orders_with_work_left_are_listed_oldest_first(store: SqlStore) -> None:
    later = T0 + timedelta(hours=1)
    add(
        store,
        an_order(1, priority=3, prioritised_at=later, factory_id="berlin-1"),
        an_order(2, priority=4),  # placed with a priority, never re-prioritised
        an_order(3, priority=9, prioritised_at=later),
        an_order(4, priority=2, prioritised_at=later, state=OrderState.FINISHED),
        an_order(5, priority=2, prioritised_at=later, state=OrderState.CANCELLED),
        an_order(6, priority=2, prioritised_at=later, state=OrderState.SHIPPED),
    )

    with store.unit_of_work() as uow:
        found = uow.orders.reprioritised()

    assert found == [Priority("o1", "berlin-1", 3), Priority("o3", None, 9)]


def test_an_unknown_order_is_not_found(store: SqlStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFound, match="no order 'nope'"):
        uow.orders.get("nope")


def test_a_taken_idempotency_key_is_a_conflict_and_the_unit_of_work_goes_on(
    store: SqlStore,
) -> None:
    add(store, an_order(1, idempotency_key="k"))

    with store.unit_of_work() as uow:
        with pytest.raises(Conflict, match="idempotency key 'k' is taken"):
            uow.orders.add(an_order(2, idempotency_key="k"))
        uow.orders.add(an_order(3, idempotency_key="k3"))
        uow.commit()

    with store.unit_of_work() as uow:
        assert [o.id for o in uow.orders.in_states([OrderState.PLACED])] == ["o1", "o3"]
        found = uow.orders.find_by_idempotency_key("c1", "k")
        assert found is not None
        assert found.id == "o1"
        assert uow.orders.find_by_idempotency_key("c1", "unused") is None


def test_another_customer_may_use_the_same_idempotency_key(store: SqlStore) -> None:
    add(store, an_order(1, idempotency_key="k"), an_order(2, "c2", idempotency_key="k"))

    with store.unit_of_work() as uow:
        found = uow.orders.find_by_idempotency_key("c2", "k")
    assert found is not None
    assert found.id == "o2"


def test_an_order_id_that_exists_is_a_conflict(store: SqlStore) -> None:
    add(store, an_order(1))

    with store.unit_of_work() as uow, pytest.raises(Conflict, match="order o1 exists already"):
        uow.orders.add(an_order(1, "c2"))


def test_saving_bumps_the_version_and_commits_the_change(store: SqlStore) -> None:
    add(store, an_order(1))

    with store.unit_of_work() as uow:
        order = uow.orders.get("o1")
        order.route_to("berlin-1", T0 + timedelta(hours=1))
        uow.orders.save(order)
        uow.commit()
    assert order.version == 1

    with store.unit_of_work() as uow:
        stored = uow.orders.get("o1")
    assert (stored.state, stored.factory_id, stored.version) == (OrderState.ROUTED, "berlin-1", 1)
    assert stored.history[-1] == StateChange(T0 + timedelta(hours=1), OrderState.ROUTED, "berlin-1")


def test_a_second_writer_with_an_old_version_gets_stale_state(store: SqlStore) -> None:
    add(store, an_order(1))
    with store.unit_of_work() as first, store.unit_of_work() as second:
        mine, theirs = first.orders.get("o1"), second.orders.get("o1")
        mine.route_to("berlin-1", T0)
        first.orders.save(mine)
        first.commit()

        theirs.cancel(T0, "changed my mind")
        with pytest.raises(StaleState, match="order o1 was changed by someone else"):
            second.orders.save(theirs)
    assert theirs.version == 0


def test_saving_an_order_that_was_never_added_is_not_found(store: SqlStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFound, match="no order 'o9'"):
        uow.orders.save(an_order(9))


def test_leaving_a_unit_of_work_without_commit_rolls_back(store: SqlStore) -> None:
    add(store, an_order(1))
    with store.unit_of_work() as uow:
        uow.orders.add(an_order(2))
        order = uow.orders.get("o1")
        order.cancel(T0, "no")
        uow.orders.save(order)

    with store.unit_of_work() as uow:
        assert uow.orders.get("o1").state is OrderState.PLACED
        with pytest.raises(NotFound):
            uow.orders.get("o2")


def test_rollback_drops_what_was_written_since_the_last_commit(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.orders.add(an_order(1))
        uow.commit()
        uow.orders.add(an_order(2))
        uow.rollback()
        assert [o.id for o in uow.orders.in_states(OrderState)] == ["o1"]


def test_pages_run_newest_first_and_the_cursor_continues_where_the_page_ended(
    store: SqlStore,
) -> None:
    add(
        store,
        an_order(1, factory_id="berlin-1"),
        an_order(2, "c2", factory_id="berlin-1"),
        an_order(3, factory_id="munich-2"),
        an_order(4, factory_id="berlin-1", state=OrderState.ROUTED),
        *(an_order(n, factory_id="berlin-1") for n in range(5, 12)),
    )
    query = OrderQuery(customer_id="c1", factory_id="berlin-1", state=OrderState.PLACED, limit=3)

    pages, cursor = [], None
    with store.unit_of_work() as uow:
        while True:
            page = uow.orders.query(replace(query, cursor=cursor))
            pages.append([o.id for o in page.items])
            cursor = page.next_cursor
            if cursor is None:
                break

    assert pages == [["o11", "o10", "o9"], ["o8", "o7", "o6"], ["o5", "o1"]]


def test_a_page_without_filters_shows_every_order_and_no_cursor_when_all_fit(
    store: SqlStore,
) -> None:
    add(store, an_order(1), an_order(2, "c2"), an_order(3, state=OrderState.CANCELLED))

    with store.unit_of_work() as uow:
        page = uow.orders.query(OrderQuery(limit=3))
        cancelled = uow.orders.query(OrderQuery(state=OrderState.CANCELLED))

    assert ([o.id for o in page.items], page.next_cursor) == (["o3", "o2", "o1"], None)
    assert [o.id for o in cancelled.items] == ["o3"]


def test_a_page_holds_at_most_max_page_orders(store: SqlStore) -> None:
    add(store, *(an_order(n) for n in range(MAX_PAGE + 1)))

    with store.unit_of_work() as uow:
        huge = uow.orders.query(OrderQuery(limit=MAX_PAGE * 10))
        tiny = uow.orders.query(OrderQuery(limit=0))

    assert len(huge.items) == MAX_PAGE
    assert huge.next_cursor is not None
    assert [o.id for o in tiny.items] == [f"o{MAX_PAGE}"]


def test_a_cursor_the_store_did_not_give_out_is_invalid_input(store: SqlStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(InvalidInput, match="next_cursor"):
        uow.orders.query(OrderQuery(cursor="page-two"))


def test_in_states_lists_the_matching_orders_oldest_first(store: SqlStore) -> None:
    add(
        store,
        an_order(1, state=OrderState.REROUTED),
        an_order(2, state=OrderState.ROUTED),
        an_order(3),
        an_order(4, state=OrderState.REROUTED),
    )

    with store.unit_of_work() as uow:
        waiting = uow.orders.in_states([OrderState.PLACED, OrderState.REROUTED])
        none = uow.orders.in_states([])

    assert [o.id for o in waiting] == ["o1", "o3", "o4"]
    assert none == []


def test_arriving_by_lists_shipped_orders_that_arrive_in_time(store: SqlStore) -> None:
    soon, later = T0 + timedelta(hours=2), T0 + timedelta(days=1)
    add(
        store,
        an_order(1, state=OrderState.SHIPPED, shipment=a_shipment(later)),
        an_order(2, state=OrderState.SHIPPED, shipment=a_shipment(soon)),
        an_order(3, state=OrderState.DELIVERED, shipment=a_shipment(T0)),
        an_order(4),
    )

    with store.unit_of_work() as uow:
        by_soon = uow.orders.arriving_by(soon.astimezone(BERLIN))
        by_later = uow.orders.arriving_by(later)
        first = uow.orders.next_arrival()

    assert [o.id for o in by_soon] == ["o2"]
    assert [o.id for o in by_later] == ["o1", "o2"]
    assert first == soon
    assert first is not None
    assert first.tzinfo is UTC


def test_there_is_no_next_arrival_while_nothing_is_shipped(store: SqlStore) -> None:
    add(store, an_order(1, state=OrderState.DELIVERED, shipment=a_shipment(T0)))

    with store.unit_of_work() as uow:
        assert uow.orders.next_arrival() is None


def test_orders_are_counted_by_state_and_closed_ones_listed_since_a_time(
    store: SqlStore,
) -> None:
    add(
        store,
        an_order(1, state=OrderState.DELIVERED),
        an_order(2, state=OrderState.CANCELLED),
        an_order(3, state=OrderState.CANCELLED),
        an_order(4),
    )

    with store.unit_of_work() as uow:
        counts = uow.orders.count_by_state()
        closed = uow.orders.all_closed_since(T0 + timedelta(minutes=2))

    assert counts == {OrderState.DELIVERED: 1, OrderState.CANCELLED: 2, OrderState.PLACED: 1}
    assert [o.id for o in closed] == ["o2", "o3"]


def test_many_orders_are_read_at_once_and_unknown_ids_are_left_out(store: SqlStore) -> None:
    add(store, *(an_order(n) for n in range(1, 1203)))
    wanted = [f"o{n}" for n in range(1, 1203, 2)] + ["o-missing", "o1"]
    with store.unit_of_work() as uow:
        found = uow.orders.many(wanted)
    assert sorted(o.id for o in found) == sorted(f"o{n}" for n in range(1, 1203, 2))
    with store.unit_of_work() as uow:
        assert uow.orders.many([]) == []


@pytest.mark.parametrize("priority", [0, 101])
def test_the_database_refuses_a_priority_out_of_range(store: SqlStore, priority: int) -> None:
    row = order_to_row(an_order(1)) | {"priority": priority}

    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(orders.insert(), [row])
