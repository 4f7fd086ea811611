"""What is queued on each machine, derived from the active tasks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from microfab.execution.model import ACTIVE_TASK_STATES, Task, TaskState
from microfab.network.model import Network, Process, Site
from microfab.scheduling.dispatch import Booking, PlannedRun, SiteLoad, site_load


def bookings(tasks: Iterable[Task], now: datetime) -> list[Booking]:
    """Each active task holds its machine until its planned end (or now, if it overruns), and
    an attended one a person from its start."""
    return [
        Booking(
            t.machine_id,
            max(t.planned_end, now),
            t.process,
            (t.started_at or t.planned_start) if t.attended else None,
            t.started_at or t.planned_start,
            t.setup_family,
        )
        for t in tasks
        if t.state in ACTIVE_TASK_STATES
    ]


def site_loads(
    network: Network,
    tasks: Iterable[Task],
    now: datetime,
    pieces: Mapping[str, int] | None = None,
    loaded: Mapping[str, str] | None = None,
    closed: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
) -> dict[str, SiteLoad]:
    """For every site, what its plan already takes: machines until when, people when, the
    pieces waiting to start, and the runs planned on its batch machines.

    ``pieces`` gives the places each job takes in batch runs (job id to ``Job.places``: its
    quantity where a piece takes one place) for the scheduled tasks; a job not in it takes
    one. ``loaded`` gives the setup family machines were last started in (machine id to
    family): new work on one changes over from it. ``closed`` gives machines' maintenance
    windows (machine id to ``[start, end)``): new work runs into none.
    """
    tasks = list(tasks)
    pieces = pieces or {}
    booked = bookings(tasks, now)
    by_site: dict[str, list[Booking]] = {}
    for booking in booked:
        by_site.setdefault(booking.machine_id, []).append(booking)
    loads = {
        site.id: site_load(
            site, (b for m in site.machines for b in by_site.get(m.id, ())), now, loaded, closed
        )
        for site in network.sites
    }
    sites = {m.id: site.id for site in network.sites for m in site.machines}
    batch = {m.id for site in network.sites for m in site.machines if m.batch_capacity > 1}
    scheduled = [t for t in tasks if t.state is TaskState.SCHEDULED and t.factory_id in loads]
    for task in scheduled:
        waiting = loads[task.factory_id].waiting
        key = (task.process, task.setup_family)
        waiting[key] = waiting.get(key, 0) + pieces.get(task.job_id, 1)
    on_batch = [t for t in scheduled if t.machine_id in batch]
    for machine_id, runs in _planned_runs(on_batch, pieces).items():
        loads[sites[machine_id]].runs[machine_id] = runs
    return loads


def _planned_runs(tasks: Iterable[Task], pieces: Mapping[str, int]) -> dict[str, list[PlannedRun]]:
    """The runs planned on each batch machine, in start order: its scheduled tasks of one family
    and attendance planned to start together (the re-planner gives a run's parts one start)."""
    grouped: dict[tuple[str, datetime, str, bool], list[Task]] = {}
    for task in tasks:
        key = (task.machine_id, task.planned_start, task.setup_family, task.attended)
        grouped.setdefault(key, []).append(task)
    runs: dict[str, list[PlannedRun]] = {}
    for (machine_id, start, family, attended), members in grouped.items():
        run = PlannedRun(
            family,
            attended,
            start,
            max(t.planned_end for t in members),
            sum(pieces.get(t.job_id, 1) for t in members),
            min(t.minutes for t in members),
        )
        runs.setdefault(machine_id, []).append(run)
    for machine_runs in runs.values():
        machine_runs.sort(key=lambda r: r.start)
    return runs


def backlog_hours(
    network: Network, tasks: Iterable[Task], pieces: Mapping[str, int] | None = None
) -> dict[tuple[str, str], float]:
    """Queued hours per machine of each (site, process): the work waiting, spread evenly over
    the parts the machines make at once (a batch machine makes several per run).

    A task on a batch machine lasts its runs (``orders.model.step_minutes``) and takes as many
    of their places as its job does (``pieces``: job id to ``Job.places``, one if missing), up
    to the machine's capacity.
    """
    pieces = pieces or {}
    capacity = {m.id: m.batch_capacity for site in network.sites for m in site.machines}
    minutes: dict[tuple[str, str], float] = {}
    for task in tasks:
        if task.state is TaskState.SCHEDULED or task.state is TaskState.RUNNING:
            key = (task.factory_id, task.process)
            work = place_minutes(
                task.minutes, pieces.get(task.job_id, 1), capacity.get(task.machine_id, 1)
            )
            minutes[key] = minutes.get(key, 0.0) + work
    return {
        (site_id, process): queued_hours(network.site(site_id), process, total)
        for (site_id, process), total in minutes.items()
    }


def place_minutes(minutes: float, pieces: int, capacity: int) -> float:
    """A task's minutes times the places it takes in its machine's runs: its job's places, up
    to the machine's capacity (one place on a one-part machine)."""
    return minutes * min(pieces, capacity)


def queued_hours(site: Site, process: str, minutes: float) -> float:
    """``minutes`` of queued work at ``site`` in hours per machine of ``process``, spread over
    the parts the machines make at once (a batch machine makes several per run)."""
    parts = sum(m.batch_capacity for m in site.machines_for(Process(process)))
    return minutes / 60 / max(parts, 1)
