"""Realistic personalised demand: who orders what, where, and when.

Orders arrive as a Poisson process whose rate follows the day (quiet at night, busiest in the
evening); customers live in German cities in proportion to population, and every order carries
parameters a real customer might choose within each product's ranges.

Personalisations repeat the way they do in a shop: each product has a pool of designs (the
popular names, the common shoe sizes, the usual bag sizes), drawn once from the parameters'
ranges, and customers pick from it with Zipf weights (the second most popular design is ordered
half as often as the first). So the geometry estimates, ~50-250 ms per new design, are made
once per design and reused from the catalog's cache. Given an estimator, the pool holds only
designs the catalog can make (a customer would have seen the preview refuse the others).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from microfab.catalog.model import Parameter, ParameterKind, ParamValue
from microfab.errors import MicrofabError
from microfab.network.model import Location, Network
from microfab.orders.model import NORMAL_PRIORITY, Destination
from microfab.orders.service import Estimator, LineRequest, PlaceOrder

CITIES: tuple[tuple[str, float, float, float], ...] = (
    # name, lat, lon, population in millions (rounded)
    ("Berlin", 52.520, 13.405, 3.7),
    ("Hamburg", 53.551, 9.994, 1.9),
    ("Munich", 48.137, 11.575, 1.5),
    ("Cologne", 50.938, 6.960, 1.1),
    ("Frankfurt am Main", 50.110, 8.682, 0.77),
    ("Stuttgart", 48.776, 9.183, 0.63),
    ("Düsseldorf", 51.227, 6.773, 0.62),
    ("Leipzig", 51.340, 12.375, 0.60),
    ("Dortmund", 51.514, 7.466, 0.59),
    ("Essen", 51.456, 7.012, 0.58),
    ("Bremen", 53.079, 8.802, 0.57),
    ("Dresden", 51.050, 13.737, 0.56),
    ("Hannover", 52.376, 9.732, 0.54),
    ("Nuremberg", 49.454, 11.077, 0.52),
    ("Duisburg", 51.434, 6.762, 0.50),
    ("Bochum", 51.482, 7.216, 0.36),
    ("Bielefeld", 52.030, 8.532, 0.33),
    ("Bonn", 50.737, 7.098, 0.33),
    ("Münster", 51.960, 7.626, 0.32),
    ("Mannheim", 49.487, 8.466, 0.31),
    ("Karlsruhe", 49.007, 8.404, 0.31),
    ("Augsburg", 48.371, 10.898, 0.30),
    ("Kiel", 54.323, 10.123, 0.25),
    ("Rostock", 54.092, 12.099, 0.21),
    ("Freiburg", 47.999, 7.842, 0.23),
    ("Erfurt", 50.979, 11.029, 0.21),
    ("Regensburg", 49.013, 12.101, 0.15),
    ("Würzburg", 49.791, 9.953, 0.13),
    ("Göttingen", 51.541, 9.916, 0.12),
    ("Passau", 48.567, 13.431, 0.05),
)

PRODUCT_MIX: dict[str, float] = {
    "phone-grip": 0.26,
    "name-sign": 0.14,
    "custom-insole": 0.12,
    "desk-lamp": 0.10,
    "tote-bag": 0.12,
    "window-crank-knob": 0.08,
    "earbud-tips": 0.06,
    "bike-mount": 0.06,
    "mounting-bracket": 0.06,
}

NAMES = (
    "Anna",
    "Ben",
    "Clara",
    "Jonas",
    "Lea",
    "Finn",
    "Mia",
    "Paul",
    "Emilia",
    "Noah",
    "Sophie",
    "Elias",
    "Hannah",
    "Luis",
    "Lena",
    "Jürgen",
    "Özlem",
    "Ole",
    "Käthe",
    "Amir",
    "Ida",
)

DESIGNS_PER_PRODUCT = 8
"""Designs per product in a run: ~50 to estimate up front for the demo network, ~5 s."""
DRAWS_PER_DESIGN = 20
"""Tries to find a design the catalog can make before taking one it refuses."""

HOURLY_PROFILE = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    0.7,
    0.9,
    1.0,
    1.1,
    1.2,
    1.3,
    1.2,
    1.1,
    1.1,
    1.2,
    1.4,
    1.7,
    1.9,
    1.9,
    1.6,
    1.0,
    0.5,
)
"""Relative order rate by local hour; it averages to 1 so ``orders_per_hour`` is the mean."""


@dataclass(frozen=True)
class Express:
    """A share of the orders that a planner places at a higher priority (express orders)."""

    share: float
    priority: int


@dataclass(frozen=True)
class Arrival:
    at: datetime
    command: PlaceOrder


class DemandGenerator:
    def __init__(
        self,
        network: Network,
        rng: random.Random,
        orders_per_hour: float,
        customers: int = 2000,
        designs_per_product: int = DESIGNS_PER_PRODUCT,
        estimator: Estimator | None = None,
        express: Express | None = None,
    ) -> None:
        self._network = network
        self._express = express
        self._rng = rng
        self._rate = orders_per_hour
        self._customers = customers
        mix = {p: w for p, w in PRODUCT_MIX.items() if p in network.products}
        self._products = list(mix or dict.fromkeys(network.products, 1.0))
        self._weights = list(mix.values()) if mix else None
        self._count = 0
        self._estimator = estimator
        self._designs = {
            p: [self._params(p) for _ in range(designs_per_product)] for p in self._products
        }
        self._popularity = [1 / rank for rank in range(1, designs_per_product + 1)]

    def arrivals(self, start: datetime) -> Iterator[Arrival]:
        """An endless stream of orders from ``start`` on (thinning of a Poisson process)."""
        peak = self._rate * max(HOURLY_PROFILE)
        now = start
        while True:
            now += timedelta(hours=self._rng.expovariate(peak))
            local_hour = (now + timedelta(hours=1)).hour
            if self._rng.random() * max(HOURLY_PROFILE) <= HOURLY_PROFILE[local_hour]:
                yield Arrival(now, self.order())

    def order(self) -> PlaceOrder:
        self._count += 1
        customer = f"cust-{self._rng.randrange(self._customers):05d}"
        lines = [self._line()]
        if self._rng.random() < 0.15:
            second = self._line()
            if self._one_factory_makes([lines[0], second]):
                lines.append(second)
        return PlaceOrder(
            customer_id=customer,
            lines=tuple(lines),
            destination=self._destination(),
            idempotency_key=f"demo-{self._count:07d}",
            priority=self._priority(),
        )

    def _priority(self) -> int:
        """The express priority for a share of the orders; drawn only when there is a share, so
        a run without express orders draws the same orders as before they existed."""
        if self._express is None or self._express.share <= 0:
            return NORMAL_PRIORITY
        express = self._rng.random() < self._express.share
        return self._express.priority if express else NORMAL_PRIORITY

    def _one_factory_makes(self, lines: list[LineRequest]) -> bool:
        products = self._network.products
        return any(
            all(site.can_make(products[ln.product_id], ln.material or "") for ln in lines)
            for site in self._network.factories
        )

    def _line(self) -> LineRequest:
        product_id = self._rng.choices(self._products, self._weights)[0]
        product = self._network.products[product_id]
        quantity = 1 if self._rng.random() < 0.8 else self._rng.randint(2, 4)
        params = self._rng.choices(self._designs[product_id], self._popularity)[0]
        return LineRequest(product_id, quantity, params, self._rng.choice(product.materials))

    def _params(self, product_id: str) -> dict[str, ParamValue]:
        """One personalisation of the product that can be made, drawn from its ranges."""
        product = self._network.products[product_id]
        for _ in range(DRAWS_PER_DESIGN):
            params = {p.name: self._value(p) for p in product.parameters}
            if self._makeable(product_id, params):
                break
        return params

    def _makeable(self, product_id: str, params: dict[str, ParamValue]) -> bool:
        if self._estimator is None:
            return True
        product = self._network.products[product_id]
        try:
            self._estimator.estimate_line(product, product.validate(params), product.materials[0])
        except MicrofabError:
            return False
        return True

    def _value(self, parameter: Parameter) -> ParamValue:
        rng = self._rng
        match parameter.kind:
            case ParameterKind.NUMBER:
                low, high = _range(parameter)
                value = rng.triangular(low, high, float(parameter.default))
                return _on_step(value, parameter, low, high)
            case ParameterKind.INTEGER:
                low, high = _range(parameter)
                return rng.randint(math.ceil(low), math.floor(high))
            case ParameterKind.TEXT:
                return _text(rng, parameter)
            case ParameterKind.CHOICE:
                return rng.choice(parameter.choices)
            case ParameterKind.COLOUR:
                if parameter.choices:
                    return rng.choice(parameter.choices)
                return f"#{rng.randrange(0x1000000):06x}"
            case ParameterKind.BOOLEAN:
                return rng.random() < 0.5

    def _destination(self) -> Destination:
        name, lat, lon, _ = self._rng.choices(CITIES, [c[3] for c in CITIES])[0]
        jitter_lat = self._rng.uniform(-0.08, 0.08)
        jitter_lon = self._rng.uniform(-0.12, 0.12)
        return Destination(Location(round(lat + jitter_lat, 4), round(lon + jitter_lon, 4)), name)


def _range(parameter: Parameter) -> tuple[float, float]:
    default = float(parameter.default) if not isinstance(parameter.default, str) else 0.0
    low = parameter.minimum if parameter.minimum is not None else default
    high = parameter.maximum if parameter.maximum is not None else default
    return low, high


def _on_step(value: float, parameter: Parameter, low: float, high: float) -> float:
    """``value`` on the parameter's step (0.1 when it has none), kept within its range."""
    step = parameter.step or 0.1
    snapped = round(round(value / step) * step, 6)
    while snapped > high:
        snapped = round(snapped - step, 6)
    while snapped < low:
        snapped = round(snapped + step, 6)
    return snapped


def _text(rng: random.Random, parameter: Parameter) -> str:
    limit = parameter.max_length or 12
    if limit <= 3:
        return "".join(rng.choice("ABCDEFGHKLMNPRSTZ") for _ in range(rng.randint(1, limit)))
    text = rng.choice(NAMES)
    if rng.random() < 0.3 and len(text) + 7 <= limit:
        text = f"{text} & {rng.choice(NAMES)}"
    return text[:limit]
