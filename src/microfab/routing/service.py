"""First-version routing: the nearest capable factory with free capacity and stock.

Capacity is the queued work per machine of every process the order needs; a factory whose
queue is longer than its ``max_backlog_hours`` is passed over while a nearer-than-nothing
alternative exists. When every capable factory is full, the least loaded one with stock takes
the order rather than leaving it waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from microfab.network.model import Network, Site
from microfab.orders.model import Order
from microfab.orders.service import stock_needs
from microfab.quoting.service import can_make

StockLevel = Callable[[str, str], float]


def choose_factory(
    network: Network,
    order: Order,
    backlog: Mapping[tuple[str, str], float],
    stock: StockLevel,
    exclude: frozenset[str] = frozenset(),
) -> Site | None:
    """The factory to make ``order``, or None while no capable factory has the stock."""
    here = order.destination.location
    capable = sorted(
        (s for s in network.factories if s.id not in exclude and can_make(s, network, order.lines)),
        key=lambda s: s.location.distance_km(here),
    )
    needs = stock_needs(network, order.lines)
    stocked = [s for s in capable if all(stock(s.id, k) + 1e-9 >= q for k, q in needs.items())]
    processes = {
        op.process for line in order.lines for op in network.product(line.product_id).routing
    }

    def load(site: Site) -> float:
        return max(backlog.get((site.id, p), 0.0) for p in processes)

    for site in stocked:
        if load(site) <= site.max_backlog_hours:
            return site
    return min(stocked, key=load, default=None)
