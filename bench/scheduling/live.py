"""The live network planned three ways: ATCS re-planning, EDD re-planning, first-version greedy.

Runs ``microfab demo --headless --json`` on the demo network with the same seed, the same
demand and the same machine faults, with ``--planner atcs`` (every factory re-planned with the
changeover-aware ATCS rule whenever it gets orders, loses or regains a machine, and at least
hourly), ``--planner edd`` (the same re-planning with earliest-due-date dispatch) and
``--planner greedy`` (each order placed where it finishes first and never moved), at the demo's
load and at a heavier one. Writes both runs' figures side by side to
``bench/results/scheduling_live.json``: punctuality, lead time, changeovers and wall time.

    python bench/scheduling/live.py [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parents[1] / "results" / "scheduling_live.json"
PLANNERS = ("greedy", "edd", "atcs")
LOADS = (("24h", 30.0), ("48h", 45.0))
"""(simulated time, orders per hour): the demo's day, and two days at one and a half times it."""


def run(planner: str, duration: str, rate: float, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable, "-m", "microfab", "demo", "--headless", "--json", "--no-api",
            "--duration", duration, "--orders-per-hour", str(rate), "--seed", str(seed),
            "--planner", planner, "--db", str(Path(folder) / "demo.db"),
        ]  # fmt: skip
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - began
    summary = json.loads(done.stdout)
    orders = summary["orders"]
    return {
        "planner": planner,
        "placed": orders["placed"],
        "delivered": orders["delivered"],
        "late": orders["late"],
        "open_past_promise": orders["open_past_promise"],
        "on_time_rate": summary["on_time_rate"],
        "mean_lead_time_hours": summary["mean_lead_time_hours"],
        "median_promised_hours": summary["median_promised_hours"],
        "changeovers": summary["changeovers"]["count"],
        "changeover_hours": summary["changeovers"]["hours"],
        "tasks_finished": summary["tasks"]["finished"],
        "wall_seconds": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scenarios = []
    for duration, rate in LOADS:
        runs = []
        for planner in PLANNERS:
            figures = run(planner, duration, rate, args.seed)
            print(json.dumps({"duration": duration, "orders_per_hour": rate} | figures))
            runs.append(figures)
        scenarios.append({"duration": duration, "orders_per_hour": rate, "runs": runs})
    result = {
        "benchmark": "demo network, live planning: ATCS vs EDD re-planning vs first-version greedy",
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        },
        "seed": args.seed,
        "scenarios": scenarios,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
