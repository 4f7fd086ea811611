"""Orders in SQL: the row mapping and the ``OrderRepository`` over it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from microfab.catalog.model import LineEstimate
from microfab.errors import Conflict, InvalidInput, NotFound, StaleState
from microfab.network.model import Location
from microfab.orders.model import (
    PRIORITISABLE,
    Destination,
    Order,
    OrderLine,
    OrderState,
    Shipment,
    StateChange,
)
from microfab.storage import MAX_PAGE, OrderQuery, Page, Priority
from microfab.store.statements import changed_rows, insert_new
from microfab.store.tables import orders
from microfab.store.utc import from_iso, to_iso

CLOSED_STATES = (OrderState.DELIVERED, OrderState.CANCELLED)
IDS_PER_READ = 500
"""Ids per ``IN`` list when reading orders by id (SQLite caps a statement's parameters)."""

SAVE_IF_UNCHANGED = update(orders).where(
    orders.c.id == bindparam("match_id"), orders.c.version == bindparam("match_version")
)
"""Optimistic concurrency: the row is written only if nobody saved it since it was read.
The columns to SET come from the parameters, so the statement is built once."""


def order_to_row(order: Order) -> dict[str, Any]:
    """The columns of ``orders`` for ``order`` (all but ``seq``, which the database assigns)."""
    shipment = order.shipment
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "idempotency_key": order.idempotency_key,
        "request_hash": order.request_hash,
        "state": order.state.value,
        "factory_id": order.factory_id,
        "placed_at": order.placed_at,
        "promised_at": order.promised_at,
        "ready_at": order.ready_at,
        "delivered_at": order.delivered_at,
        "arrives_at": shipment.arrives_at if shipment else None,
        "price_cents": order.price_cents,
        "co2e_kg": order.co2e_kg,
        "lines": [_line_to_json(line) for line in order.lines],
        "destination": {
            "lat": order.destination.location.lat,
            "lon": order.destination.location.lon,
            "label": order.destination.label,
        },
        "shipment": _shipment_to_json(shipment) if shipment else None,
        "history": [
            {"at": to_iso(change.at), "state": change.state.value, "note": change.note}
            for change in order.history
        ],
        "priority": order.priority,
        "prioritised_at": order.prioritised_at,
        "version": order.version,
    }


def row_to_order(row: Row[Any]) -> Order:
    destination = row.destination
    return Order(
        id=row.id,
        customer_id=row.customer_id,
        lines=tuple(_line_from_json(line) for line in row.lines),
        destination=Destination(
            Location(destination["lat"], destination["lon"]), destination["label"]
        ),
        placed_at=row.placed_at,
        promised_at=row.promised_at,
        price_cents=row.price_cents,
        co2e_kg=row.co2e_kg,
        idempotency_key=row.idempotency_key,
        request_hash=row.request_hash,
        state=OrderState(row.state),
        factory_id=row.factory_id,
        ready_at=row.ready_at,
        shipment=_shipment_from_json(row.shipment) if row.shipment else None,
        delivered_at=row.delivered_at,
        history=[
            StateChange(from_iso(change["at"]), OrderState(change["state"]), change["note"])
            for change in row.history
        ],
        priority=row.priority,
        prioritised_at=row.prioritised_at,
        version=row.version,
    )


def _line_to_json(line: OrderLine) -> dict[str, Any]:
    document: dict[str, Any] = {
        "product_id": line.product_id,
        "quantity": line.quantity,
        "material": line.material,
        "params": dict(line.params),
    }
    if line.upload_id is not None:
        document["upload_id"] = line.upload_id
    if line.estimate is not None:
        document["estimate"] = line.estimate.as_dict()
    return document


def _line_from_json(line: dict[str, Any]) -> OrderLine:
    """A stored line; lines stored before estimates were kept have none."""
    estimate = line.get("estimate")
    return OrderLine(
        line["product_id"],
        line["quantity"],
        line["material"],
        line["params"],
        upload_id=line.get("upload_id"),
        estimate=LineEstimate.from_dict(estimate) if estimate else None,
    )


def _shipment_to_json(shipment: Shipment) -> dict[str, Any]:
    return {
        "origin": shipment.origin,
        "mode": shipment.mode,
        "distance_km": shipment.distance_km,
        "shipped_at": to_iso(shipment.shipped_at),
        "arrives_at": to_iso(shipment.arrives_at),
        "cost_cents": shipment.cost_cents,
        "co2e_kg": shipment.co2e_kg,
    }


def _shipment_from_json(shipment: dict[str, Any]) -> Shipment:
    return Shipment(
        origin=shipment["origin"],
        mode=shipment["mode"],
        distance_km=shipment["distance_km"],
        shipped_at=from_iso(shipment["shipped_at"]),
        arrives_at=from_iso(shipment["arrives_at"]),
        cost_cents=shipment["cost_cents"],
        co2e_kg=shipment["co2e_kg"],
    )


class SqlOrders:
    """``OrderRepository`` on the ``orders`` table."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, order: Order) -> None:
        if insert_new(self._session, orders, order_to_row(order)):
            return
        key = order.idempotency_key
        if key and self.find_by_idempotency_key(order.customer_id, key):
            raise Conflict(f"idempotency key {key!r} is taken")
        raise Conflict(f"order {order.id} exists already")

    def get(self, order_id: str) -> Order:
        found = self._select(orders.c.id == order_id)
        if not found:
            raise NotFound(f"no order {order_id!r}")
        return found[0]

    def many(self, order_ids: Iterable[str]) -> list[Order]:
        ids = list(dict.fromkeys(order_ids))
        chunks = (ids[k : k + IDS_PER_READ] for k in range(0, len(ids), IDS_PER_READ))
        return [order for chunk in chunks for order in self._select(orders.c.id.in_(chunk))]

    def find_by_idempotency_key(self, customer_id: str, key: str) -> Order | None:
        found = self._select(orders.c.customer_id == customer_id, orders.c.idempotency_key == key)
        return found[0] if found else None

    def save(self, order: Order) -> None:
        changes = order_to_row(order) | {"version": order.version + 1}
        match = {"match_id": order.id, "match_version": order.version}
        if changed_rows(self._session, SAVE_IF_UNCHANGED, changes | match) == 1:
            order.version += 1
            return
        if self._session.scalar(select(orders.c.seq).where(orders.c.id == order.id)) is None:
            raise NotFound(f"no order {order.id!r}")
        raise StaleState(f"order {order.id} was changed by someone else; read it again")

    def in_states(self, states: Iterable[OrderState]) -> list[Order]:
        return self._select(orders.c.state.in_([s.value for s in states]))

    def arriving_by(self, at: datetime) -> list[Order]:
        return self._select(orders.c.state == OrderState.SHIPPED.value, orders.c.arrives_at <= at)

    def next_arrival(self) -> datetime | None:
        statement = (
            select(orders.c.arrives_at)
            .where(orders.c.state == OrderState.SHIPPED.value, orders.c.arrives_at.is_not(None))
            .order_by(orders.c.arrives_at)
            .limit(1)
        )
        return self._session.scalar(statement)

    def reprioritised(self) -> list[Priority]:
        statement = (
            select(orders.c.id, orders.c.factory_id, orders.c.priority)
            .where(
                orders.c.prioritised_at.is_not(None),
                orders.c.state.in_([s.value for s in PRIORITISABLE]),
            )
            .order_by(orders.c.seq)
        )
        return [Priority(*row) for row in self._session.execute(statement)]

    def query(self, query: OrderQuery) -> Page[Order]:
        limit = max(1, min(query.limit, MAX_PAGE))
        conditions = [
            column == value
            for column, value in (
                (orders.c.state, query.state.value if query.state else None),
                (orders.c.customer_id, query.customer_id),
                (orders.c.factory_id, query.factory_id),
            )
            if value is not None
        ]
        if query.cursor is not None:
            conditions.append(orders.c.seq < _cursor_seq(query.cursor))
        statement = select(orders).where(*conditions).order_by(orders.c.seq.desc())
        rows = self._session.execute(statement.limit(limit + 1)).all()
        page = rows[:limit]
        cursor = str(page[-1].seq) if len(rows) > limit else None
        return Page([row_to_order(row) for row in page], cursor)

    def count_by_state(self) -> dict[OrderState, int]:
        statement = select(orders.c.state, func.count()).group_by(orders.c.state)
        return {OrderState(state): count for state, count in self._session.execute(statement)}

    def all_closed_since(self, at: datetime) -> list[Order]:
        closed = [state.value for state in CLOSED_STATES]
        return self._select(orders.c.state.in_(closed), orders.c.placed_at >= at)

    def _select(self, *conditions: ColumnElement[bool]) -> list[Order]:
        statement = select(orders).where(*conditions).order_by(orders.c.seq)
        return [row_to_order(row) for row in self._session.execute(statement)]


def _cursor_seq(cursor: str) -> int:
    try:
        return int(cursor)
    except ValueError:
        raise InvalidInput(
            f"cursor {cursor!r} is not one this server gave out; "
            "pass next_cursor from the previous page, or leave it out for the first page"
        ) from None
