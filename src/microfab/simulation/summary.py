"""What a run achieved: orders, punctuality, lead times, utilisation and CO2e."""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microfab.execution.model import Task, TaskState
from microfab.network.model import Network
from microfab.orders.model import Order, OrderState
from microfab.storage import UnitOfWork


@dataclass(frozen=True)
class RunWindow:
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def summarise(uow: UnitOfWork, network: Network, window: RunWindow) -> dict[str, Any]:
    counts = uow.orders.count_by_state()
    closed = uow.orders.all_closed_since(window.start)
    delivered = [o for o in closed if o.state is OrderState.DELIVERED]
    late = [o for o in delivered if o.late]
    lead = [o.lead_time_hours for o in delivered if o.lead_time_hours is not None]
    open_orders = uow.orders.in_states(
        s for s in OrderState if s not in (OrderState.DELIVERED, OrderState.CANCELLED)
    )
    promised = [
        (o.promised_at - o.placed_at).total_seconds() / 3600
        for o in itertools.chain(closed, open_orders)
        if o.placed_at >= window.start
    ]
    tasks = uow.tasks.in_states(None, list(TaskState))
    return {
        "network": network.name,
        "simulated": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "hours": round(window.hours, 3),
        },
        "orders": {
            "placed": sum(counts.values()),
            "delivered": len(delivered),
            "late": len(late),
            "open": len(open_orders),
            "open_past_promise": sum(1 for o in open_orders if o.promised_at < window.end),
            "cancelled": counts.get(OrderState.CANCELLED, 0),
            "by_state": {s.value: counts.get(s, 0) for s in OrderState},
            "by_priority": by_priority(delivered),
        },
        "on_time_rate": round(1 - len(late) / len(delivered), 4) if delivered else None,
        "mean_lead_time_hours": round(statistics.fmean(lead), 3) if lead else None,
        "median_lead_time_hours": round(statistics.median(lead), 3) if lead else None,
        "median_promised_hours": round(statistics.median(promised), 3) if promised else None,
        "tasks": {
            "finished": sum(1 for t in tasks if t.state is TaskState.FINISHED),
            "failed": sum(1 for t in tasks if t.state is TaskState.FAILED),
        },
        "revenue_eur": round(sum(o.price_cents for o in delivered) / 100, 2),
        "mean_co2e_kg_per_order": (
            round(statistics.fmean(o.co2e_kg for o in delivered), 4) if delivered else None
        ),
        "utilisation": utilisation(network, tasks, window),
        "changeovers": changeovers(network, tasks),
    }


def by_priority(delivered: list[Order]) -> dict[str, dict[str, Any]]:
    """Punctuality of the delivered orders of each priority: how many, how many late, and the
    hours by which the late ones missed their promise, in all."""
    groups: dict[int, list[Order]] = {}
    for order in delivered:
        groups.setdefault(order.priority, []).append(order)
    return {
        str(priority): {
            "delivered": len(orders),
            "late": sum(1 for o in orders if o.late),
            "hours_late": round(sum(_hours_late(o) for o in orders), 2),
        }
        for priority, orders in sorted(groups.items())
    }


def _hours_late(order: Order) -> float:
    if order.delivered_at is None or not order.late:
        return 0.0
    return (order.delivered_at - order.promised_at).total_seconds() / 3600


def changeovers(network: Network, tasks: list[Task]) -> dict[str, float]:
    """Setup-family switches between consecutive jobs on each machine, and the hours they cost."""
    runs: dict[str, list[Task]] = {}
    for task in tasks:
        if task.started_at is not None:
            runs.setdefault(task.machine_id, []).append(task)
    count, minutes = 0, 0.0
    for machine_id, started in runs.items():
        spec = network.machine(machine_id)[1]
        if spec.changeover_minutes <= 0:
            continue
        started.sort(key=lambda t: (t.started_at, t.id))
        switches = sum(
            1 for a, b in itertools.pairwise(started) if a.setup_family != b.setup_family
        )
        count += switches
        minutes += switches * spec.changeover_minutes
    return {"count": count, "hours": round(minutes / 60, 2)}


def utilisation(network: Network, tasks: list[Task], window: RunWindow) -> dict[str, float]:
    """Share of machine time spent running tasks in the window, per factory; the parts of one
    batch run count once."""
    busy: dict[str, float] = {}
    counted: set[str] = set()
    for task in tasks:
        if task.started_at is None or task.run in counted:
            continue
        if task.run is not None:
            counted.add(task.run)
        begin = max(task.started_at, window.start)
        end = min(task.ended_at or window.end, window.end)
        if end > begin:
            busy[task.factory_id] = busy.get(task.factory_id, 0.0) + (end - begin).total_seconds()
    seconds = window.hours * 3600
    return {
        site.id: round(busy.get(site.id, 0.0) / (seconds * len(site.machines)), 4)
        if site.machines and seconds > 0
        else 0.0
        for site in network.factories
    }
