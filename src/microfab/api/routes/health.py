"""Liveness with a database check (``/healthz``) and Prometheus metrics (``/metrics``); open."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from microfab.api.deps import ServicesDep
from microfab.api.metrics import Metrics
from microfab.api.schemas.common import Health
from microfab.storage import UnitOfWorkFactory

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


def database_status(uow: UnitOfWorkFactory) -> str:
    """``ok`` when one cheap read goes through, else what failed."""
    try:
        with uow() as work:
            work.runtime.get("network_time")
    except Exception as exc:
        log.warning("health check: the database does not answer", exc_info=True)
        return f"unavailable: {type(exc).__name__}"
    return "ok"


@router.get(
    "/healthz",
    operation_id="health",
    summary="Is the API up, and does its database answer?",
    responses={503: {"model": Health, "description": "The database does not answer"}},
)
def health(services: ServicesDep, response: Response) -> Health:
    database = database_status(services.uow)
    if database != "ok":
        response.status_code = 503
    return Health(
        status="ok" if database == "ok" else "unavailable",
        database=database,
        network=services.network.name,
        network_time=services.clock.now(),
    )


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics in the text exposition format",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "The metrics"}},
)
def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(registry.exposition(), media_type=CONTENT_TYPE_LATEST)
