"""Routing: the nearest capable factory with stock that keeps the order's promise.

Given when each factory would deliver the order (its plan and its delivery lane), the nearest
capable factory with the stock that delivers by the promised time takes it; when none can, the
one that delivers first. Without those dates (the first version's rule, kept for callers that
have no plans), capacity is the queued work per machine of every process the order needs: a
factory whose queue is longer than its ``max_backlog_hours`` is passed over, and when every
capable factory is full, the least loaded one with stock takes the order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from microfab.network.model import Network, Site
from microfab.orders.model import Order
from microfab.orders.service import stock_needs
from microfab.quoting.service import can_make

StockLevel = Callable[[str, str], float]
Delivery = Callable[[Site], datetime]


def choose_factory(
    network: Network,
    order: Order,
    backlog: Mapping[tuple[str, str], float],
    stock: StockLevel,
    exclude: frozenset[str] = frozenset(),
    delivery: Delivery | None = None,
) -> Site | None:
    """The factory to make ``order``, or None while no capable factory has the stock."""
    here = order.destination.location
    capable = sorted(
        (s for s in network.factories if s.id not in exclude and can_make(s, network, order.lines)),
        key=lambda s: s.location.distance_km(here),
    )
    needs = stock_needs(network, order.lines)
    stocked = [s for s in capable if all(stock(s.id, k) + 1e-9 >= q for k, q in needs.items())]
    if delivery is not None and stocked:
        dates = {s.id: delivery(s) for s in stocked}
        keeping = [s for s in stocked if dates[s.id] <= order.promised_at]
        return keeping[0] if keeping else min(stocked, key=lambda s: dates[s.id])
    processes = {
        op.process for line in order.lines for op in network.product(line.product_id).routing
    }

    def load(site: Site) -> float:
        return max(backlog.get((site.id, p), 0.0) for p in processes)

    for site in stocked:
        if load(site) <= site.max_backlog_hours:
            return site
    return min(stocked, key=load, default=None)
