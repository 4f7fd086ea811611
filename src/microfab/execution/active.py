"""The controller's working set: every scheduled or running task, kept between steps.

Reading all active tasks from the store on every step cost most of a demo run (about 550,000
rows mapped for one simulated day). The controller is the only writer that creates tasks or
moves them on, so it keeps them here and reloads them only when a step fails (for instance on a
``StaleState`` after a customer cancelled an order) and every ``RELOAD_EVERY`` steps, which
bounds how long a cancellation made elsewhere can go unseen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from microfab.execution.model import ACTIVE_TASK_STATES, Task, TaskState

RELOAD_EVERY = 100


class ActiveTasks:
    def __init__(self, tasks: Iterable[Task]) -> None:
        self._tasks = {task.id: task for task in tasks}
        self.steps = 0

    def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def add(self, task: Task) -> None:
        self._tasks[task.id] = task

    def settle(self, task: Task) -> None:
        """Forget ``task`` once it is no longer scheduled or running."""
        if task.state not in ACTIVE_TASK_STATES:
            self._tasks.pop(task.id, None)

    def all(self) -> list[Task]:
        """Every active task, in the order the store would give them (by planned start)."""
        return _in_order(self._tasks.values())

    def running_past(self, now: datetime) -> list[Task]:
        """The tasks still running after their planned end."""
        return [
            t for t in self._tasks.values() if t.state is TaskState.RUNNING and t.planned_end < now
        ]

    def for_site(self, site_id: str) -> list[Task]:
        return _in_order(t for t in self._tasks.values() if t.factory_id == site_id)

    def for_order(self, order_id: str) -> list[Task]:
        return _in_order(t for t in self._tasks.values() if t.order_id == order_id)


def _in_order(tasks: Iterable[Task]) -> list[Task]:
    return sorted(tasks, key=lambda t: (t.planned_start, t.step, t.id))
