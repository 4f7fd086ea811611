"""Orders: place (idempotently), read, list, re-prioritise and cancel.

A retried ``POST /v1/orders`` with the same ``Idempotency-Key`` and body answers 200 with the
first order and ``Idempotent-Replayed: true``; the same key with another body is a 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response

from microfab.access import Principal
from microfab.api.auth import (
    BUYERS,
    PLANNERS,
    allow,
    authenticate,
    customer_scope,
    factory_scope,
    unseen,
)
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.orders import (
    OrderCancel,
    OrderCreate,
    OrderDetail,
    OrderPriority,
    OrderPublic,
    OrdersPublic,
)
from microfab.bootstrap import Services
from microfab.errors import NotFound
from microfab.execution.views import OrderView, order_view
from microfab.orders.model import NORMAL_PRIORITY, OrderState
from microfab.orders.service import PlaceOrder
from microfab.storage import MAX_PAGE, OrderQuery

router = APIRouter(prefix="/v1/orders", tags=["orders"])

Caller = Annotated[Principal, Depends(authenticate)]
REPLAYED = {"model": OrderPublic, "description": "A retry: the order the same key placed first"}


@router.post(
    "",
    operation_id="placeOrder",
    summary="Place an order; retry safely with the same Idempotency-Key",
    status_code=201,
    responses={200: REPLAYED, **problem_responses(401, 403, 409, 422)},
)
def place_order(
    body: OrderCreate,
    request: Request,
    response: Response,
    services: ServicesDep,
    caller: Caller,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Unique text per order (a UUID); a retry with it returns the first order.",
        ),
    ] = None,
) -> OrderPublic:
    command = PlaceOrder(
        customer_id=caller.customer_for(body.customer_id),
        lines=body.line_requests(),
        destination=body.destination.to_domain(),
        idempotency_key=idempotency_key,
        priority=caller.priority_for(body.priority) or NORMAL_PRIORITY,
    )
    placed = services.orders.place(command)
    if placed.created:
        response.headers["Location"] = str(request.url_for("get_order", order_id=placed.order.id))
    else:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return OrderPublic.of(placed.order, services.network.currency)


@router.get(
    "",
    operation_id="listOrders",
    summary="Orders, newest first, a page at a time",
    responses=problem_responses(401, 403, 422),
)
def list_orders(
    services: ServicesDep,
    caller: Caller,
    state: OrderState | None = None,
    customer_id: Annotated[str | None, Query(max_length=100)] = None,
    factory_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=100, description="`next_cursor` of the previous page")
    ] = None,
) -> OrdersPublic:
    query = OrderQuery(
        state=state,
        customer_id=customer_scope(caller, customer_id),
        factory_id=factory_scope(caller, factory_id),
        limit=limit,
        cursor=cursor,
    )
    page = services.orders.list(query)
    currency = services.network.currency
    return OrdersPublic(
        items=[OrderPublic.of(o, currency) for o in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{order_id}",
    operation_id="getOrder",
    summary="One order with its history, shipment and tasks",
    responses=problem_responses(401, 404, 422),
)
def get_order(order_id: str, services: ServicesDep, caller: Caller) -> OrderDetail:
    view = _visible_order(services, caller, order_id)
    return OrderDetail.of_view(view, services.network.currency)


@router.post(
    "/{order_id}/cancel",
    operation_id="cancelOrder",
    summary="Cancel an order that has not started production",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def cancel_order(
    order_id: str,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(allow(*BUYERS))],
    body: Annotated[OrderCancel | None, Body()] = None,
) -> OrderPublic:
    _visible_order(services, caller, order_id)
    reason = (body or OrderCancel()).reason
    order = services.orders.cancel(order_id, reason)
    return OrderPublic.of(order, services.network.currency)


@router.post(
    "/{order_id}/priority",
    operation_id="prioritiseOrder",
    summary="Give an order not yet finished a new priority; its factory re-plans for it",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def prioritise_order(
    order_id: str,
    body: OrderPriority,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(allow(*PLANNERS))],
) -> OrderPublic:
    _visible_order(services, caller, order_id)
    order = services.orders.prioritise(order_id, body.priority)
    return OrderPublic.of(order, services.network.currency)


def _visible_order(services: Services, caller: Principal, order_id: str) -> OrderView:
    """The order if the caller may see it; otherwise the same 404 as for a missing one."""
    try:
        view = order_view(services.uow, order_id)
    except NotFound:
        raise unseen(caller, "order", order_id) from None
    if not caller.can_see(view.order.customer_id, view.order.factory_id):
        raise unseen(caller, "order", order_id)
    return view
