"""Who attends the work the floor starts: the people of a factory at one moment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from microfab.execution.model import Task, TaskState
from microfab.network.model import Operator, Process, Site, assign_people


@dataclass
class Crew:
    """A factory's people as the floor sees them at ``at``: who is attending a run under way
    (``at_work``), and when the plan next needs each person it names (``needed``)."""

    site: Site
    at: datetime
    at_work: set[str]
    needed: dict[str, datetime]

    @classmethod
    def of(cls, site: Site, tasks: Iterable[Task], at: datetime) -> Crew:
        tasks = list(tasks)
        return cls(site, at, people_at_work(site, tasks, at), next_needed(tasks))

    def person_for(self, task: Task, minutes: float, named_only: bool = False) -> Operator | None:
        """Who attends ``minutes`` of ``task`` from now: someone on shift, skilled in it, not
        at other work, who can finish it in their shift (``Site.can_attend``); None when nobody
        can. The person the plan names if they can (``named_only``: nobody else); else the
        one the plan needs next the latest (so nobody's next work is put off while someone is
        free), then the one with the fewest skills (who can stand in for others least)."""
        process = Process(task.process)
        free = [
            o
            for o in self.site.people_on_shift(self.at)
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


def people_at_work(site: Site, tasks: Iterable[Task], at: datetime) -> set[str]:
    """The people of ``site`` attending a run under way at ``at``: the person each run names,
    and for a run that names nobody, or someone another run names too (runs started before
    the floor named people carry nobody or the plan's name), someone on shift skilled in it,
    each their own as far as the people allow."""
    runs = {t.run or t.id: t for t in tasks if t.state is TaskState.RUNNING and t.attended}
    named: set[str] = set()
    unnamed: list[Process] = []
    for t in runs.values():
        if t.operator_id is not None and t.operator_id not in named:
            named.add(t.operator_id)
        else:  # nobody named, or a name already at other work (a plan's name, not who came)
            unnamed.append(Process(t.process))
    free = [o for o in site.people_on_shift(at) if o.id not in named]
    taken = assign_people([o.skills for o in free], unnamed)
    return named | {free[who].id for who in taken if who is not None}


def next_needed(tasks: Iterable[Task]) -> dict[str, datetime]:
    """When the plan next needs each person it names: their earliest planned attended task."""
    needed: dict[str, datetime] = {}
    for t in tasks:
        if t.state is TaskState.SCHEDULED and t.attended and t.operator_id is not None:
            needed[t.operator_id] = min(needed.get(t.operator_id, t.planned_start), t.planned_start)
    return needed
