"""Keeping an idle machine free for the task its plan has next.

The plan orders each machine's tasks to save changeovers and meet promises. When a machine
falls idle and its next planned task still waits for its previous step, taking whatever else is
ready would make that task wait for the other one, and often pay two changeovers the plan had
avoided. So the machine holds: it takes other ready work only when that work, with any
changeover into it and back, ends before the planned task can start. A hold lasts only while
the step it waits for runs; when that step has not started, the plan is out of date and the
machine takes what is ready. A batch machine also holds a planned run for a part of it whose
step runs and is planned to end by the run's start, so the part is not left for a later run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from microfab.execution.model import Task, TaskState
from microfab.network.model import MachineSpec


@dataclass(frozen=True)
class Hold:
    """A machine's next planned task, waiting for a running step, and when it can start."""

    task: Task
    at: datetime

    def allows(
        self, machine: MachineSpec, loaded: str | None, task: Task, minutes: float, now: datetime
    ) -> bool:
        """Whether ``task`` may run for ``minutes`` now without delaying the held task.

        Work the plan put before the held task always may; other work must end, changeovers
        included, by the time the held task can start.
        """
        return minutes <= self.room(machine, loaded, task, now)

    def room(self, machine: MachineSpec, loaded: str | None, task: Task, now: datetime) -> float:
        """The longest a run led by ``task`` may last and still let the held task start on time."""
        if self._comes_before(machine, task):
            return float("inf")
        spare = (self.at - now) / timedelta(minutes=1)
        return spare - self._changeovers(machine, loaded, task)

    def _comes_before(self, machine: MachineSpec, task: Task) -> bool:
        """Whether the plan put ``task`` on this machine before the held task."""
        return task.machine_id == machine.id and task.planned_start < self.task.planned_start

    def _changeovers(self, machine: MachineSpec, loaded: str | None, task: Task) -> float:
        """Changeover minutes ``task`` costs the machine: into its family, and back to the held
        task's."""
        into = machine.changeover_from(loaded, task.setup_family)
        return into + machine.changeover_from(task.setup_family, self.task.setup_family)


def hold_for(
    machine: MachineSpec, tasks: Sequence[Task], ready: set[str], now: datetime
) -> Hold | None:
    """The hold ``machine`` keeps, if its next planned task waits for a running step.

    ``tasks`` are the factory's active tasks in planned order; ``ready`` the ids of those whose
    earlier steps are all done. On a batch machine whose next task is ready, a part the plan put
    in the same run holds the run until its step ends, if that is by the run's planned start.
    """
    mine = [t for t in tasks if t.machine_id == machine.id and t.state is TaskState.SCHEDULED]
    if not mine:
        return None
    waiting = mine[0]
    if waiting.id not in ready:
        return _hold(waiting, tasks)
    if machine.batch_capacity < 2 or now >= waiting.planned_start:
        return None
    run = [
        t
        for t in mine[1:]
        if t.planned_start == waiting.planned_start and t.setup_family == waiting.setup_family
    ]
    # A part's hold lasts at least until the run's planned start, so only one ending then counts.
    holds = (_hold(t, tasks) for t in run if t.id not in ready)
    return next((h for h in holds if h is not None and h.at <= waiting.planned_start), None)


def _hold(waiting: Task, tasks: Sequence[Task]) -> Hold | None:
    """A hold for ``waiting`` while all its earlier steps run, until the last is planned to end."""
    before = [t for t in tasks if t.job_id == waiting.job_id and t.step < waiting.step]
    if not before or any(t.state is not TaskState.RUNNING for t in before):
        return None
    return Hold(waiting, max([waiting.planned_start, *(t.planned_end for t in before)]))
