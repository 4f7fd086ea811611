import random
from datetime import UTC, datetime
from itertools import islice

from microfab.network.model import Network
from microfab.simulation.demand import DemandGenerator

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
