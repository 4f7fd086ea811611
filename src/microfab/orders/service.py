"""Order use cases: quote, place (idempotently), read, list and cancel.

A line of a product with a catalog template, or made from an upload, is estimated from its
geometry once, when it is quoted or placed; the estimate is priced and stored with the line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from microfab.catalog.model import LineEstimate, ParamValue, ProductTemplate
from microfab.clock import Clock
from microfab.errors import (
    Conflict,
    IdempotencyMismatch,
    InvalidInput,
    NoCapableFactory,
    NotFound,
    StaleState,
)
from microfab.execution.maintenance import closed_machines
from microfab.execution.model import TaskState
from microfab.execution.queues import backlog_hours, site_loads
from microfab.ids import IdFactory
from microfab.inventory.service import Shelves
from microfab.network.model import Network
from microfab.orders.model import (
    NORMAL_PRIORITY,
    Destination,
    Order,
    OrderLine,
    check_priority,
    stock_needs,
)
from microfab.quoting.model import Quote
from microfab.quoting.service import quote
from microfab.routing.service import factory_to_offer
from microfab.storage import OrderQuery, Page, UnitOfWork, UnitOfWorkFactory

PRIORITY_ATTEMPTS = 3
"""Saves a re-prioritisation tries before its conflict reaches the caller."""

PROMISE_BUFFER = timedelta(hours=4)
"""Slack added to the quoted delivery time before it is promised to the customer."""


@dataclass(frozen=True)
class LineRequest:
    product_id: str
    quantity: int
    params: Mapping[str, object]
    material: str | None = None
    upload_id: str | None = None


class Estimator(Protocol):
    """Estimates a line of a product from its geometry (``catalog.lines.LineEstimator``)."""

    def estimate_line(
        self, product: ProductTemplate, values: Mapping[str, ParamValue], material: str
    ) -> LineEstimate | None: ...


@dataclass(frozen=True)
class PlaceOrder:
    customer_id: str
    lines: tuple[LineRequest, ...]
    destination: Destination
    idempotency_key: str | None = None
    priority: int = NORMAL_PRIORITY


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool


class OrderService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        network: Network,
        clock: Clock,
        ids: IdFactory,
        estimator: Estimator | None = None,
    ) -> None:
        """Without an ``estimator``, lines are priced with the products' duration models."""
        self._uow = uow
        self._network = network
        self._clock = clock
        self._ids = ids
        self._estimator = estimator

    def check_lines(self, requests: Sequence[LineRequest]) -> tuple[OrderLine, ...]:
        """Turn what the customer asked for into checked order lines (not yet estimated)."""
        if not requests:
            raise InvalidInput("an order needs at least one line")
        return tuple(self._check_line(i, r) for i, r in enumerate(requests))

    def _estimate_designs(self, lines: Sequence[OrderLine]) -> tuple[OrderLine, ...]:
        """Lines of products with a catalog template, with their geometry estimate."""
        if self._estimator is None:
            return tuple(lines)
        estimated = []
        for index, line in enumerate(lines):
            product = self._network.product(line.product_id)
            try:
                found = self._estimator.estimate_line(product, line.params, line.material)
            except InvalidInput as exc:
                raise type(exc)(f"lines[{index}]: {exc.message}") from None
            estimated.append(replace(line, estimate=found) if found else line)
        return tuple(estimated)

    def _with_uploads(
        self, uow: UnitOfWork, lines: Sequence[OrderLine], customer_id: str | None
    ) -> tuple[OrderLine, ...]:
        """Lines made from uploads, with the estimate stored with the upload.

        ``customer_id`` None (a planner's quote) may name any customer's upload.
        """
        return tuple(
            replace(line, estimate=self._upload_estimate(uow, i, line.upload_id, customer_id))
            if line.upload_id is not None
            else line
            for i, line in enumerate(lines)
        )

    def _upload_estimate(
        self, uow: UnitOfWork, index: int, upload_id: str, customer_id: str | None
    ) -> LineEstimate:
        try:
            upload = uow.uploads.get(upload_id)
        except NotFound:
            upload = None
        if upload is None or customer_id not in (None, upload.customer_id):
            whose = f" of customer {customer_id}" if customer_id else ""
            raise InvalidInput(
                f"lines[{index}]: there is no upload {upload_id!r}{whose}; "
                "upload the model first (POST /v1/uploads or `microfab upload add`)"
            )
        return upload.estimate

    def _check_line(self, index: int, request: LineRequest) -> OrderLine:
        try:
            product = self._network.product(request.product_id)
        except NotFound as exc:
            raise InvalidInput(f"lines[{index}]: {exc.message}") from None
        material = request.material or product.materials[0]
        try:
            _check_upload_named(product, request.upload_id)
            product.check_material(material)
            params = product.validate(request.params)
            return OrderLine(product.id, request.quantity, material, params, request.upload_id)
        except InvalidInput as exc:
            raise type(exc)(f"lines[{index}]: {exc.message}") from None

    def quote(
        self,
        requests: Sequence[LineRequest],
        destination: Destination,
        customer_id: str | None = None,
    ) -> Quote:
        """Options at every capable site; uploads must be ``customer_id``'s when it is given."""
        lines = self._estimate_designs(self.check_lines(requests))
        with self._uow() as uow:
            return self._quote(uow, self._with_uploads(uow, lines, customer_id), destination)

    def _quote(self, uow: UnitOfWork, lines: Sequence[OrderLine], dest: Destination) -> Quote:
        """Options at every capable site, offering the factory routing would give the order."""
        now = self._clock.now()
        active = uow.tasks.in_states(None, (TaskState.SCHEDULED, TaskState.RUNNING))
        pieces = uow.tasks.places((TaskState.SCHEDULED, TaskState.RUNNING))
        loaded = {r.machine_id: r.family for r in uow.machines.all() if r.family is not None}
        closed = closed_machines(uow.maintenance.ahead(now), self._network, now)
        loads = site_loads(self._network, active, now, pieces, loaded, closed)
        offer = quote(self._network, lines, dest, now, loads)
        site = factory_to_offer(
            self._network,
            offer.lines or lines,
            dest.location,
            backlog_hours(self._network, active, pieces),
            Shelves(uow).level,
        )
        return offer if site is None else replace(offer, offered=site.id)

    def place(self, command: PlaceOrder) -> Placed:
        """Place an order once: a retry with the same key returns the first order."""
        checked = self.check_lines(command.lines)
        check_priority(command.priority)
        digest = request_hash(command.customer_id, checked, command.destination, command.priority)
        lines = self._estimate_designs(checked)  # outside the transaction: up to ~250 ms each
        with self._uow() as uow:
            existing = self._existing(uow, command, digest)
            if existing is not None:
                return Placed(existing, created=False)
            lines = self._with_uploads(uow, lines, command.customer_id)
            offer = self._quote(uow, lines, command.destination)
            best = offer.best
            if best is None:
                raise NoCapableFactory(
                    "no micro-factory in the network can make this order "
                    "(only a central plant could); change the product or material"
                )
            order = Order(
                id=self._ids("ord"),
                customer_id=command.customer_id,
                lines=lines,
                destination=command.destination,
                placed_at=offer.quoted_at,
                promised_at=_round_up_to_hour(best.delivery_at + PROMISE_BUFFER),
                price_cents=best.price_cents,
                co2e_kg=round(best.footprint.total, 4),
                idempotency_key=command.idempotency_key,
                request_hash=digest,
                priority=command.priority,
            )
            try:
                uow.orders.add(order)
                uow.commit()
            except Conflict:
                uow.rollback()
                again = self._existing(uow, command, digest)
                if again is None:
                    raise
                return Placed(again, created=False)
            return Placed(order, created=True)

    def _existing(self, uow: UnitOfWork, command: PlaceOrder, digest: str) -> Order | None:
        if command.idempotency_key is None:
            return None
        found = uow.orders.find_by_idempotency_key(command.customer_id, command.idempotency_key)
        if found is not None and found.request_hash != digest:
            raise IdempotencyMismatch(
                f"Idempotency-Key {command.idempotency_key!r} was used for a different order "
                f"({found.id}); use a new key for a new order"
            )
        return found

    def get(self, order_id: str) -> Order:
        with self._uow() as uow:
            return uow.orders.get(order_id)

    def list(self, query: OrderQuery) -> Page[Order]:
        with self._uow() as uow:
            return uow.orders.query(query)

    def prioritise(self, order_id: str, priority: int) -> Order:
        """Give an order not yet finished a new priority; its factory re-plans for it.

        Setting a value is safe to repeat, so a save that lost a race with the controller
        (which saves orders as their plans change) reads the order again and tries once more.
        """
        check_priority(priority)
        attempt = 1
        while True:
            try:
                return self._prioritise_once(order_id, priority)
            except StaleState:
                if attempt == PRIORITY_ATTEMPTS:
                    raise
                attempt += 1

    def _prioritise_once(self, order_id: str, priority: int) -> Order:
        with self._uow() as uow:
            order = uow.orders.get(order_id)
            if order.prioritise(priority, self._clock.now()):
                uow.orders.save(order)
                uow.commit()
            return order

    def cancel(self, order_id: str, reason: str = "cancelled by request") -> Order:
        """Cancel an order that has not started production; its stock goes back on the shelf."""
        with self._uow() as uow:
            order = uow.orders.get(order_id)
            now = self._clock.now()
            order.cancel(now, reason)
            for task in uow.tasks.for_order(order_id):
                if task.state is TaskState.SCHEDULED:
                    task.cancel(now, reason)
                    uow.tasks.save(task)
            if order.factory_id is not None:
                _return_stock(uow, self._network, order)
            uow.orders.save(order)
            uow.commit()
            return order


def _check_upload_named(product: ProductTemplate, upload_id: str | None) -> None:
    if product.from_upload and upload_id is None:
        raise InvalidInput(
            f"product {product.id!r} is made from your own model: give upload_id, the id "
            "POST /v1/uploads (or `microfab upload add`) returned"
        )
    if not product.from_upload and upload_id is not None:
        raise InvalidInput(
            f"product {product.id!r} is not made from an upload; leave out upload_id, or "
            "order a product made from uploads"
        )


def _return_stock(uow: UnitOfWork, network: Network, order: Order) -> None:
    assert order.factory_id is not None
    for sku, quantity in stock_needs(network, order.lines).items():
        uow.stock.put(order.factory_id, sku, quantity)


def request_hash(
    customer_id: str,
    lines: Sequence[OrderLine],
    destination: Destination,
    priority: int = NORMAL_PRIORITY,
) -> str:
    """What identifies a placement request, for idempotency: a retry must hash the same."""
    body: dict[str, object] = {
        "customer": customer_id,
        "lines": [
            [line.product_id, line.quantity, line.material, sorted(line.params.items())]
            + ([line.upload_id] if line.upload_id is not None else [])
            for line in lines
        ],
        "destination": [destination.location.lat, destination.location.lon, destination.label],
    }
    if priority != NORMAL_PRIORITY:  # orders placed before priorities existed hash as they did
        body["priority"] = priority
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _round_up_to_hour(when: datetime) -> datetime:
    floor = when.replace(minute=0, second=0, microsecond=0)
    return floor if floor == when else floor + timedelta(hours=1)
