"""``microfab order place|list|show|cancel``: orders straight from the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from microfab.bootstrap import Services, build_services, network_time, open_database
from microfab.cli.common import DbOption, console, parse_params, settings_for, user_errors
from microfab.clock import ManualClock, WallClock
from microfab.network.model import Location
from microfab.orders.model import Destination, Order, OrderState
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.storage import OrderQuery
from microfab.units import format_money

order_app = typer.Typer(help="Place, list, show and cancel orders.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


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


@order_app.command("place")
@user_errors
def place(
    product: Annotated[str, typer.Argument(help="Product id, e.g. phone-grip")],
    customer: Annotated[str, typer.Option(help="Customer id")],
    lat: Annotated[float, typer.Option(help="Delivery latitude", min=-90, max=90)],
    lon: Annotated[float, typer.Option(help="Delivery longitude", min=-180, max=180)],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value, repeatable")
    ] = None,
    quantity: Annotated[int, typer.Option(help="How many")] = 1,
    material: Annotated[str | None, typer.Option(help="Material id")] = None,
    label: Annotated[str, typer.Option(help="Delivery address label")] = "",
    idempotency_key: Annotated[str | None, typer.Option(help="Retry-safe key")] = None,
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
                lines=(LineRequest(product, quantity, params, material),),
                destination=Destination(Location(lat, lon), label),
                idempotency_key=idempotency_key,
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
    for column in ("order", "customer", "state", "factory", "placed", "promised", "price"):
        table.add_column(column)
    for order in page.items:
        table.add_row(
            order.id,
            order.customer_id,
            order.state.value,
            order.factory_id or "",
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
        "lines": [
            {
                "product": line.product_id,
                "quantity": line.quantity,
                "material": line.material,
                "params": dict(line.params),
            }
            for line in order.lines
        ],
        "history": [
            {"at": change.at.isoformat(), "state": change.state.value, "note": change.note}
            for change in order.history
        ],
    }


def _show(order: Order, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(_as_dict(order)))
        return
    console.print(
        f"[bold]{order.id}[/] for {order.customer_id}: [bold]{order.state.value}[/]"
        f"{' at ' + order.factory_id if order.factory_id else ''}; "
        f"{format_money(order.price_cents)}, {order.co2e_kg:.3f} kg CO2e, "
        f"promised {order.promised_at:%Y-%m-%d %H:%M} UTC"
    )
    for line in order.lines:
        params = ", ".join(f"{k}={v}" for k, v in line.params.items())
        console.print(f"  {line.quantity}× {line.product_id} in {line.material} ({params})")
    for change in order.history:
        note = f" — {change.note}" if change.note else ""
        console.print(f"  {change.at:%Y-%m-%d %H:%M} {change.state.value}{note}")
