import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice

from microfab.network.model import Location, Network
from microfab.orders.model import Destination, Order, OrderLine
from microfab.orders.service import PlaceOrder
from microfab.simulation.demand import DemandGenerator, Express
from microfab.simulation.summary import by_priority

START = datetime(2026, 3, 2, 6, tzinfo=UTC)


def test_the_same_seed_gives_the_same_orders(network: Network) -> None:
    def stream(seed: int) -> list[object]:
        demand = DemandGenerator(network, random.Random(seed), orders_per_hour=30)
        return [(a.at, a.command) for a in islice(demand.arrivals(START), 50)]

    assert stream(5) == stream(5)
    assert stream(5) != stream(6)


def test_generated_orders_are_valid_and_makeable(network: Network) -> None:
    demand = DemandGenerator(network, random.Random(2), orders_per_hour=30)
    for arrival in islice(demand.arrivals(START), 300):
        lines = arrival.command.lines
        for line in lines:
            product = network.product(line.product_id)
            product.validate(line.params)
            assert line.material in product.materials
        makers = [
            f for f in network.factories
            if all(f.can_make(network.product(ln.product_id), ln.material or "") for ln in lines)
        ]  # fmt: skip
        assert makers, lines


def test_orders_arrive_at_about_the_asked_rate(network: Network) -> None:
    demand = DemandGenerator(network, random.Random(3), orders_per_hour=30)
    week = [a for a in islice(demand.arrivals(START), 10_000) if (a.at - START).days < 7]
    assert 30 * 24 * 7 * 0.9 < len(week) < 30 * 24 * 7 * 1.1


def test_express_orders_are_a_share_at_their_priority_and_the_same_orders_either_way(
    network: Network,
) -> None:
    def stream(express: Express | None) -> list[tuple[datetime, PlaceOrder]]:
        demand = DemandGenerator(network, random.Random(5), orders_per_hour=30, express=express)
        return [(a.at, a.command) for a in islice(demand.arrivals(START), 400)]

    plain = stream(None)
    express = stream(Express(0.25, 10))
    as_normal = stream(Express(0.25, 1))

    assert stream(Express(0.0, 10)) == plain, "no share draws nothing: the demo's orders stay"
    assert {c.priority for _, c in plain} == {1}
    share = sum(c.priority == 10 for _, c in express) / len(express)
    assert 0.18 < share < 0.32
    assert [(at, replace(c, priority=1)) for at, c in express] == as_normal


def test_a_run_summary_counts_punctuality_by_priority() -> None:
    def delivered(priority: int, hours_after_promise: float) -> Order:
        order = Order(
            "o", "c", (OrderLine("phone-grip", 1, "pla", {}),),
            Destination(Location(52.5, 13.4)), START, START + timedelta(hours=20), 999, 0.1,
            priority=priority,
        )  # fmt: skip
        order.delivered_at = order.promised_at + timedelta(hours=hours_after_promise)
        return order

    orders = [delivered(1, -2), delivered(1, 1.5), delivered(10, -1), delivered(1, 0.25)]

    assert by_priority(orders) == {
        "1": {"delivered": 3, "late": 2, "hours_late": 1.75},
        "10": {"delivered": 1, "late": 0, "hours_late": 0.0},
    }
