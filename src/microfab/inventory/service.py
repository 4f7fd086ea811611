"""Keeping the shelves stocked: receive what arrived, reorder what runs low.

Components come from the central plant that makes them; materials from any central plant with
a lane to the factory. The fastest lane sets the arrival time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from microfab.ids import IdFactory
from microfab.inventory.model import Replenishment, shortfall
from microfab.network.model import Lane, Network, Site
from microfab.storage import UnitOfWork


def receive_arrivals(uow: UnitOfWork, now: datetime) -> int:
    """Put every replenishment that has arrived on its factory's shelf."""
    arrived = uow.replenishments.arrived_by(now)
    for delivery in arrived:
        uow.stock.put(delivery.site_id, delivery.sku, delivery.quantity)
        delivery.receive()
        uow.replenishments.save(delivery)
    return len(arrived)


def reorder(
    uow: UnitOfWork,
    network: Network,
    touched: Iterable[tuple[str, str]],
    now: datetime,
    ids: IdFactory,
) -> list[Replenishment]:
    """Order what ``touched`` shelves (site, sku) need from the central plants."""
    ordered = []
    for site_id, sku in sorted(set(touched)):
        site = network.site(site_id)
        starting = site.stock.get(sku, 0.0)
        on_order = sum(r.quantity for r in uow.replenishments.in_transit(site_id, sku))
        quantity = shortfall(starting, uow.stock.level(site_id, sku), on_order)
        lane = supplier_lane(network, site, sku)
        if quantity <= 0 or lane is None:
            continue
        arrives = now + lane.transit_time(lane.distance_km or 0.0)
        delivery = Replenishment(ids("rpl"), site_id, sku, quantity, lane.origin, now, arrives)
        uow.replenishments.add(delivery)
        ordered.append(delivery)
    return ordered


def supplier_lane(network: Network, site: Site, sku: str) -> Lane | None:
    """The fastest lane from a plant that supplies ``sku`` to ``site``."""
    component = network.components.get(sku)
    plants = [component.supplied_by] if component else [p.id for p in network.central_plants]
    lanes = [lane for plant in plants for lane in network.lanes_from(plant, site.id)]
    return min(lanes, key=lambda lane: lane.transit_hours, default=None)


class Shelves:
    """Stock levels, each factory's read once, kept in step with what is taken through them."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._levels: dict[str, dict[str, float]] = {}

    def level(self, site_id: str, sku: str) -> float:
        if site_id not in self._levels:
            self._levels[site_id] = self._uow.stock.levels(site_id)
        return self._levels[site_id].get(sku, 0.0)

    def take(self, site_id: str, sku: str, quantity: float) -> None:
        self._uow.stock.take(site_id, sku, quantity)
        self._levels[site_id][sku] = self.level(site_id, sku) - quantity
