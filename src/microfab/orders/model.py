"""The Order aggregate and its state machine.

::

    placed → routed → scheduled → in_production → finished → shipped → delivered
       │        │          │            │
       └────────┴──────────┴─► cancelled (only before production starts)
       any of placed/routed/scheduled/in_production → failed → rerouted → routed ...

An attempt at any other change raises ``IllegalTransition``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from microfab.catalog.model import ParamValue
from microfab.errors import IllegalTransition, InvalidInput
from microfab.network.model import Location


class OrderState(StrEnum):
    PLACED = "placed"
    ROUTED = "routed"
    SCHEDULED = "scheduled"
    IN_PRODUCTION = "in_production"
    FINISHED = "finished"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    FAILED = "failed"
    REROUTED = "rerouted"


ALLOWED: Mapping[OrderState, frozenset[OrderState]] = {
    OrderState.PLACED: frozenset({OrderState.ROUTED, OrderState.CANCELLED, OrderState.FAILED}),
    OrderState.ROUTED: frozenset({OrderState.SCHEDULED, OrderState.CANCELLED, OrderState.FAILED}),
    OrderState.SCHEDULED: frozenset(
        {OrderState.IN_PRODUCTION, OrderState.CANCELLED, OrderState.FAILED}
    ),
    OrderState.IN_PRODUCTION: frozenset({OrderState.FINISHED, OrderState.FAILED}),
    OrderState.FINISHED: frozenset({OrderState.SHIPPED}),
    OrderState.SHIPPED: frozenset({OrderState.DELIVERED}),
    OrderState.DELIVERED: frozenset(),
    OrderState.CANCELLED: frozenset(),
    OrderState.FAILED: frozenset({OrderState.REROUTED, OrderState.CANCELLED}),
    OrderState.REROUTED: frozenset({OrderState.ROUTED, OrderState.CANCELLED, OrderState.FAILED}),
}

OPEN_STATES = frozenset(s for s, nexts in ALLOWED.items() if nexts)
WAITING_FOR_ROUTE = frozenset({OrderState.PLACED, OrderState.REROUTED})


@dataclass(frozen=True)
class OrderLine:
    product_id: str
    quantity: int
    material: str
    params: Mapping[str, ParamValue]

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InvalidInput(f"quantity must be a whole number, not {self.quantity!r}")
        if self.quantity <= 0:
            raise InvalidInput(f"quantity must be at least 1, not {self.quantity}")


@dataclass(frozen=True)
class Destination:
    location: Location
    label: str = ""


@dataclass(frozen=True)
class StateChange:
    at: datetime
    state: OrderState
    note: str = ""


@dataclass(frozen=True)
class Shipment:
    origin: str
    mode: str
    distance_km: float
    shipped_at: datetime
    arrives_at: datetime
    cost_cents: int
    co2e_kg: float


@dataclass
class Order:
    """A customer's order: its lines, where it goes, what was promised and where it is now."""

    id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    destination: Destination
    placed_at: datetime
    promised_at: datetime
    price_cents: int
    co2e_kg: float
    idempotency_key: str | None = None
    request_hash: str = ""
    state: OrderState = OrderState.PLACED
    factory_id: str | None = None
    ready_at: datetime | None = None
    shipment: Shipment | None = None
    delivered_at: datetime | None = None
    history: list[StateChange] = field(default_factory=list)
    version: int = 0

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidInput("an order needs at least one line")
        if not self.history:
            self.history.append(StateChange(self.placed_at, OrderState.PLACED))

    def _move(self, to: OrderState, at: datetime, note: str = "") -> None:
        if to not in ALLOWED[self.state]:
            allowed = ", ".join(sorted(ALLOWED[self.state])) or "nothing (it is closed)"
            raise IllegalTransition(
                f"order {self.id} is {self.state.value} and cannot become {to.value}; "
                f"from {self.state.value} it can become: {allowed}"
            )
        self.state = to
        self.history.append(StateChange(at, to, note))

    def route_to(self, factory_id: str, at: datetime) -> None:
        self._move(OrderState.ROUTED, at, factory_id)
        self.factory_id = factory_id

    def schedule(self, ready_at: datetime, at: datetime) -> None:
        self._move(OrderState.SCHEDULED, at)
        self.ready_at = ready_at

    def start_production(self, at: datetime) -> None:
        self._move(OrderState.IN_PRODUCTION, at)

    def finish(self, at: datetime) -> None:
        self._move(OrderState.FINISHED, at)
        self.ready_at = at

    def ship(self, shipment: Shipment) -> None:
        self._move(OrderState.SHIPPED, shipment.shipped_at, shipment.mode)
        self.shipment = shipment

    def deliver(self, at: datetime) -> None:
        self._move(OrderState.DELIVERED, at)
        self.delivered_at = at

    def cancel(self, at: datetime, reason: str = "") -> None:
        self._move(OrderState.CANCELLED, at, reason)

    def fail(self, at: datetime, reason: str) -> None:
        self._move(OrderState.FAILED, at, reason)

    def reroute(self, at: datetime, reason: str = "") -> None:
        self._move(OrderState.REROUTED, at, reason)
        self.factory_id = None
        self.ready_at = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def late(self) -> bool:
        """Delivered after the promised time (open orders count once the promise has passed)."""
        return self.delivered_at is not None and self.delivered_at > self.promised_at

    @property
    def lead_time_hours(self) -> float | None:
        if self.delivered_at is None:
            return None
        return (self.delivered_at - self.placed_at).total_seconds() / 3600
