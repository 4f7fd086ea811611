"""Quotes: price, delivery and CO2e at every capable factory, beside the central baseline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from microfab.access import Principal
from microfab.api.auth import BUYERS, allow
from microfab.api.deps import ServicesDep
from microfab.api.problems import problem_responses
from microfab.api.schemas.orders import QuoteCreate, QuotePublic

router = APIRouter(prefix="/v1/quotes", tags=["quotes"])


@router.post(
    "",
    operation_id="createQuote",
    summary="Quote lines to a destination; nothing is stored",
    responses=problem_responses(401, 403, 422),
)
def create_quote(
    body: QuoteCreate,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(allow(*BUYERS))],
) -> QuotePublic:
    quote = services.orders.quote(
        body.line_requests(), body.destination.to_domain(), customer_id=caller.customer_id
    )
    return QuotePublic.of(quote, services.network.currency)
