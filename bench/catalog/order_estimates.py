"""What geometry estimates cost the orders of one simulated demo day.

Draws the demo's demand for a day (seed 1, 30 orders an hour, as ``microfab demo``), then
estimates every line as order placement does (``LineEstimator.estimate_line``, cached by
template version, parameters and machine kinds), once with the demand's pool of designs per
product and once with every line personalised anew, as the demand generator did before the pool.
Writes ``bench/results/catalog_order_estimates.json``.

    python bench/catalog/order_estimates.py [--hours 24]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from pathlib import Path
from typing import Any

from microfab.catalog.lines import LineEstimator
from microfab.errors import MicrofabError
from microfab.network.loader import build_network, demo_document, normal_form
from microfab.network.model import Network
from microfab.simulation.demand import DESIGNS_PER_PRODUCT, DemandGenerator

RESULTS = Path(__file__).parents[1] / "results" / "catalog_order_estimates.json"
START = datetime(2026, 3, 2, 6, tzinfo=UTC)


def run(network: Network, hours: float, fresh: bool) -> dict[str, Any]:
    estimator = LineEstimator(network)
    estimator.catalog.template("phone-grip")  # load the geometry libraries outside the timing
    began = time.perf_counter()
    checker = None if fresh else estimator
    demand = DemandGenerator(network, random.Random(1), 30.0, estimator=checker)
    pool_s = time.perf_counter() - began
    end = START + timedelta(hours=hours)
    arrivals = list(takewhile(lambda a: a.at < end, demand.arrivals(START)))
    costs: list[float] = []
    refused = 0
    for arrival in arrivals:
        for line in arrival.command.lines:
            product = network.product(line.product_id)
            params = demand._params(product.id) if fresh else line.params
            values = product.validate(params)
            began = time.perf_counter()
            try:
                estimator.estimate_line(product, values, line.material or product.materials[0])
            except MicrofabError:
                refused += 1
            costs.append((time.perf_counter() - began) * 1000)
    cache = estimator.catalog.estimates
    return {
        "designs_per_product": "every line new" if fresh else DESIGNS_PER_PRODUCT,
        "orders": len(arrivals),
        "lines": len(costs),
        "refused_lines": refused,
        "pool_s": round(pool_s, 2),
        "estimated_designs": cache.misses,
        "cache_hits": cache.hits,
        "lines_s": round(sum(costs) / 1000, 2),
        "mean_ms_per_line": round(statistics.mean(costs), 1),
        "p90_ms_per_line": round(sorted(costs)[int(len(costs) * 0.9)], 1),
        "max_ms": round(max(costs), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    network = build_network(normal_form(demo_document(), "demo"))
    pooled = run(network, args.hours, fresh=False)
    unique = run(network, args.hours, fresh=True)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.python_version()} {platform.machine()} {platform.system()}",
        "hours": args.hours,
        "pooled": pooled,
        "every_order_new": unique,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
