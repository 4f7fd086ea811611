"""The Order aggregate and its state machine.

::

    placed → routed → scheduled → in_production → finished → shipped → delivered
       │        │          │            │
       └────────┴──────────┴─► cancelled (only before production starts)
       any of placed/routed/scheduled/in_production → failed → rerouted → routed ...

An attempt at any other change raises ``IllegalTransition``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from microfab.catalog.model import (
    LineEstimate,
    Operation,
    ParamValue,
    ProcessEstimate,
    ProductTemplate,
    fits,
)
from microfab.errors import IllegalTransition, InvalidInput
from microfab.network.model import Location, MachineSpec, Material, Network, Process, Site


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
PRIORITISABLE = OPEN_STATES - {OrderState.FINISHED, OrderState.SHIPPED}
"""States in which an order's priority still changes anything: its work is not all done."""

NORMAL_PRIORITY = 1
MAX_PRIORITY = 100


def check_priority(priority: int) -> int:
    """``priority`` if it is a whole number from 1 to ``MAX_PRIORITY``, else ``InvalidInput``.

    An order's priority weighs its lateness in its factory's plan: a minute late of an order of
    priority 5 costs as much as five minutes late of one of priority 1.
    """
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise InvalidInput(f"priority must be a whole number, not {priority!r}")
    if not NORMAL_PRIORITY <= priority <= MAX_PRIORITY:
        raise InvalidInput(
            f"priority must be from {NORMAL_PRIORITY} (normal) to {MAX_PRIORITY}, not {priority}"
        )
    return priority


@dataclass(frozen=True)
class OrderLine:
    """What to make: a product, how many, of what, with which parameters.

    ``estimate`` is the geometry estimate the line was quoted with (products with a catalog
    template or made from an upload); it is stored with the order, so the factory makes the line
    with the machine time and material the customer paid for. ``upload_id`` names the customer's
    uploaded model for products made from uploads.
    """

    product_id: str
    quantity: int
    material: str
    params: Mapping[str, ParamValue]
    upload_id: str | None = None
    estimate: LineEstimate | None = None

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InvalidInput(f"quantity must be a whole number, not {self.quantity!r}")
        if self.quantity <= 0:
            raise InvalidInput(f"quantity must be at least 1, not {self.quantity}")

    def material_units(self, product: ProductTemplate, material: Material) -> float:
        """Material the whole line takes, in the material's unit (kg, m², l).

        From the estimate's grams or sheet area when there is one, else the product's model.
        """
        estimate = self._material_estimate(product)
        if estimate is None:
            return product.material_units(self.params, self.quantity)
        if estimate.sheet_area_m2 is not None and material.unit == "m2":
            return self.quantity * estimate.sheet_area_m2
        grams = estimate.grams_of(material.density_g_cm3)
        if grams is not None:
            return self.quantity * grams / 1000 / material.kg_per_unit
        return product.material_units(self.params, self.quantity)

    def _material_estimate(self, product: ProductTemplate) -> ProcessEstimate | None:
        if self.estimate is None:
            return None
        for operation in product.routing:
            if operation.uses_material:
                return self.estimate.for_process(operation.process)
        return None

    def unit_mass_kg(self, product: ProductTemplate) -> float:
        """One unit's shipped mass: an uploaded model weighs what its estimate says."""
        estimate = self._material_estimate(product)
        if product.from_upload and estimate is not None and estimate.material_g is not None:
            return estimate.material_g / 1000
        return product.unit_mass_kg


def line_machines(
    site: Site, line: OrderLine, operation: Operation, product: ProductTemplate | None = None
) -> list[MachineSpec]:
    """The machines of ``site`` that can do ``operation`` for ``line``: its process, the line's
    material where the step uses it, room for the part where its size is known, and, given the
    ``product``, open long enough at a stretch between their closed hours for the step."""
    process = Process(operation.process)
    machines = site.machines_for(process, line.material if operation.uses_material else None)
    if product is not None:
        places = piece_places(site, operation.process, line)
        machines = [
            m
            for m in machines
            if not m.closed_hours
            or step_minutes(product, line, operation, m, places) <= site.longest_open(m)
        ]
    if line.estimate is None or line.estimate.for_process(operation.process) is None:
        return machines
    size = line.estimate.size_mm
    return [
        m for m in machines if m.build_volume_mm is None or fits(size, m.build_volume_mm) is None
    ]


def site_can_make(site: Site, product: ProductTemplate, line: OrderLine) -> bool:
    """``Site.can_make`` for this line, and every step has a machine with room for its part."""
    return site.can_make(product, line.material) and all(
        line_machines(site, line, operation, product) for operation in product.routing
    )


def step_minutes(
    product: ProductTemplate,
    line: OrderLine,
    operation: Operation,
    machine: MachineSpec,
    places: int = 1,
) -> float:
    """Minutes ``operation`` of ``line`` takes on ``machine``, set-up included.

    The one place a planned step's duration comes from: a piece's minutes come from the line's
    stored geometry estimate for the operation's process when it has one, the product's duration
    model otherwise, divided by the machine's speed factor. A one-part machine makes the pieces
    one after another after one set-up; a batch machine (``batch_capacity`` of 2 or more) makes
    as many pieces at once as fit in its places (``per_run``; a large part may take several),
    so the line takes ``ceil(quantity / per_run)`` runs, each a set-up and one piece's minutes
    (the run's length for this part); ``places`` is the places a piece takes
    (``piece_places``).
    """
    estimate = line.estimate.for_process(operation.process) if line.estimate else None
    if estimate is None:
        piece = operation.minutes_per_unit.evaluate(product, line.params)
    else:
        piece = estimate.minutes
    setups, pieces = _setups_and_piece_times(line.quantity, machine, places)
    return setups * operation.setup_minutes + pieces * piece / machine.speed_factor


def piece_places(site: Site, process: str, line: OrderLine) -> int:
    """The places of a batch run one piece of ``line`` takes at ``site`` for a step of
    ``process``: the most any of the site's batch machines of that process needs for it
    (``MachineSpec.piece_places``, by the size of the line's part), so that a job the plan
    or the floor moves between them never overfills a run; one where none batches."""
    size = line.estimate.size_mm if line.estimate else None
    return max(
        (
            m.piece_places(size)
            for m in site.machines
            if m.process.value == process and m.batch_capacity > 1
        ),
        default=1,
    )


def minutes_moved(
    minutes: float,
    quantity: int,
    setup: float,
    current: MachineSpec,
    machine: MachineSpec,
    places: int = 1,
) -> float:
    """A step's ``minutes`` on ``current`` (as ``step_minutes`` gave them) on ``machine`` instead.

    Set-ups stay as long; a piece's time scales with the machines' speeds; the count of set-ups
    and piece times follows each machine's batch capacity, as in ``step_minutes``, a piece
    taking ``places`` places of a run on either.
    """
    setups, pieces = _setups_and_piece_times(quantity, current, places)
    piece = max(minutes - setups * setup, 0.0) / pieces * current.speed_factor
    setups, pieces = _setups_and_piece_times(quantity, machine, places)
    return setups * setup + pieces * piece / machine.speed_factor


def batch_runs(quantity: int, machine: MachineSpec, places: int = 1) -> int:
    """How many runs ``quantity`` pieces of ``places`` places each take on ``machine``: as
    many pieces a run as fit in its places (one at least)."""
    return -(-quantity // per_run(machine, places))


def per_run(machine: MachineSpec, places: int = 1) -> int:
    """How many pieces of ``places`` places each one run of ``machine`` holds."""
    return max(machine.batch_capacity // max(places, 1), 1)


def _setups_and_piece_times(quantity: int, machine: MachineSpec, places: int) -> tuple[int, int]:
    if machine.batch_capacity < 2:
        return 1, quantity
    runs = batch_runs(quantity, machine, places)
    return runs, runs


@dataclass(frozen=True)
class Upload:
    """A customer's model file, checked and estimated, that lines of upload products name.

    The file's bytes are stored beside it (``UploadRepository.data``), not in this object.
    """

    id: str
    customer_id: str
    filename: str
    sha256: str
    size_bytes: int
    uploaded_at: datetime
    estimate: LineEstimate


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
    priority: int = NORMAL_PRIORITY
    """How much its lateness weighs in its factory's plan (``check_priority``)."""
    prioritised_at: datetime | None = None
    """When a planner last changed ``priority`` after the order was placed."""
    version: int = 0

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidInput("an order needs at least one line")
        check_priority(self.priority)
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

    def expect_ready(self, ready_at: datetime) -> bool:
        """Follow a new plan: the order is now expected to be ready at ``ready_at``. Only an
        order being planned or made has an expected time; returns whether it changed."""
        if self.state not in (OrderState.SCHEDULED, OrderState.IN_PRODUCTION):
            return False
        if self.ready_at == ready_at:
            return False
        self.ready_at = ready_at
        return True

    def prioritise(self, priority: int, at: datetime) -> bool:
        """Give the order a new priority; returns whether it changed.

        Only an order whose work is not all done can be re-prioritised (``IllegalTransition``
        otherwise): a finished, shipped, delivered or cancelled order has nothing left to plan.
        """
        check_priority(priority)
        if self.state not in PRIORITISABLE:
            raise IllegalTransition(
                f"order {self.id} is {self.state.value}: its priority no longer changes "
                "anything; only an order not yet finished can be re-prioritised"
            )
        if priority == self.priority:
            return False
        self.priority = priority
        self.prioritised_at = at
        return True

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


def stock_needs(network: Network, lines: Sequence[OrderLine]) -> dict[str, float]:
    """Materials and components the lines take from a factory's shelves."""
    needs: dict[str, float] = {}
    for line in lines:
        product = network.product(line.product_id)
        units = line.material_units(product, network.materials[line.material])
        needs[line.material] = needs.get(line.material, 0.0) + units
        for use in product.components:
            needs[use.sku] = needs.get(use.sku, 0.0) + use.quantity * line.quantity
    return needs
