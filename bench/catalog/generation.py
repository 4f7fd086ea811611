"""Generation + printability checks of the phone grip with a 10-letter name, in a warm process.

Three ways, each over 60 different names (so the cache does not help the first two):
in-process build + DFM, the same through the isolated worker (time and memory limit), and a
cache hit (same template version and parameters). Writes bench/results/catalog_generation.json::

    python bench/catalog/generation.py
"""

from __future__ import annotations

import json
import random
import statistics
import string
import sys
import time
from pathlib import Path

from microfab.catalog.dfm import check
from microfab.catalog.limits import IsolatedBuilder, Limits
from microfab.catalog.profiles import PrinterProfile
from microfab.catalog.registry import Registry
from microfab.catalog.service import CatalogService

RESULT = Path(__file__).resolve().parents[1] / "results" / "catalog_generation.json"
NAMES = 60
WARM_UP = 5


def names(seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        rng.choice(string.ascii_uppercase) + "".join(rng.choices(string.ascii_lowercase, k=9))
        for _ in range(NAMES)
    ]


def timed(service: CatalogService, name: str, style: str) -> float:
    template = service.template("phone-grip")
    started = time.perf_counter()
    values = template.validate({"name": name, "style": style})
    geometry = service.geometry(template, values)
    report = check(geometry, PrinterProfile())
    elapsed = (time.perf_counter() - started) * 1000
    assert report.ok, (name, report.problems)
    return elapsed


def run(service: CatalogService, seed: int) -> list[float]:
    for name in names(seed + 1000)[:WARM_UP]:
        timed(service, name, "embossed")
    return [timed(service, n, ("embossed", "engraved")[i % 2]) for i, n in enumerate(names(seed))]


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
        "samples": len(ordered),
    }


def main() -> int:
    registry = Registry(entry_points_enabled=False)
    in_process = CatalogService(registry)
    builder = IsolatedBuilder(Limits())
    isolated = CatalogService(registry, builder)
    try:
        results = {
            "in_process": summary(run(in_process, 1)),
            "isolated_worker": summary(run(isolated, 2)),
            "cache_hit": summary([timed(in_process, n, "embossed") for n in names(1)[::2]]),
        }
    finally:
        builder.close()
    results["note"] = "phone grip, 10-letter names, build + DFM (watertight, shells, fit, thin)"
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
