"""The print-farm benchmark: tardiness and changeovers, and the time to repair a breakdown.

Compared on one generated factory (``factory_instance``: 320 orders, 16 printers of three
kinds, 8 colours, due dates over 3 days, 2 shifts):

- ``edd``: earliest-due-date dispatch;
- ``atcs``: microfab's changeover-aware dispatch rule at its default changeover scaling;
- ``atcs_tuned``: the same rule run at each of its changeover scalings, the best by the
  factory's objective kept (what the live re-plan and CP-SAT's first hint use);
- ``textbook``: the textbook CP-SAT model (one optional interval per machine, NoOverlap per
  machine, precedences, minimise makespan) blind to changeovers, batches, calendars and
  people; its machine order is then re-timed by list scheduling so that it becomes feasible;
- ``microfab``: microfab's CP-SAT model (objective 4 × weighted tardiness + changeover).

Then a printer fails at 12:00 on day one for four hours and the plan is repaired.

    python bench/scheduling/factory.py --time-limit 30 --workers 2
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peers import run

from microfab.scheduling.checker import check
from microfab.scheduling.cpsat import Settings, solve
from microfab.scheduling.factory_instance import factory_instance
from microfab.scheduling.model import Instance, Schedule, score
from microfab.scheduling.repair import Disruption, repair
from microfab.scheduling.rules import Dispatcher, dispatch, tuned_atcs

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=320)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repair-budget", type=float, default=1.0)
    parser.add_argument(
        "--repair-only",
        action="store_true",
        help="re-measure the repairs only; keep the plans of the existing results file",
    )
    args = parser.parse_args()
    command = (
        "python bench/scheduling/factory.py "
        f"--orders {args.orders} --seed {args.seed} --time-limit {args.time_limit} "
        f"--workers {args.workers} --repair-budget {args.repair_budget}"
    )
    path = RESULTS / "scheduling_factory.json"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if args.repair_only:
        report: dict[str, Any] = json.loads(path.read_text())
        report["repair"] = _repairs(args)
        report["repair_measured_at"] = now
        report["repair_command"] = command + " --repair-only"
    else:
        instance = factory_instance(args.orders, args.seed)
        plans = {name: _timed(plan, instance, args) for name, plan in PLANS.items()}
        report = {
            "instance": _shape(instance),
            "time_limit": args.time_limit,
            "workers": args.workers,
            "plans": {name: row for name, (row, _) in plans.items()},
            "repair": _repairs(args),
            "measured_at": now,
            "command": command,
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


def _edd(instance: Instance, args: argparse.Namespace) -> Schedule:
    return dispatch(instance, "edd")


def _atcs(instance: Instance, args: argparse.Namespace) -> Schedule:
    return dispatch(instance, "atcs")


def _atcs_tuned(instance: Instance, args: argparse.Namespace) -> Schedule:
    return tuned_atcs(instance)


def _microfab(instance: Instance, args: argparse.Namespace) -> Schedule:
    return solve(instance, Settings(time_limit=args.time_limit, workers=args.workers)).schedule


def _textbook(instance: Instance, args: argparse.Namespace) -> Schedule:
    outcome = run("textbook", instance, args.time_limit, args.workers)
    if outcome.schedule is None:
        raise RuntimeError(f"textbook model found no schedule: {outcome.status}")
    return retime(instance, outcome.schedule)


PLANS = {
    "edd": _edd,
    "atcs": _atcs,
    "atcs_tuned": _atcs_tuned,
    "textbook": _textbook,
    "microfab": _microfab,
}


def retime(instance: Instance, blind: Schedule) -> Schedule:
    """Keep the blind schedule's machines and order; let list scheduling add what it ignored."""
    jobs = tuple(
        replace(
            job,
            operations=tuple(
                replace(
                    op, durations={blind.of[op.id].machine: op.durations[blind.of[op.id].machine]}
                )
                for op in job.operations
            ),
        )
        for job in instance.jobs
    )
    pinned = replace(instance, jobs=jobs)
    order = {a.operation: a.start for a in blind.assignments}
    return Dispatcher(pinned).run(lambda d, o: -order[o.op.id])


def _timed(
    plan: Any, instance: Instance, args: argparse.Namespace
) -> tuple[dict[str, Any], Schedule]:
    began = time.monotonic()
    schedule = plan(instance, args)
    seconds = time.monotonic() - began
    scores = score(instance, schedule)
    row = {
        "weighted_tardiness": scores.tardiness,
        "changeover_minutes": scores.changeover,
        "makespan": scores.makespan,
        "objective": scores.weighted(instance.objective),
        "late_orders": _late(instance, schedule),
        "seconds": round(seconds, 2),
        "checker_violations": len(check(instance, schedule)),
    }
    print(plan.__name__.strip("_"), row, flush=True)
    return row, schedule


def _late(instance: Instance, schedule: Schedule) -> int:
    return sum(
        1
        for j in instance.jobs
        if j.due is not None and schedule.of[j.operations[-1].id].end > j.due
    )


def _repairs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """A printer fails at 12:00 on day one; repaired in 4 h. Sizes: the full farm and 200 tasks."""
    rows = []
    for orders in (args.orders, 67):
        instance = factory_instance(orders, args.seed)
        plan = dispatch(instance, "atcs")
        now = 12 * 60
        broken = max(
            (a for a in plan.assignments if a.machine.startswith("fdm") and a.start < now < a.end),
            key=lambda a: a.end,
        ).machine
        disruption = Disruption(now=now, broken=broken, back_at=now + 240)
        for budget in (0.0, args.repair_budget):
            changed, solution = repair(instance, plan, disruption, budget, args.workers)
            scores = score(changed, solution.schedule)
            rows.append(
                {
                    "operations": len(instance.operations),
                    "replanned": sum(1 for a in plan.assignments if a.start >= now),
                    "broken": broken,
                    "budget_s": budget,
                    "seconds": round(solution.seconds, 3),
                    "solver": solution.solver,
                    "weighted_tardiness": scores.tardiness,
                    "changeover_minutes": scores.changeover,
                    "checker_violations": len(check(changed, solution.schedule)),
                }
            )
            print("repair", rows[-1], flush=True)
    return rows


def _shape(instance: Instance) -> dict[str, Any]:
    printers = [m for m in instance.machines if m.kind != "bench"]
    return {
        "name": instance.name,
        "orders": len(instance.jobs),
        "operations": len(instance.operations),
        "printers": {k: sum(1 for m in printers if m.kind == k) for k in ("fdm", "resin", "sls")},
        "operators": len(instance.operators),
        "objective": {c.value: w for c, w in instance.objective.weights.items()},
    }


if __name__ == "__main__":
    main()
