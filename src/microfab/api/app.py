"""Building the FastAPI application around a set of services.

``create_app`` is the only way to get an app: the services it serves are passed in (the CLI
builds them from settings, tests from a memory store), never imported from a module.
"""

from __future__ import annotations

from fastapi import FastAPI

from microfab import __version__
from microfab.api.limits import BodyLimit
from microfab.api.metrics import Metrics, MetricsMiddleware
from microfab.api.problems import install_problem_handlers
from microfab.api.routes import ROUTERS
from microfab.bootstrap import Services
from microfab.catalog.uploads import UploadLimits

MAX_BODY_BYTES = 1024 * 1024
"""The largest request body accepted; an order of 50 lines fits in a few kilobytes."""

DESCRIPTION = """
Run a network of micro-factories: read the catalog, quote, place and follow orders, and watch
factories and their jobs.

Authenticate with an API key, as `Authorization: Bearer <key>` or `X-API-Key: <key>`
(create one with `microfab apikey create`). Errors are `application/problem+json` (RFC 9457).
"""

TAGS = [
    {"name": "network", "description": "The network of sites and regions."},
    {"name": "factories", "description": "Micro-factories and their live state."},
    {"name": "catalog", "description": "Products and their parameters."},
    {"name": "quotes", "description": "Prices, delivery times and CO2e before ordering."},
    {"name": "orders", "description": "Placing and following orders."},
    {"name": "jobs", "description": "The work factories do for orders."},
    {"name": "me", "description": "The caller's key, and a person's own work list."},
    {"name": "operations", "description": "Health and metrics for whoever runs the service."},
]


def create_app(services: Services) -> FastAPI:
    """An app that serves ``services``; the caller keeps them and closes them."""
    app = FastAPI(
        title="microfab",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = services
    app.state.metrics = metrics = Metrics(services.uow)
    install_problem_handlers(app)
    app.add_middleware(
        BodyLimit, max_bytes=MAX_BODY_BYTES, per_path={"/v1/uploads": UploadLimits().max_bytes}
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for router in ROUTERS:
        app.include_router(router)
    return app
