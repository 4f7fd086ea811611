"""One router per resource; ``ROUTERS`` is every one of them, in the order the docs show."""

from __future__ import annotations

from fastapi import APIRouter

from microfab.api.routes import catalog, factories, health, jobs, me, network, orders, quotes

ROUTERS: tuple[APIRouter, ...] = (
    network.router,
    factories.router,
    catalog.router,
    catalog.uploads_router,
    quotes.router,
    orders.router,
    jobs.router,
    me.router,
    health.router,
)
