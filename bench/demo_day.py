"""How long one simulated day of the demo network takes, and what it delivers.

Runs ``microfab demo --headless --json --duration 24h --seed S --no-api`` as a user would, several
times, each on a fresh SQLite file, and writes the median wall time and the run's figures to
``bench/results/demo.json``. The issue's bar: under a minute of wall time, hundreds of orders
delivered, the same figures for the same seed.

    python bench/demo_day.py [--runs 3] [--seed 1] [--duration 24h]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "demo.json"


def run_once(seed: int, duration: str) -> tuple[float, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable, "-m", "microfab", "demo", "--headless", "--json",
            "--duration", duration, "--seed", str(seed), "--no-api",
            "--db", str(Path(folder) / "demo.db"),
        ]  # fmt: skip
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - began
    return wall, json.loads(done.stdout)


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1m_at_start": round(load[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", default="24h")
    args = parser.parse_args()
    host = machine()
    walls: list[float] = []
    summaries: list[dict[str, Any]] = []
    for n in range(args.runs):
        wall, summary = run_once(args.seed, args.duration)
        walls.append(wall)
        summaries.append(summary)
        print(f"run {n + 1}: {wall:.1f} s wall, {summary['orders']['delivered']} delivered")
    figures = [{k: v for k, v in s.items() if k != "wall_seconds"} for s in summaries]
    first = summaries[0]
    result = {
        "benchmark": "demo network, one simulated day, headless, SQLite",
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": host,
        "runs": args.runs,
        "seed": args.seed,
        "duration": args.duration,
        "wall_seconds": [round(w, 2) for w in walls],
        "median_wall_seconds": round(statistics.median(walls), 2),
        "same_figures_every_run": all(f == figures[0] for f in figures),
        "orders": first["orders"],
        "on_time_rate": first["on_time_rate"],
        "mean_lead_time_hours": first["mean_lead_time_hours"],
        "median_promised_hours": first["median_promised_hours"],
        "controller_steps": first["controller_steps"],
        "utilisation": first["utilisation"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps({k: result[k] for k in ("median_wall_seconds", "same_figures_every_run")}))


if __name__ == "__main__":
    main()
