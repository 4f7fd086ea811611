"""Knock-on delays: when work starts or runs late, the plan after it slips instead of overlapping.

A run can start after its planned start: its machine ran late, the person it needs was busy,
or the machine took it from another one that was busy. Its planned end is then later than the
plan had it, and until the factory is next re-planned (on new orders, machine events, hourly)
the machine's next planned task, and the job's next step, would be planned to start before
it ends: the chart shows overlapping bars, promises read a machine free when it is not, and
quotes fit new work into a gap that is gone.

Re-planning the whole factory at every late start was tried and made deliveries later (the
dispatch rule then reshuffles the queue each time; see docs/scheduling.md). Here the plan
keeps its order and its machines: each scheduled task moves later just as far as the work
before it needs, on its machine (with the changeover between) and in its job, and an
attended one to when a skilled person is on shift and not planned for other work (the people
on shift can attend it beside all the attended work then, as quotes count them). Nothing moves
earlier: closing gaps is the re-plan's job.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from microfab.execution.model import Task, TaskState
from microfab.network.model import MachineSpec, Process, Site
from microfab.scheduling.dispatch import Attending, attended_start


@dataclass
class _Run:
    """Tasks a machine makes together (one, except on a batch machine), planned or under way."""

    tasks: list[Task]
    start: datetime
    end: datetime

    @property
    def family(self) -> str:
        return self.tasks[0].setup_family

    @property
    def attended(self) -> bool:
        return any(t.attended for t in self.tasks)

    @property
    def process(self) -> Process:
        return Process(self.tasks[0].process)


def slipped(
    site: Site,
    tasks: Iterable[Task],
    now: datetime,
    closed: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
) -> list[Task]:
    """Move ``site``'s scheduled tasks later where the work before them ends after their
    planned start; the tasks that moved.

    Work under way ends at its planned end, or now if it runs over. The plan's order stands:
    each machine's runs keep their sequence (a batch machine's tasks planned at one time are
    one run), and each run keeps its length. A run pushed into a maintenance window of its
    machine (``closed``: machine id to ``[start, end)``) waits for its end.
    """
    closed = closed or {}
    active = [t for t in tasks if t.state in (TaskState.SCHEDULED, TaskState.RUNNING)]
    ends = {t.id: max(t.planned_end, now) for t in active if t.state is TaskState.RUNNING}
    before = _previous_steps(active)
    machines = {m.id: m for m in site.machines}
    last: dict[str, _Run] = {}
    people: list[Attending] = []
    for run in _running(active, now):
        machine_id = run.tasks[0].machine_id
        if machine_id not in last or run.end > last[machine_id].end:
            last[machine_id] = run
        if run.attended:
            people.append(Attending(run.start, run.end, run.process))
    moved: list[Task] = []
    for run in _planned(active, machines):
        machine = machines.get(run.tasks[0].machine_id)
        earliest = run.start
        previous = last.get(run.tasks[0].machine_id)
        change = 0.0
        if previous is not None and machine is not None:
            change = machine.changeover_from(previous.family, run.family)
            earliest = max(earliest, previous.end + timedelta(minutes=change))
        for task in run.tasks:
            step = before.get(task.id)
            if step is not None and step in ends:
                earliest = max(earliest, ends[step])
        length = _minutes(run.end - run.start)
        windows = closed.get(run.tasks[0].machine_id, ())
        for _ in range(len(windows) + 1):
            if run.attended:  # at its planned start, someone is free for it in a plan that holds
                earliest = attended_start(site, run.process, earliest, length, people)
            after = _after_maintenance(windows, earliest, length, change)
            if after == earliest:
                break
            earliest = after
        shift = earliest - run.start
        if shift > timedelta(0):
            run.start, run.end = earliest, run.end + shift
            for task in run.tasks:
                task.planned_start += shift
                task.planned_end += shift
                moved.append(task)
        for task in run.tasks:
            ends[task.id] = task.planned_end
        last[run.tasks[0].machine_id] = run
        if run.attended:
            people.append(Attending(run.start, run.end, run.process))
    return moved


def _after_maintenance(
    windows: Sequence[tuple[datetime, datetime]],
    start: datetime,
    minutes: float,
    change: float = 0.0,
) -> datetime:
    """The earliest start from ``start`` of ``minutes`` of work, after ``change`` minutes of
    changeover, such that neither runs into any of the ``windows`` (in start order)."""
    before = timedelta(minutes=change)
    for begin, end in windows:
        if begin < start + timedelta(minutes=minutes) and start - before < end:
            start = end + before
    return start


def _previous_steps(active: list[Task]) -> dict[str, str]:
    """Each active task's job step just before it, where that step is active too."""
    by_job: dict[str, list[Task]] = {}
    for task in active:
        by_job.setdefault(task.job_id, []).append(task)
    before: dict[str, str] = {}
    for steps in by_job.values():
        steps.sort(key=lambda t: t.step)
        for a, b in itertools.pairwise(steps):
            before[b.id] = a.id
    return before


def _running(active: list[Task], now: datetime) -> list[_Run]:
    """The runs under way, each with its end (its planned end, or now when it runs over)."""
    runs: dict[str, list[Task]] = {}
    for task in active:
        if task.state is TaskState.RUNNING:
            runs.setdefault(task.run or task.id, []).append(task)
    return [
        _Run(
            ts,
            min(t.started_at or t.planned_start for t in ts),
            max(now, *(t.planned_end for t in ts)),
        )
        for ts in runs.values()
    ]


def _planned(active: list[Task], machines: Mapping[str, MachineSpec]) -> list[_Run]:
    """The planned runs in the order of their planned starts (which the plan's precedences
    follow): a task alone, or a batch machine's tasks planned at one time."""
    runs: dict[object, list[Task]] = {}
    for task in sorted(active, key=lambda t: (t.planned_start, t.step, t.id)):
        if task.state is not TaskState.SCHEDULED:
            continue
        machine = machines.get(task.machine_id)
        batch = machine is not None and machine.batch_capacity > 1
        runs.setdefault(task.run_key(batch), []).append(task)
    return [_Run(ts, ts[0].planned_start, max(t.planned_end for t in ts)) for ts in runs.values()]


def _minutes(span: timedelta) -> float:
    return span / timedelta(minutes=1)
