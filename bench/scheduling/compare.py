"""Side-by-side benchmark: microfab vs the textbook CP-SAT model vs PyJobShop.

Same instance, same time limit, same worker count, one solver at a time. Every schedule goes
through microfab's checker; the gap is measured against the best-known makespan.

    python bench/scheduling/compare.py --instances ft10,la29,mk06 --time-limit 30 --workers 2

Results are merged into ``bench/results/scheduling_<suite>.json`` (suite ``jssp`` or ``fjsp``),
so that runs of one solver at a time add up; a markdown table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peers import Outcome, run

from microfab.scheduling.checker import check
from microfab.scheduling.formats import read_instance

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "benchmarks"
RESULTS = ROOT / "bench" / "results"
SOLVERS = ("microfab", "textbook", "pyjobshop")


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    names = _instances(args.instances, args.data)
    for name in names:
        args.reference_seconds = reference_seconds()
        print(f"{name:5} reference loop {args.reference_seconds:.2f} s", flush=True)
        suite, path = _locate(name, args.data)
        instance = read_instance(path)
        best = _best_known(args.data, suite)[name]
        for solver in args.solvers.split(","):
            outcome = run(solver, instance, args.time_limit, args.workers)
            problems = check(instance, outcome.schedule) if outcome.schedule else []
            row = _row(outcome, best, len(problems))
            _record(suite, name, best, solver, row, args)
            print(f"{name:5} {solver:9} {row}", flush=True)
    for suite in sorted({_locate(n, args.data)[0] for n in names}):
        print(table(json.loads(_result_file(suite).read_text())))


def reference_seconds() -> float:
    """Seconds for a fixed pure-Python loop on one core: how fast the machine was that day.

    The shared machines vary, even within the hour: on 2026-12-02 this loop took 2.2 s at
    22:44 UTC and 0.8 s at 23:01, with nothing else of ours running. Each instance's rows
    record it, measured just before they ran.
    """
    began = time.perf_counter()
    total = 0
    for k in range(10_000_000):
        total += k
    return round(time.perf_counter() - began, 2)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="ft06,mk01", help="comma list, jssp, fjsp or all")
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DATA)
    return parser.parse_args(argv)


def _instances(spec: str, data: Path) -> list[str]:
    suites = {"jssp": "jssp/*.txt", "fjsp": "fjsp/*.fjs"}
    if spec in {"all", *suites}:
        chosen = suites.values() if spec == "all" else [suites[spec]]
        return [p.stem for pattern in chosen for p in sorted(data.glob(pattern))]
    return [n.strip() for n in spec.split(",") if n.strip()]


def _locate(name: str, data: Path) -> tuple[str, Path]:
    for suite, suffix in (("jssp", ".txt"), ("fjsp", ".fjs")):
        path = data / suite / f"{name}{suffix}"
        if path.exists():
            return suite, path
    sys.exit(f"unknown instance {name!r}: not in {data}/jssp or {data}/fjsp")


def _best_known(data: Path, suite: str) -> dict[str, int]:
    bounds = json.loads((data / suite / "bounds.json").read_text())
    return {b["name"]: b["optimum"] or b["upper_bound"] for b in bounds}


def _row(outcome: Outcome, best: int, violations: int) -> dict[str, Any]:
    gap = None if outcome.makespan is None else round(100 * (outcome.makespan - best) / best, 2)
    return {
        "makespan": outcome.makespan,
        "bound": outcome.bound,
        "status": outcome.status,
        "seconds": round(outcome.seconds, 2),
        "gap_pct": gap,
        "checker_violations": violations,
    }


def _result_file(suite: str) -> Path:
    return RESULTS / f"scheduling_{suite}.json"


def _record(
    suite: str, name: str, best: int, solver: str, row: dict[str, Any], args: argparse.Namespace
) -> None:
    path = _result_file(suite)
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {"suite": suite, "runs": {}}
    entry = data["runs"].setdefault(name, {"best_known": best})
    entry[solver] = {
        **row,
        "time_limit": args.time_limit,
        "workers": args.workers,
        "reference_seconds": args.reference_seconds,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    data["host"] = f"{platform.machine()}, python {platform.python_version()}"
    commands = data.setdefault("commands", [])
    command = "python bench/scheduling/compare.py " + " ".join(sys.argv[1:])
    if command not in commands:
        commands.append(command)
    path.write_text(json.dumps(data, indent=1) + "\n")


def table(data: dict[str, Any]) -> str:
    """A markdown table: makespan (gap %) per solver, and microfab's proven bound."""
    head = "| instance | best known | " + " | ".join(SOLVERS) + " | microfab bound |"
    lines = [head, "|" + "---|" * (len(SOLVERS) + 3)]
    for name, entry in sorted(data["runs"].items()):
        cells = [_cell(entry.get(s)) for s in SOLVERS]
        bound = entry.get("microfab", {}).get("bound", "")
        lines.append(f"| {name} | {entry['best_known']} | " + " | ".join(cells) + f" | {bound} |")
    return "\n".join(lines)


def _cell(row: dict[str, Any] | None) -> str:
    if not row:
        return "–"
    if row["makespan"] is None:
        return row["status"]
    flag = "" if not row["checker_violations"] else " INFEASIBLE"
    return f"{row['makespan']} ({row['gap_pct']:+.1f} %){flag}"


if __name__ == "__main__":
    main()
