"""Order priorities in the live network: a planner protects key orders through a printer outage.

The demo network on a SQLite database, driven by the real network controller on a simulated
clock. A burst of personalised phone grips for Berlin customers arrives in the first hour of a
Monday; an hour later three of the Berlin factory's six FDM printers go down for six hours, so
the plan cannot keep every promise. At that moment a planner marks a fifth of the Berlin orders
not yet in production (drawn with the seed) as key orders, at priority 10. The same run is made
twice, identical but for that: once with the key orders re-prioritised (the use case behind
``POST /v1/orders/{id}/priority``), once with them left at priority 1. Both runs go on until
every order is delivered. The figures, for the key orders, for the other Berlin orders not yet
in production when the printers broke, and for all orders: how many were late, and by how many
hours in all. Writes ``bench/results/scheduling_priorities.json``.

    python bench/scheduling/priorities.py [--seeds 1 2 3 4 5] [--orders 72]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from microfab.bootstrap import Services, build_services, open_database
from microfab.clock import ManualClock
from microfab.execution.controller import NetworkController
from microfab.ids import random_ids
from microfab.machines.base import Machine, MachineJob, MachineState, MachineStatus
from microfab.network.loader import demo_document, normal_form
from microfab.network.model import Location
from microfab.network.service import install_network
from microfab.orders.model import Destination, Order, OrderState
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.settings import Settings

RESULTS = Path(__file__).parents[1] / "results" / "scheduling_priorities.json"
MONDAY = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
OUTAGE = (MONDAY + timedelta(hours=2), timedelta(hours=6))
BROKEN = ("berlin-fdm-1", "berlin-fdm-2", "berlin-fdm-3")
KEY_SHARE = 0.2
KEY_PRIORITY = 10
COLOURS = ("red", "blue", "black", "white")


class Outage:
    """A machine that is down from ``start`` for ``length``, and otherwise the machine itself."""

    def __init__(self, inner: Machine, clock: ManualClock, start: datetime, length: timedelta):
        self._inner = inner
        self._clock = clock
        self._start = start
        self._end = start + length

    @property
    def id(self) -> str:
        return self._inner.id

    def _down(self) -> bool:
        return self._start <= self._clock.now() < self._end

    def status(self) -> MachineStatus:
        return MachineStatus(MachineState.DOWN) if self._down() else self._inner.status()

    def start(self, job: MachineJob) -> None:
        self._inner.start(job)

    def resume(self, job: MachineJob, started_at: datetime) -> None:
        self._inner.resume(job, started_at)

    def acknowledge(self, job_id: str) -> None:
        self._inner.acknowledge(job_id)

    def next_change_at(self) -> datetime | None:
        if self._clock.now() < self._start:
            inner = self._inner.next_change_at()
            return self._start if inner is None else min(inner, self._start)
        if self._down():
            return self._end
        return self._inner.next_change_at()


@dataclass
class Run:
    services: Services
    controller: NetworkController
    clock: ManualClock


def start_run(folder: Path, seed: int, broken: tuple[str, ...] = BROKEN) -> Run:
    """The demo network on a fresh SQLite database at ``MONDAY``, the ``broken`` machines
    down during ``OUTAGE``."""
    settings = Settings(database_url=f"sqlite:///{folder / 'network.db'}")
    store = open_database(settings)
    with store.unit_of_work() as uow:
        install_network(uow, normal_form(demo_document(), "demo"), MONDAY)
        uow.commit()
    clock = ManualClock(MONDAY)
    services = build_services(settings, clock, random_ids(random.Random(seed)), store)
    services.controller(seed, failure_rate=0)  # builds the machines, then some get an outage
    for machine_id in broken:
        services.machines[machine_id] = Outage(services.machines[machine_id], clock, *OUTAGE)
    return Run(services, services.controller(seed, failure_rate=0), clock)


def drive(run: Run, until: datetime) -> None:
    while run.clock.now() < until:
        run.controller.step()
        wake = run.controller.next_wakeup()
        step = min(wake, until) if wake and wake > run.clock.now() else until
        run.clock.set(min(step, run.clock.now() + timedelta(minutes=5)))
    run.controller.step()


def place_burst(run: Run, rng: random.Random, count: int) -> list[str]:
    ids = []
    for n in range(count):
        run.clock.set(MONDAY + timedelta(minutes=60 * n / count))
        run.controller.step()
        name = "".join(rng.choice("ABCDEFGHIKLMNOPRSTUVWZ") for _ in range(rng.randint(3, 8)))
        line = LineRequest(
            "phone-grip", rng.choice((1, 1, 1, 2)), {"name": name, "colour": rng.choice(COLOURS)}
        )
        where = Location(52.52 + rng.uniform(-0.05, 0.05), 13.40 + rng.uniform(-0.08, 0.08))
        command = PlaceOrder(f"cust-{n:03d}", (line,), Destination(where, "Berlin"), f"b-{n}")
        ids.append(run.services.orders.place(command).order.id)
    return ids


def one_run(seed: int, orders: int, prioritise: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        run = start_run(Path(folder), seed)
        began = time.perf_counter()
        ids = place_burst(run, rng, orders)
        drive(run, OUTAGE[0])
        open_at_berlin = [
            o.id
            for o in orders_of(run, ids)
            if o.factory_id == "berlin" and o.state in (OrderState.SCHEDULED, OrderState.ROUTED)
        ]
        keys = sorted(rng.sample(open_at_berlin, round(KEY_SHARE * len(open_at_berlin))))
        if prioritise:
            for order_id in keys:
                run.services.orders.prioritise(order_id, KEY_PRIORITY)
        drive(run, MONDAY + timedelta(days=4))
        final = {o.id: o for o in orders_of(run, ids)}
        wall = time.perf_counter() - began
        run.services.close()
    others = [i for i in open_at_berlin if i not in keys]
    return {
        "seed": seed,
        "prioritised": prioritise,
        "orders": len(ids),
        "at_berlin_when_it_broke": len(open_at_berlin),
        "key": punctuality([final[i] for i in keys]),
        "others": punctuality([final[i] for i in others]),
        "all": punctuality(list(final.values())),
        "wall_seconds": round(wall, 1),
    }


def orders_of(run: Run, ids: list[str]) -> list[Order]:
    with run.services.uow() as uow:
        return uow.orders.many(ids)


def punctuality(orders: list[Order]) -> dict[str, Any]:
    late = [o for o in orders if o.delivered_at is None or o.late]
    hours = sum(
        ((o.delivered_at or MONDAY + timedelta(days=4)) - o.promised_at).total_seconds() / 3600
        for o in late
    )
    return {
        "orders": len(orders),
        "delivered": sum(1 for o in orders if o.state is OrderState.DELIVERED),
        "late": len(late),
        "hours_late": round(hours, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--orders", type=int, default=72)
    args = parser.parse_args()
    runs = []
    for seed in args.seeds:
        for prioritise in (False, True):
            figures = one_run(seed, args.orders, prioritise)
            print(json.dumps(figures), file=sys.stderr)
            runs.append(figures)
    scenario = {
        "orders": args.orders,
        "broken": list(BROKEN),
        "outage_from": OUTAGE[0].isoformat(),
        "outage_hours": OUTAGE[1].total_seconds() / 3600,
        "key_share": KEY_SHARE,
        "key_priority": KEY_PRIORITY,
    }
    benchmark = "key orders re-prioritised through a printer outage vs left at priority 1"
    write_result(RESULTS, benchmark, scenario, runs, medians(runs), "priorities.py")


def write_result(
    path: Path,
    benchmark: str,
    scenario: dict[str, Any],
    runs: list[dict[str, Any]],
    table: dict[str, Any],
    script: str,
) -> None:
    """Write a live-network benchmark's figures to ``path`` with the machine they ran on, and
    print its medians."""
    result = {
        "benchmark": benchmark,
        "scenario": scenario,
        "medians": table,
        "runs": runs,
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "command": f"python bench/scheduling/{script} " + " ".join(sys.argv[1:]),
    }
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(table, indent=1))


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for prioritise in (False, True):
        chosen = [r for r in runs if r["prioritised"] is prioritise]
        arm = "prioritised" if prioritise else "left_at_1"
        table[arm] = {
            group: {
                figure: statistics.median(r[group][figure] for r in chosen)
                for figure in ("late", "hours_late")
            }
            for group in ("key", "others", "all")
        }
    return table


if __name__ == "__main__":
    main()
