"""Prometheus metrics of one app: requests by route and status, and orders by state.

Each app has its own ``CollectorRegistry`` (never the process-wide one), so that several apps,
as in the tests, do not clash. Order counts are read from the store when Prometheus scrapes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microfab.orders.model import OrderState
from microfab.storage import UnitOfWorkFactory

log = logging.getLogger(__name__)

UNMATCHED = "<unmatched>"


class OrdersByState:
    """A collector that counts the stored orders in every state at scrape time."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "microfab_orders", "Orders in the store by state", labels=["state"]
        )

    def describe(self) -> Iterator[Metric]:
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        try:
            with self._uow() as uow:
                counts = uow.orders.count_by_state()
        except Exception:
            # A scrape must still report the request metrics while the database is away.
            log.warning("cannot count orders for /metrics", exc_info=True)
            return
        for state in OrderState:
            family.add_metric([state.value], counts.get(state, 0))
        yield family


class Metrics:
    """The registry of one app and the request metrics in it."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "microfab_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "microfab_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(OrdersByState(uow))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """All metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every HTTP request and counts it under its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            elapsed = time.perf_counter() - started
            self._metrics.observe(scope["method"], route, status, elapsed)
