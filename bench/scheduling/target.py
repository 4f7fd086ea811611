"""Study: CP-SAT asked for a schedule within a fixed makespan, from tabu-search schedules.

For each hint seed the tabu search runs alone from the dispatch schedule (one thread) and its
schedule becomes CP-SAT's hint; CP-SAT (one worker) then gets the job shop with a literal per
pair of operations on a machine (which goes first) beside each machine's NoOverlap, every
start bounded by ``--target``, and no objective. Each run records how long CP-SAT took to find
a schedule within the target, or that it found none within ``--limit``. Runs go two at a time,
one per core.

    python bench/scheduling/target.py la29 --target 1152 --hints 11-16 --seeds 4 --limit 300

Every run also hints each start at the schedule's, so ``--no-pairs`` (the NoOverlap model
alone) differs in the literals only. On la29 (2026-12-07) the literals found the optimum,
1152, in 24 of 25 runs of 300 s or more (12 of them with this script), and in 30 s only now
and then; docs/scheduling.md has the figures. Results are appended to
``bench/results/scheduling_target.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model

from microfab.scheduling.checker import check
from microfab.scheduling.formats import read_instance
from microfab.scheduling.model import Instance, Schedule
from microfab.scheduling.rules import best_dispatch
from microfab.scheduling.tabu import improve

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "benchmarks" / "jssp"
RESULT = ROOT / "bench" / "results" / "scheduling_target.json"


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    instance = read_instance(args.data / f"{args.instance}.txt")
    hints = _seeds(args.hints)
    with ProcessPoolExecutor(max_workers=2) as pool:
        made = pool.map(_hint, itertools.repeat(instance), hints, itertools.repeat(args.tabu))
        schedules = dict(zip(hints, made, strict=True))
        runs = [(h, s) for s in _seeds(args.seeds) for h in hints]
        jobs = [(instance, schedules[h], args.target, s, args.limit, args.pairs) for h, s in runs]
        rows = list(pool.map(_decide, *zip(*jobs, strict=True)))
    for (hint_seed, seed), row in zip(runs, rows, strict=True):
        row.update(hint_seed=hint_seed, hint_makespan=schedules[hint_seed].makespan, seed=seed)
        print(json.dumps(row), flush=True)
    _save(args, rows)


def _hint(instance: Instance, seed: int, seconds: float) -> Schedule:
    return improve(instance, best_dispatch(instance), seconds, workers=1, seed=seed)


def _decide(
    instance: Instance, hint: Schedule, target: int, seed: int, limit: float, pairs: bool
) -> dict[str, Any]:
    """Whether CP-SAT finds a schedule within ``target``, and after how many seconds."""
    model = cp_model.CpModel()
    ops = list(instance.iter_operations())
    length = {op.id: d for op in ops for d in op.durations.values()}  # one machine each
    start = {op.id: model.new_int_var(0, target - length[op.id], op.id) for op in ops}
    for after, before in instance.predecessor.items():
        model.add(start[after] >= start[before.id] + length[before.id])
    for machine in instance.machines:
        here = [op.id for op in ops if machine.id in op.durations]
        model.add_no_overlap(
            [model.new_fixed_size_interval_var(start[o], length[o], "") for o in here]
        )
        for a, b in itertools.combinations(here, 2) if pairs else ():
            first = model.new_bool_var("")
            model.add(start[b] >= start[a] + length[a]).only_enforce_if(first)
            model.add(start[a] >= start[b] + length[b]).only_enforce_if(~first)
            model.add_hint(first, hint.of[a].start < hint.of[b].start)
    for op in ops:
        model.add_hint(start[op.id], hint.of[op.id].start)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    began = time.monotonic()
    code = solver.solve(model)
    seconds = round(time.monotonic() - began, 2)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {"found": None, "seconds": seconds, "status": solver.status_name(code).lower()}
    found = Schedule(
        tuple(
            replace(
                a,
                start=solver.value(start[a.operation]),
                end=solver.value(start[a.operation]) + length[a.operation],
            )
            for a in hint.assignments
        )
    )
    return {
        "found": found.makespan,
        "seconds": seconds,
        "status": "found",
        "violations": len(check(instance, found)),
    }


def _seeds(spec: str) -> list[int]:
    first, _, last = spec.partition("-")
    return list(range(int(first), int(last or first) + 1))


def _save(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    runs = json.loads(RESULT.read_text()) if RESULT.exists() else []
    runs.append(
        {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} ({platform.machine()}, {platform.processor() or '?'})",
            "instance": args.instance,
            "target": args.target,
            "tabu_seconds": args.tabu,
            "limit": args.limit,
            "pair_literals": args.pairs,
            "runs": rows,
        }
    )
    RESULT.write_text(json.dumps(runs, indent=1) + "\n")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance")
    parser.add_argument("--target", type=int, required=True, help="the makespan to stay within")
    parser.add_argument("--hints", default="11-16", help="tabu seeds giving the hints, e.g. 11-16")
    parser.add_argument("--seeds", default="1", help="CP-SAT seeds, e.g. 1-2")
    parser.add_argument("--tabu", type=float, default=15.0, help="seconds of tabu search a hint")
    parser.add_argument("--limit", type=float, default=120.0, help="CP-SAT seconds a run")
    parser.add_argument(
        "--no-pairs", dest="pairs", action="store_false", help="the NoOverlap model alone"
    )
    parser.add_argument("--data", type=Path, default=DATA)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
