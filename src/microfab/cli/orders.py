"""``microfab order quote|place|list|show|prioritise|cancel``: orders straight from the
database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from microfab.bootstrap import Services, build_services, network_time, open_database
from microfab.catalog.model import LineEstimate
from microfab.cli.common import DbOption, console, parse_params, settings_for, user_errors
from microfab.clock import ManualClock, WallClock
from microfab.network.model import Location
from microfab.orders.model import (
    MAX_PRIORITY,
    NORMAL_PRIORITY,
    Destination,
    Order,
    OrderLine,
    OrderState,
)
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.quoting.model import Quote
from microfab.storage import OrderQuery
from microfab.units import format_money

order_app = typer.Typer(
    help="Quote, place, list, show, re-prioritise and cancel orders.", no_args_is_help=True
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
ParamOption = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="name=value, repeatable")
]
PriorityOption = Annotated[
    int,
    typer.Option(
        help=f"How much its lateness weighs in the plan, {NORMAL_PRIORITY} (normal) to "
        f"{MAX_PRIORITY}",
        min=NORMAL_PRIORITY,
        max=MAX_PRIORITY,
    ),
]
UploadOption = Annotated[
    str | None,
    typer.Option("--upload", help="Upload id (from `microfab upload add`), for custom-print"),
]


@contextmanager
def _services(db: str | None) -> Iterator[Services]:
    settings = settings_for(db)
    store = open_database(settings)
    clock = ManualClock(network_time(store) or WallClock().now())
    services = build_services(settings, clock=clock, store=store)
    try:
        yield services
    finally:
        services.close()


@order_app.command("quote")
@user_errors
def quote(
    product: Annotated[str, typer.Argument(help="Product id, e.g. phone-grip or custom-print")],
    lat: Annotated[float, typer.Option(help="Delivery latitude", min=-90, max=90)],
    lon: Annotated[float, typer.Option(help="Delivery longitude", min=-180, max=180)],
    param: ParamOption = None,
    quantity: Annotated[int, typer.Option(help="How many")] = 1,
    material: Annotated[str | None, typer.Option(help="Material id")] = None,
    upload: UploadOption = None,
    customer: Annotated[
        str | None, typer.Option(help="Customer id (an upload must be theirs)")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Price one product at every capable factory; nothing is stored."""
    with _services(db) as services:
        template = services.network.products.get(product)
        line = LineRequest(product, quantity, parse_params(template, param or []), material, upload)
        offer = services.orders.quote((line,), Destination(Location(lat, lon)), customer)
    _show_quote(offer, as_json)


@order_app.command("place")
@user_errors
def place(
    product: Annotated[str, typer.Argument(help="Product id, e.g. phone-grip")],
    customer: Annotated[str, typer.Option(help="Customer id")],
    lat: Annotated[float, typer.Option(help="Delivery latitude", min=-90, max=90)],
    lon: Annotated[float, typer.Option(help="Delivery longitude", min=-180, max=180)],
    param: ParamOption = None,
    quantity: Annotated[int, typer.Option(help="How many")] = 1,
    material: Annotated[str | None, typer.Option(help="Material id")] = None,
    upload: UploadOption = None,
    label: Annotated[str, typer.Option(help="Delivery address label")] = "",
    idempotency_key: Annotated[str | None, typer.Option(help="Retry-safe key")] = None,
    priority: PriorityOption = NORMAL_PRIORITY,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Place an order for one product."""
    with _services(db) as services:
        template = services.network.products.get(product)
        params = parse_params(template, param or [])
        placed = services.orders.place(
            PlaceOrder(
                customer_id=customer,
                lines=(LineRequest(product, quantity, params, material, upload),),
                destination=Destination(Location(lat, lon), label),
                idempotency_key=idempotency_key,
                priority=priority,
            )
        )
    _show(placed.order, as_json)


@order_app.command("list")
@user_errors
def list_orders(
    state: Annotated[OrderState | None, typer.Option(help="Only orders in this state")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer's orders")] = None,
    factory: Annotated[str | None, typer.Option(help="Only orders routed to this factory")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List orders, newest first."""
    with _services(db) as services:
        page = services.orders.list(OrderQuery(state, customer, factory, limit))
    if as_json:
        console.print_json(json.dumps([_as_dict(o) for o in page.items]))
        return
    table = Table()
    columns = ("order", "customer", "state", "factory", "priority", "placed", "promised", "price")
    for column in columns:
        table.add_column(column)
    for order in page.items:
        table.add_row(
            order.id,
            order.customer_id,
            order.state.value,
            order.factory_id or "",
            str(order.priority),
            f"{order.placed_at:%Y-%m-%d %H:%M}",
            f"{order.promised_at:%Y-%m-%d %H:%M}",
            format_money(order.price_cents),
        )
    console.print(table)


@order_app.command("show")
@user_errors
def show(
    order_id: Annotated[str, typer.Argument(help="Order id")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one order with its history."""
    with _services(db) as services:
        order = services.orders.get(order_id)
    _show(order, as_json)


@order_app.command("prioritise")
@user_errors
def prioritise(
    order_id: Annotated[str, typer.Argument(help="Order id")],
    priority: Annotated[
        int,
        typer.Argument(
            help=f"The new priority, {NORMAL_PRIORITY} (normal) to {MAX_PRIORITY}",
            min=NORMAL_PRIORITY,
            max=MAX_PRIORITY,
        ),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give an order not yet finished a new priority: its factory re-plans for it.

    A minute late of an order of priority 5 weighs as much as five minutes late of one of
    priority 1. A running `microfab serve` on the same database re-plans within a step.
    """
    with _services(db) as services:
        order = services.orders.prioritise(order_id, priority)
    _show(order, as_json)


@order_app.command("cancel")
@user_errors
def cancel(
    order_id: Annotated[str, typer.Argument(help="Order id")],
    reason: Annotated[str, typer.Option(help="Why")] = "cancelled from the command line",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel an order that has not started production."""
    with _services(db) as services:
        order = services.orders.cancel(order_id, reason)
    _show(order, as_json)


def _as_dict(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "state": order.state.value,
        "factory_id": order.factory_id,
        "placed_at": order.placed_at.isoformat(),
        "promised_at": order.promised_at.isoformat(),
        "price_cents": order.price_cents,
        "co2e_kg": order.co2e_kg,
        "priority": order.priority,
        "prioritised_at": order.prioritised_at.isoformat() if order.prioritised_at else None,
        "lines": [_line_dict(line) for line in order.lines],
        "history": [
            {"at": change.at.isoformat(), "state": change.state.value, "note": change.note}
            for change in order.history
        ],
    }


def _line_dict(line: OrderLine) -> dict[str, Any]:
    return {
        "product": line.product_id,
        "quantity": line.quantity,
        "material": line.material,
        "params": dict(line.params),
        "upload_id": line.upload_id,
        "estimate": line.estimate.as_dict() if line.estimate else None,
    }


def _estimate_text(estimate: LineEstimate) -> str:
    """``fdm on Prusa MK4: 26.5 min, 6.1 g per unit; phone-grip v1 #3f9c0a1b``."""
    parts = []
    for p in estimate.processes:
        amount = (
            f", {p.material_g:g} g"
            if p.material_g is not None
            else f", {p.sheet_area_m2:g} m²"
            if p.sheet_area_m2 is not None
            else ""
        )
        parts.append(f"{p.process} on {p.profile}: {p.minutes:g} min{amount}")
    design = f"{estimate.design} v{estimate.version} #{estimate.params_hash}"
    return f"{'; '.join(parts)} per unit; {design}"


def _print_lines(lines: tuple[OrderLine, ...]) -> None:
    for line in lines:
        params = ", ".join(f"{k}={v}" for k, v in line.params.items())
        upload = f" from {line.upload_id}" if line.upload_id else ""
        console.print(f"  {line.quantity}× {line.product_id}{upload} in {line.material} ({params})")
        if line.estimate is not None:
            console.print(f"     estimate: {_estimate_text(line.estimate)}", highlight=False)


def _show_quote(offer: Quote, as_json: bool) -> None:
    options = [*offer.local, *offer.central]
    if as_json:
        body = {
            "quoted_at": offer.quoted_at.isoformat(),
            "lines": [_line_dict(line) for line in offer.lines],
            "options": [
                {
                    "site_id": o.site_id,
                    "central": o.central,
                    "price_cents": o.price_cents,
                    "machine_minutes": o.machine_minutes,
                    "co2e_kg": round(o.footprint.total, 4),
                    "ready_at": o.ready_at.isoformat(),
                    "delivery_at": o.delivery_at.isoformat(),
                }
                for o in options
            ],
        }
        console.print_json(json.dumps(body))
        return
    _print_lines(offer.lines)
    table = Table()
    for column in ("site", "price", "machine min", "kg CO2e", "ready", "delivered"):
        table.add_column(column)
    for o in options:
        table.add_row(
            o.site_id + (" (central)" if o.central else ""),
            format_money(o.price_cents),
            f"{o.machine_minutes:g}",
            f"{o.footprint.total:.3f}",
            f"{o.ready_at:%Y-%m-%d %H:%M}",
            f"{o.delivery_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


def _show(order: Order, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(_as_dict(order)))
        return
    console.print(
        f"[bold]{order.id}[/] for {order.customer_id}: [bold]{order.state.value}[/]"
        f"{' at ' + order.factory_id if order.factory_id else ''}; "
        f"{format_money(order.price_cents)}, {order.co2e_kg:.3f} kg CO2e, "
        f"promised {order.promised_at:%Y-%m-%d %H:%M} UTC"
        f"{'' if order.priority == NORMAL_PRIORITY else f'; priority {order.priority}'}"
    )
    _print_lines(order.lines)
    for change in order.history:
        note = f" — {change.note}" if change.note else ""
        console.print(f"  {change.at:%Y-%m-%d %H:%M} {change.state.value}{note}")
