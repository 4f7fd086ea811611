"""What is queued on each machine, derived from the active tasks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from microfab.execution.model import ACTIVE_TASK_STATES, Task, TaskState
from microfab.network.model import Network, Process, Site
from microfab.scheduling.dispatch import Booking, SiteLoad, site_load


def bookings(tasks: Iterable[Task], now: datetime) -> list[Booking]:
    """Each active task holds its machine until its planned end (or now, if it overruns), and
    an attended one a person from its start."""
    return [
        Booking(
            t.machine_id,
            max(t.planned_end, now),
            t.process,
            (t.started_at or t.planned_start) if t.attended else None,
        )
        for t in tasks
        if t.state in ACTIVE_TASK_STATES
    ]


def site_loads(network: Network, tasks: Iterable[Task], now: datetime) -> dict[str, SiteLoad]:
    """For every site, what its plan already takes: machines until when, people when, and the
    parts waiting to start."""
    tasks = list(tasks)
    booked = bookings(tasks, now)
    by_site: dict[str, list[Booking]] = {}
    for booking in booked:
        by_site.setdefault(booking.machine_id, []).append(booking)
    loads = {
        site.id: site_load(site, (b for m in site.machines for b in by_site.get(m.id, ())), now)
        for site in network.sites
    }
    for task in tasks:
        if task.state is TaskState.SCHEDULED and task.factory_id in loads:
            waiting = loads[task.factory_id].waiting
            key = (task.process, task.setup_family)
            waiting[key] = waiting.get(key, 0) + 1
    return loads


def backlog_hours(network: Network, tasks: Iterable[Task]) -> dict[tuple[str, str], float]:
    """Queued hours per machine of each (site, process): the work waiting, spread evenly over
    the parts the machines make at once (a batch machine makes several per run)."""
    minutes: dict[tuple[str, str], float] = {}
    for task in tasks:
        if task.state is TaskState.SCHEDULED or task.state is TaskState.RUNNING:
            key = (task.factory_id, task.process)
            minutes[key] = minutes.get(key, 0.0) + task.minutes
    return {
        (site_id, process): queued_hours(network.site(site_id), process, total)
        for (site_id, process), total in minutes.items()
    }


def queued_hours(site: Site, process: str, minutes: float) -> float:
    """``minutes`` of queued work at ``site`` in hours per machine of ``process``, spread over
    the parts the machines make at once (a batch machine makes several per run)."""
    parts = sum(m.batch_capacity for m in site.machines_for(Process(process)))
    return minutes / 60 / max(parts, 1)
