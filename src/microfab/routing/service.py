"""Online routing: the nearest capable factory with stock and free capacity that keeps the
order's promise.

Routing decides twice, the same way. When an order is placed, it picks the factory the order
is offered (and promised) from: the nearest capable one with stock whose queue is within its
``max_backlog_hours``, or, when every such factory is full, the least loaded one. When the
controller routes the order, it picks among the factories that still keep the promise (their
plan, with the order's work placed on it, reaches the customer by then) the same way; when
none does, the one that delivers soonest. So a customer is promised what the factory that
will make the order can do, and an order is not sent far from a promise made for a nearer
factory; the factories that are full share the work by their queues.

Capacity is the queued work per machine of every process the order needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from microfab.network.model import Location, Network, Site
from microfab.orders.model import Order, OrderLine, stock_needs
from microfab.quoting.service import can_make

StockLevel = Callable[[str, str], float]
Delivery = Callable[[Site], datetime | None]
"""When a factory would deliver the order, as its plan stands (None: it cannot ship there)."""


def choose_factory(
    network: Network,
    order: Order,
    backlog: Mapping[tuple[str, str], float],
    stock: StockLevel,
    exclude: frozenset[str] = frozenset(),
    delivery: Delivery | None = None,
) -> Site | None:
    """The factory to make ``order``, or None while no capable factory has the stock.

    Without ``delivery``, every factory is taken to keep the promise.
    """
    return _choose(
        network,
        order.lines,
        order.destination.location,
        backlog,
        stock,
        exclude,
        delivery,
        order.promised_at,
    )


def factory_to_offer(
    network: Network,
    lines: Sequence[OrderLine],
    here: Location,
    backlog: Mapping[tuple[str, str], float],
    stock: StockLevel,
) -> Site | None:
    """The factory a new order of ``lines`` to ``here`` is offered from (and will be routed
    to), before it has a promise; None while no capable factory has the stock."""
    return _choose(network, lines, here, backlog, stock, frozenset(), None, None)


def _choose(
    network: Network,
    lines: Sequence[OrderLine],
    here: Location,
    backlog: Mapping[tuple[str, str], float],
    stock: StockLevel,
    exclude: frozenset[str],
    delivery: Delivery | None,
    promised: datetime | None,
) -> Site | None:
    capable = sorted(
        (s for s in network.factories if s.id not in exclude and can_make(s, network, lines)),
        key=lambda s: s.location.distance_km(here),
    )
    needs = stock_needs(network, lines)
    processes = {op.process for line in lines for op in network.product(line.product_id).routing}
    arrives: dict[str, datetime | None] = {}

    def load(site: Site) -> float:
        return max(backlog.get((site.id, p), 0.0) for p in processes)

    def has_stock(site: Site) -> bool:
        return all(stock(site.id, k) + 1e-9 >= q for k, q in needs.items())

    def keeps_promise(site: Site) -> bool:
        if delivery is None or promised is None:
            return True
        if site.id not in arrives:
            arrives[site.id] = delivery(site)
        at = arrives[site.id]
        return at is not None and at <= promised

    # the nearest factory with room needs no other factory's stock or plan looked at
    for site in capable:
        if load(site) <= site.max_backlog_hours and has_stock(site) and keeps_promise(site):
            return site
    stocked = [s for s in capable if has_stock(s)]
    keeping = [s for s in stocked if keeps_promise(s)]
    if keeping:
        return min(keeping, key=load)
    timed = [(at, load(s), s) for s in stocked if (at := arrives.get(s.id)) is not None]
    if not timed:
        return min(stocked, key=load, default=None)
    return min(timed, key=lambda t: t[:2])[2]  # the soonest delivery, then the least loaded
