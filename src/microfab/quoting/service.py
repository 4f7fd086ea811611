"""Pricing an order at every site that can make it.

For each capable site: plan the work on its machines (the same plan dispatching would make),
cost machine hours, energy, attended labour, materials and components, add the margin and the
shipping over the fastest delivery lane, and add up the CO2e of energy, materials and transport.
On a batch machine (SLS, resin) a line pays its pieces' share of the run's machine time, energy
and labour: its pieces over the pieces expected in the run, its own and those of its family
waiting there, up to the capacity (``scheduling.dispatch.SiteLoad.run_share``); a part that
joins a run already planned is promised that run's end.
Machine minutes (the plan's, from ``orders.model.step_minutes``), material and mass come from a
line's geometry estimate when it has one, else from the product's models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from microfab.errors import NoCapableFactory
from microfab.footprint.model import ROAD_CIRCUITY, Footprint, energy_kg, transport_kg
from microfab.network.model import Lane, Network, Site
from microfab.orders.model import Destination, OrderLine, site_can_make
from microfab.quoting.model import Quote, QuoteOption
from microfab.scheduling.dispatch import Plan, SiteLoad, plan_order, site_load


def can_make(site: Site, network: Network, lines: Sequence[OrderLine]) -> bool:
    return all(site_can_make(site, network.product(line.product_id), line) for line in lines)


def quote(
    network: Network,
    lines: Sequence[OrderLine],
    destination: Destination,
    now: datetime,
    loads: Mapping[str, SiteLoad],
) -> Quote:
    """Options for every capable site; ``loads`` say what each site's plan already takes."""
    local: list[QuoteOption] = []
    central: list[QuoteOption] = []
    for site in network.sites:
        if not can_make(site, network, lines):
            continue
        load = loads.get(site.id) or site_load(site, (), now)
        plan = plan_order(network, site, lines, now, load)
        for lane in _lanes(network, site, destination):
            option = _option(network, plan, lines, lane, destination)
            (central if site in network.central_plants else local).append(option)
    if not local and not central:
        raise NoCapableFactory(
            "no site in the network can make this order; check the products and materials"
        )
    local.sort(key=lambda o: (o.delivery_at, o.price_cents, o.site_id))
    central.sort(key=lambda o: (o.delivery_at, o.price_cents, o.site_id))
    return Quote(now, tuple(local), tuple(central), tuple(lines))


def _lanes(network: Network, site: Site, destination: Destination) -> list[Lane]:
    region = network.nearest_region(destination.location)
    return network.lanes_from(site.id, region.id)


def delivery_at(network: Network, plan: Plan, destination: Destination) -> datetime | None:
    """When ``plan``'s work reaches ``destination`` over its site's fastest lane there (None:
    no lane from the site serves it)."""
    site = plan.site
    return min(
        (
            plan.ready_at + lane.transit_time(delivery_distance_km(site, lane, destination))
            for lane in _lanes(network, site, destination)
        ),
        default=None,
    )


def ready_by(
    network: Network, site: Site, destination: Destination, promised: datetime
) -> datetime:
    """When work made at ``site`` must be ready to reach ``destination`` by ``promised`` over
    the site's fastest lane there (``promised`` itself where no lane serves it)."""
    lane = network.delivery_lane(site.id, destination.location)
    if lane is None:
        return promised
    return promised - lane.transit_time(delivery_distance_km(site, lane, destination))


def delivery_distance_km(site: Site, lane: Lane, destination: Destination) -> float:
    if lane.distance_km is not None:
        return lane.distance_km
    return site.location.distance_km(destination.location) * ROAD_CIRCUITY


def _option(
    network: Network,
    plan: Plan,
    lines: Sequence[OrderLine],
    lane: Lane,
    destination: Destination,
) -> QuoteOption:
    site = plan.site
    production, footprint = production_cost(network, plan, lines)
    mass = shipped_mass_kg(network, lines)
    distance = delivery_distance_km(site, lane, destination)
    shipping = round(lane.cents_per_shipment + lane.cents_per_kg * mass)
    footprint += Footprint(
        transport=transport_kg(network.emission_factors, lane.mode, mass, distance)
    )
    ready = plan.ready_at
    return QuoteOption(
        site_id=site.id,
        site_name=site.name,
        central=site in network.central_plants,
        mode=lane.mode.value,
        distance_km=round(distance, 1),
        machine_minutes=round(sum(s.minutes for s in plan.steps), 1),
        production_cents=production,
        shipping_cents=shipping,
        price_cents=round(production * (1 + network.margin)) + shipping,
        footprint=footprint,
        ready_at=ready,
        delivery_at=ready + lane.transit_time(distance),
    )


def production_cost(
    network: Network, plan: Plan, lines: Sequence[OrderLine]
) -> tuple[int, Footprint]:
    """Cost in cents and CO2e of making ``lines`` as ``plan`` says, before margin and shipping."""
    site = plan.site
    cents = 0.0
    kwh = 0.0
    for step in plan.steps:
        hours = step.minutes / 60 * step.share  # a batch run's time is shared by its parts
        kwh += step.machine.power_kw * hours
        cents += step.machine.cents_per_hour * hours
        if step.operation.attended:
            cents += site.labour_cents_per_hour * hours
    cents += kwh * site.energy_cents_per_kwh
    embodied = 0.0
    for line in lines:
        product = network.product(line.product_id)
        material = network.materials[line.material]
        units = line.material_units(product, material)
        cents += units * material.cents_per_unit
        embodied += units * material.kgco2e_per_unit
        for use in product.components:
            component = network.components[use.sku]
            cents += component.cents * use.quantity * line.quantity
            embodied += component.kgco2e * use.quantity * line.quantity
    return round(cents), Footprint(
        energy=energy_kg(kwh, site.grid_gco2_per_kwh), materials=embodied
    )


def shipped_mass_kg(network: Network, lines: Sequence[OrderLine]) -> float:
    return sum(
        line.unit_mass_kg(network.product(line.product_id)) * line.quantity for line in lines
    )
