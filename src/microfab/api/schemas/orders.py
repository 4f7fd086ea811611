"""Orders and quotes: what a customer sends and what the API answers."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from microfab.api.schemas.common import (
    FootprintPublic,
    Identifier,
    Input,
    Money,
    Place,
    TaskPublic,
    UtcTime,
)
from microfab.catalog.model import LineEstimate, ProcessEstimate
from microfab.execution.views import OrderView
from microfab.network.model import Location
from microfab.orders.model import (
    MAX_PRIORITY,
    NORMAL_PRIORITY,
    Destination,
    Order,
    OrderLine,
    OrderState,
    Shipment,
)
from microfab.orders.service import LineRequest
from microfab.quoting.model import Quote, QuoteOption

EXAMPLE_ORDER: dict[str, Any] = {
    "customer_id": "cust-42",
    "destination": {"lat": 52.53, "lon": 13.41, "label": "Torstraße 1, Berlin"},
    "lines": [
        {
            "product": "phone-grip",
            "quantity": 2,
            "material": "pla",
            "params": {"name": "Mia", "colour": "red"},
        }
    ],
}

PRIORITY_MEANING = (
    f"How much the order's lateness weighs in its factory's plan, {NORMAL_PRIORITY} (normal) to "
    f"{MAX_PRIORITY}: a minute late at priority 5 counts as five at priority 1."
)


# -- requests ----------------------------------------------------------------------------------


class DestinationCreate(Input):
    lat: float = Field(ge=-90, le=90, examples=[52.53])
    lon: float = Field(ge=-180, le=180, examples=[13.41])
    label: str = Field(default="", max_length=200, examples=["Torstraße 1, Berlin"])

    def to_domain(self) -> Destination:
        return Destination(Location(self.lat, self.lon), self.label)


class LineCreate(Input):
    product: Identifier = Field(examples=["phone-grip"])
    quantity: StrictInt = Field(gt=0, le=10_000, examples=[2])
    material: Identifier | None = Field(
        default=None, description="One of the product's materials; its first when left out."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Values for the product's parameters (see GET /v1/catalog/{product}); "
        "those left out take their defaults.",
        examples=[{"name": "Mia", "colour": "red"}],
    )
    upload_id: Identifier | None = Field(
        default=None,
        description="For products made from your own model (e.g. custom-print): the id "
        "POST /v1/uploads returned.",
        examples=["upl_5e0c2a9f1b7d4e33"],
    )

    def to_request(self) -> LineRequest:
        return LineRequest(self.product, self.quantity, self.params, self.material, self.upload_id)


class QuoteCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{k: v for k, v in EXAMPLE_ORDER.items() if k != "customer_id"}]
        }
    )

    destination: DestinationCreate
    lines: list[LineCreate] = Field(min_length=1, max_length=50)

    def line_requests(self) -> tuple[LineRequest, ...]:
        return tuple(line.to_request() for line in self.lines)


class OrderCreate(QuoteCreate):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ORDER]})

    customer_id: Identifier | None = Field(
        default=None, description="Who the order is for; a customer key always orders for itself."
    )
    priority: StrictInt | None = Field(
        default=None,
        ge=NORMAL_PRIORITY,
        le=MAX_PRIORITY,
        description=PRIORITY_MEANING + " Only planner and admin keys may set it; default 1.",
    )


class OrderPriority(Input):
    priority: StrictInt = Field(
        ge=NORMAL_PRIORITY, le=MAX_PRIORITY, description=PRIORITY_MEANING, examples=[5]
    )


class OrderCancel(Input):
    reason: str = Field(default="cancelled by request", min_length=1, max_length=500)


# -- orders ------------------------------------------------------------------------------------


class DestinationPublic(Place):
    label: str


class ProcessEstimatePublic(BaseModel):
    """One unit on one kind of machine, from the geometry."""

    process: str = Field(examples=["fdm"])
    machine: str = Field(description="The machine profile estimated on.", examples=["Prusa MK4"])
    minutes: float = Field(description="Machine minutes per unit, before set-up.")
    material_g: float | None = Field(default=None, description="Filament or stock, grams.")
    sheet_area_m2: float | None = Field(default=None, description="Sheet or fabric, m².")

    @classmethod
    def of(cls, estimate: ProcessEstimate) -> Self:
        return cls(
            process=estimate.process,
            machine=estimate.profile,
            minutes=estimate.minutes,
            material_g=estimate.material_g,
            sheet_area_m2=estimate.sheet_area_m2,
        )


class EstimatePublic(BaseModel):
    """The geometry estimate a line is priced and made with."""

    source: str = Field(description="`template` (a catalog design) or `upload`.")
    design: str = Field(description="The catalog template id, or the upload id.")
    version: int = Field(description="The template's version (1 for uploads).")
    params_hash: str = Field(description="Digest of the parameters, or of the uploaded file.")
    size_mm: list[float]
    processes: list[ProcessEstimatePublic]

    @classmethod
    def of(cls, estimate: LineEstimate) -> Self:
        return cls(
            source=estimate.source,
            design=estimate.design,
            version=estimate.version,
            params_hash=estimate.params_hash,
            size_mm=list(estimate.size_mm),
            processes=[ProcessEstimatePublic.of(p) for p in estimate.processes],
        )


class LinePublic(BaseModel):
    product: str
    quantity: int
    material: str
    params: dict[str, float | int | str | bool]
    upload_id: str | None = None
    estimate: EstimatePublic | None = Field(
        default=None,
        description="From the design's geometry; null for products priced by their duration "
        "model (no catalog template).",
    )

    @classmethod
    def of(cls, line: OrderLine) -> Self:
        return cls(
            product=line.product_id,
            quantity=line.quantity,
            material=line.material,
            params=dict(line.params),
            upload_id=line.upload_id,
            estimate=EstimatePublic.of(line.estimate) if line.estimate else None,
        )


class StateChangePublic(BaseModel):
    at: UtcTime
    state: OrderState
    note: str


class ShipmentPublic(BaseModel):
    origin: str
    mode: str
    distance_km: float
    shipped_at: UtcTime
    arrives_at: UtcTime
    cost: Money
    co2e_kg: float

    @classmethod
    def of(cls, shipment: Shipment, currency: str) -> Self:
        return cls(
            origin=shipment.origin,
            mode=shipment.mode,
            distance_km=shipment.distance_km,
            shipped_at=shipment.shipped_at,
            arrives_at=shipment.arrives_at,
            cost=Money.of(shipment.cost_cents, currency),
            co2e_kg=shipment.co2e_kg,
        )


class OrderPublic(BaseModel):
    id: str = Field(examples=["ord_3f9c0a1b7d2e4c55"])
    customer_id: str
    state: OrderState
    factory_id: str | None = Field(description="The factory making it, once routed.")
    lines: list[LinePublic]
    destination: DestinationPublic
    placed_at: UtcTime
    promised_at: UtcTime
    ready_at: UtcTime | None
    delivered_at: UtcTime | None
    price: Money
    co2e_kg: float
    shipment: ShipmentPublic | None
    history: list[StateChangePublic]
    priority: int = Field(description=PRIORITY_MEANING)
    prioritised_at: UtcTime | None = Field(
        description="When a planner last changed the priority, if ever."
    )

    @classmethod
    def of(cls, order: Order, currency: str) -> Self:
        return cls(
            id=order.id,
            customer_id=order.customer_id,
            state=order.state,
            factory_id=order.factory_id,
            lines=[LinePublic.of(line) for line in order.lines],
            destination=DestinationPublic(
                lat=order.destination.location.lat,
                lon=order.destination.location.lon,
                label=order.destination.label,
            ),
            placed_at=order.placed_at,
            promised_at=order.promised_at,
            ready_at=order.ready_at,
            delivered_at=order.delivered_at,
            price=Money.of(order.price_cents, currency),
            co2e_kg=order.co2e_kg,
            shipment=ShipmentPublic.of(order.shipment, currency) if order.shipment else None,
            history=[StateChangePublic(at=h.at, state=h.state, note=h.note) for h in order.history],
            priority=order.priority,
            prioritised_at=order.prioritised_at,
        )


class OrderDetail(OrderPublic):
    """An order with the tasks that make it."""

    tasks: list[TaskPublic]

    @classmethod
    def of_view(cls, view: OrderView, currency: str) -> Self:
        public = OrderPublic.of(view.order, currency)
        return cls(**dict(public), tasks=[TaskPublic.of(t) for t in view.tasks])


class OrdersPublic(BaseModel):
    items: list[OrderPublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


# -- quotes ------------------------------------------------------------------------------------


class QuoteOptionPublic(BaseModel):
    site_id: str
    site_name: str
    central: bool = Field(description="A central plant: the baseline beside the local offers.")
    mode: str
    distance_km: float
    machine_minutes: float
    production: Money
    shipping: Money
    price: Money
    co2e_kg: FootprintPublic
    ready_at: UtcTime
    delivery_at: UtcTime

    @classmethod
    def of(cls, option: QuoteOption, currency: str) -> Self:
        return cls(
            site_id=option.site_id,
            site_name=option.site_name,
            central=option.central,
            mode=option.mode,
            distance_km=option.distance_km,
            machine_minutes=option.machine_minutes,
            production=Money.of(option.production_cents, currency),
            shipping=Money.of(option.shipping_cents, currency),
            price=Money.of(option.price_cents, currency),
            co2e_kg=FootprintPublic.of(option.footprint),
            ready_at=option.ready_at,
            delivery_at=option.delivery_at,
        )


class QuotePublic(BaseModel):
    quoted_at: UtcTime
    best: QuoteOptionPublic | None = Field(description="The local offer an order would get.")
    local: list[QuoteOptionPublic]
    central: list[QuoteOptionPublic]
    lines: list[LinePublic] = Field(description="The lines as quoted, with their estimates.")

    @classmethod
    def of(cls, quote: Quote, currency: str) -> Self:
        return cls(
            quoted_at=quote.quoted_at,
            best=QuoteOptionPublic.of(quote.best, currency) if quote.best else None,
            local=[QuoteOptionPublic.of(o, currency) for o in quote.local],
            central=[QuoteOptionPublic.of(o, currency) for o in quote.central],
            lines=[LinePublic.of(line) for line in quote.lines],
        )
