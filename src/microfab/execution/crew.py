"""Who attends the work the floor starts: the people of a factory at one moment; and who is
named for new work as it is placed, before the next re-plan."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from microfab.execution.model import ACTIVE_TASK_STATES, Task, TaskState
from microfab.network.model import Operator, Process, Site, staff_runs


@dataclass
class Crew:
    """A factory's people as the floor sees them at ``at``: who is on shift (``on_shift``),
    who of them is attending a run under way (``at_work``), and when the plan next needs each
    person it names (``needed``)."""

    site: Site
    at: datetime
    on_shift: list[Operator]
    at_work: set[str]
    needed: dict[str, datetime]

    @classmethod
    def of(cls, site: Site, tasks: Iterable[Task], at: datetime) -> Crew:
        tasks = list(tasks)
        on_shift = site.people_on_shift(at)
        needed = {person: t.planned_start for person, t in next_named(tasks).items()}
        gone = {o.id for o in site.operators} - {o.id for o in on_shift}
        return cls(site, at, on_shift, _at_work(on_shift, gone, tasks), needed)

    def person_for(self, task: Task, minutes: float, named_only: bool = False) -> Operator | None:
        """Who attends ``minutes`` of ``task`` from now: someone on shift, skilled in it, not
        at other work, who can finish it in their shift (``Site.can_attend``); None when nobody
        can. The person the plan names if they can (``named_only``: nobody else); else the
        one the plan needs next the latest (so nobody's next work is put off while someone is
        free), then the one with the fewest skills (who can stand in for others least)."""
        process = Process(task.process)
        free = [
            o
            for o in self.on_shift
            if o.id not in self.at_work and self.site.can_attend(o, process, self.at, minutes)
        ]
        named = next((o for o in free if o.id == task.operator_id), None)
        if named is not None or named_only or not free:
            return named
        return min(free, key=self._spare_first)

    def take(self, person: Operator) -> None:
        self.at_work.add(person.id)

    def _spare_first(self, person: Operator) -> tuple[bool, float, int, str]:
        needed = self.needed.get(person.id)
        later_first = -needed.timestamp() if needed is not None else 0.0
        return needed is not None, later_first, len(person.skills), person.id


def _at_work(on_shift: list[Operator], gone: set[str], tasks: list[Task]) -> set[str]:
    """The people of ``on_shift`` who attend a run under way: the person each run names; for a
    run that names nobody, or someone another run names too (runs started before the floor
    named people carry nobody or the plan's name), someone skilled in it, each their own as far
    as the people allow; a run whose person is ``gone`` holds nobody
    (``network.model.staff_runs``, as the re-plan holds them)."""
    runs = {t.run or t.id: t for t in tasks if t.state is TaskState.RUNNING and t.attended}
    needs = [(t.operator_id, Process(t.process)) for t in runs.values()]
    staffed = staff_runs([(o.id, o.skills) for o in on_shift], needs, gone)
    return {who for who in staffed if who is not None}


def next_named(tasks: Iterable[Task]) -> dict[str, Task]:
    """The next attended task the plan gives each person it names (earliest planned start)."""
    upcoming: dict[str, Task] = {}
    for t in sorted(tasks, key=lambda t: (t.planned_start, t.id)):
        if t.state is TaskState.SCHEDULED and t.attended and t.operator_id is not None:
            upcoming.setdefault(t.operator_id, t)
    return upcoming


def name_people(site: Site, planned: Iterable[Task], new: Iterable[Task]) -> None:
    """Name who attends each attended task of ``new`` as it was placed, so that people see new
    work in their lists before the next re-plan: the person of the batch run it joins, else
    someone skilled, on shift for the whole step (``Site.can_attend``) and named on no other
    attended work of ``planned`` over it, the fewest skills first (who can stand in for others
    least). Nobody where nobody is free: the placement counted heads, not names, and the
    re-plan or the floor names one then.

    Work under way holds its person from when it started (``Task.started_at``): the floor
    starts ready work before its planned start, and its planned end then counts from the
    start. Only a run not yet started takes new parts (``Task.run_key``)."""
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    runs: dict[str | tuple[str, datetime], str] = {}
    batch = {m.id for m in site.machines if m.batch_capacity > 1}
    for t in planned:
        if t.attended and t.operator_id is not None and t.state in ACTIVE_TASK_STATES:
            since = t.started_at or t.planned_start
            busy.setdefault(t.operator_id, []).append((since, t.planned_end))
            if t.machine_id in batch and t.state is TaskState.SCHEDULED:
                runs[t.run_key(True)] = t.operator_id
    for task in sorted(new, key=lambda t: (t.planned_start, t.step)):
        if not task.attended or task.operator_id is not None:
            continue
        joined = runs.get(task.run_key(True))
        person = joined or _free_person(site, task, busy)
        if person is None:
            continue
        task.operator_id = person
        busy.setdefault(person, []).append((task.planned_start, task.planned_end))
        if task.machine_id in batch:
            runs[task.run_key(True)] = person


def _free_person(
    site: Site, task: Task, busy: dict[str, list[tuple[datetime, datetime]]]
) -> str | None:
    start, end = task.planned_start, task.planned_end
    minutes = (end - start) / timedelta(minutes=1)
    process = Process(task.process)
    free = [
        o
        for o in site.operators
        if site.can_attend(o, process, start, minutes)
        and not any(b < end and start < e for b, e in busy.get(o.id, ()))
    ]
    best = min(free, key=lambda o: (len(o.skills), o.id), default=None)
    return None if best is None else best.id
