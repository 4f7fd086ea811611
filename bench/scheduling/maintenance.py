"""Maintenance booked ahead against maintenance that just happens, in the live network.

The demo network on a SQLite database, driven by the real network controller on a simulated
clock, with the demand of ``priorities.py``: a burst of personalised phone grips for Berlin
customers in the first hour of a Monday (120 by default). From 10:00 Berlin time (two hours
after the first order) the printer maker's technician services five of the Berlin factory's
seven FDM printers for eight hours; whatever a printer runs when the technician takes it is
stopped and lost (``SimulatedMachine.take_down``).
The same run is made twice, identical but for one thing: in one a planner books the three
windows at 08:00 (``POST /v1/factories/berlin/maintenance``), in the other nobody tells
microfab, which learns of them when the printers go down. Both runs go on until every order is
delivered. The figures: prints stopped by the technician, orders late and hours late (all
orders, and Berlin's), the median promise (hours from placing), and when the last order was
delivered. Writes
``bench/results/scheduling_maintenance.json``.

    python bench/scheduling/maintenance.py [--seeds 1 2 3 4 5] [--orders 120] [--hours 8]
        [--printers 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from microfab.execution.maintenance import BookMaintenance
from microfab.execution.model import TaskState
from microfab.machines.simulated import SimulatedMachine

sys.path.insert(0, str(Path(__file__).parent))
from priorities import (
    MONDAY,
    drive,
    orders_of,
    place_burst,
    punctuality,
    start_run,
    write_result,
)

RESULTS = Path(__file__).parents[1] / "results" / "scheduling_maintenance.json"
START = MONDAY + timedelta(hours=2)  # 10:00 in Berlin
PRINTERS = tuple(f"berlin-fdm-{n}" for n in range(1, 7))
STOPPED = "stopped for maintenance"
END = MONDAY + timedelta(days=4)


def one_run(
    seed: int, orders: int, hours: float, serviced: tuple[str, ...], booked: bool
) -> dict[str, Any]:
    rng = random.Random(seed)
    window = (START, START + timedelta(hours=hours))
    with tempfile.TemporaryDirectory() as folder:
        run = start_run(Path(folder), seed, broken=())
        began = time.perf_counter()
        if booked:
            for printer in serviced:
                command = BookMaintenance("berlin", printer, *window, "nozzle and belt service")
                run.services.maintenance.book(command)
        ids = place_burst(run, rng, orders)
        drive(run, window[0])
        for printer in serviced:
            machine = run.services.machines[printer]
            assert isinstance(machine, SimulatedMachine)
            machine.take_down(window[1], STOPPED)
        drive(run, END)
        final = orders_of(run, ids)
        with run.services.uow() as uow:
            failed = uow.tasks.in_states("berlin", (TaskState.FAILED,))
        wall = time.perf_counter() - began
        run.services.close()
    delivered = [o.delivered_at for o in final if o.delivered_at is not None]
    promised = [(o.promised_at - o.placed_at).total_seconds() / 3600 for o in final]
    return {
        "seed": seed,
        "booked_ahead": booked,
        "orders": len(ids),
        "prints_stopped": sum(1 for t in failed if t.note == STOPPED),
        "all": punctuality(final),
        "berlin": punctuality([o for o in final if o.factory_id == "berlin"]),
        "median_promised_hours": round(statistics.median(promised), 2),
        "last_delivery_hours": round((max(delivered) - MONDAY).total_seconds() / 3600, 2),
        "wall_seconds": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--orders", type=int, default=120)
    parser.add_argument("--hours", type=float, default=8, help="How long the service lasts")
    parser.add_argument("--printers", type=int, default=5, help="How many printers, of 7")
    args = parser.parse_args()
    serviced = PRINTERS[: args.printers]
    runs = []
    for seed in args.seeds:
        for booked in (False, True):
            figures = one_run(seed, args.orders, args.hours, serviced, booked)
            print(json.dumps(figures), file=sys.stderr)
            runs.append(figures)
    scenario = {
        "orders": args.orders,
        "serviced": list(serviced),
        "window_starts": START.isoformat(),
        "window_hours": args.hours,
        "booked_at": MONDAY.isoformat(),
    }
    benchmark = "maintenance booked ahead vs unannounced, same printers, same hours"
    write_result(RESULTS, benchmark, scenario, runs, medians(runs), "maintenance.py")


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for booked in (False, True):
        chosen = [r for r in runs if r["booked_ahead"] is booked]
        arm = "booked_ahead" if booked else "unannounced"
        table[arm] = {
            **{
                figure: statistics.median(r[figure] for r in chosen)
                for figure in ("prints_stopped", "median_promised_hours", "last_delivery_hours")
            },
            **{
                group: {
                    figure: statistics.median(r[group][figure] for r in chosen)
                    for figure in ("late", "hours_late")
                }
                for group in ("all", "berlin")
            },
        }
    return table


if __name__ == "__main__":
    main()
