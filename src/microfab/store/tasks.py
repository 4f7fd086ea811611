"""Jobs and tasks in SQL: the row mappings and the ``TaskRepository`` over them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, select, update
from sqlalchemy.orm import Session

from microfab.errors import Conflict, NotFound, StaleState
from microfab.execution.model import Job, Task, TaskState
from microfab.store.statements import changed_rows, insert_new
from microfab.store.tables import jobs, tasks

SAVE_IF_UNCHANGED = update(tasks).where(
    tasks.c.id == bindparam("match_id"), tasks.c.version == bindparam("match_version")
)
"""Optimistic concurrency, as for orders: written only if the version is still the one read."""

MOVE_IF_SCHEDULED = (
    update(tasks)
    .where(tasks.c.id == bindparam("match_id"), tasks.c.state == TaskState.SCHEDULED.value)
    .values(
        machine_id=bindparam("machine_id"),
        minutes=bindparam("minutes"),
        planned_start=bindparam("planned_start"),
        planned_end=bindparam("planned_end"),
        operator_id=bindparam("operator_id"),
    )
)
"""A new plan for a task: no version check, since it touches no field anyone else writes."""


def task_to_row(task: Task) -> dict[str, Any]:
    return asdict(task) | {"state": task.state.value}


def row_to_task(row: Row[Any]) -> Task:
    values = row._asdict()
    return Task(**values | {"state": TaskState(values["state"])})


def row_to_job(row: Row[Any]) -> Job:
    return Job(**row._asdict())


class SqlTasks:
    """``TaskRepository`` on the ``jobs`` and ``tasks`` tables."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_job(self, job: Job) -> None:
        if not insert_new(self._session, jobs, asdict(job)):
            raise Conflict(f"job {job.id} exists already")

    def get_job(self, job_id: str) -> Job:
        row = self._session.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFound(f"no job {job_id!r}")
        return row_to_job(row)

    def jobs(self, factory_id: str | None, order_id: str | None, limit: int) -> list[Job]:
        conditions = [
            column == value
            for column, value in ((jobs.c.factory_id, factory_id), (jobs.c.order_id, order_id))
            if value is not None
        ]
        statement = (
            select(jobs)
            .where(*conditions)
            .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
            .limit(max(0, limit))
        )
        return [row_to_job(row) for row in self._session.execute(statement)]

    def places(self, states: Iterable[TaskState]) -> dict[str, int]:
        active = select(tasks.c.job_id).where(tasks.c.state.in_([s.value for s in states]))
        taken = (jobs.c.quantity * jobs.c.piece_places).label("places")
        statement = select(jobs.c.id, taken).where(jobs.c.id.in_(active))
        return {row.id: row.places for row in self._session.execute(statement)}

    def add(self, task: Task) -> None:
        if not insert_new(self._session, tasks, task_to_row(task)):
            raise Conflict(f"task {task.id} exists already")

    def get(self, task_id: str) -> Task:
        found = self._select(tasks.c.id == task_id)
        if not found:
            raise NotFound(f"no task {task_id!r}")
        return found[0]

    def save(self, task: Task) -> None:
        changes = task_to_row(task) | {"version": task.version + 1}
        match = {"match_id": task.id, "match_version": task.version}
        if changed_rows(self._session, SAVE_IF_UNCHANGED, changes | match) == 1:
            task.version += 1
            return
        if self._session.scalar(select(tasks.c.version).where(tasks.c.id == task.id)) is None:
            raise NotFound(f"no task {task.id!r}")
        raise StaleState(f"task {task.id} was changed by someone else; read it again")

    def move(self, moved: Iterable[Task]) -> None:
        rows = [
            {
                "match_id": t.id,
                "machine_id": t.machine_id,
                "minutes": t.minutes,
                "planned_start": t.planned_start,
                "planned_end": t.planned_end,
                "operator_id": t.operator_id,
            }
            for t in moved
        ]
        if rows:
            self._session.execute(MOVE_IF_SCHEDULED, rows)

    def for_order(self, order_id: str) -> list[Task]:
        return self._select(tasks.c.order_id == order_id)

    def for_job(self, job_id: str) -> list[Task]:
        return self._select(tasks.c.job_id == job_id)

    def in_states(self, factory_id: str | None, states: Iterable[TaskState]) -> list[Task]:
        conditions: list[ColumnElement[bool]] = [tasks.c.state.in_([s.value for s in states])]
        if factory_id is not None:
            conditions.append(tasks.c.factory_id == factory_id)
        return self._select(*conditions)

    def _select(self, *conditions: ColumnElement[bool]) -> list[Task]:
        statement = (
            select(tasks)
            .where(*conditions)
            .order_by(tasks.c.planned_start, tasks.c.step, tasks.c.id)
        )
        return [row_to_task(row) for row in self._session.execute(statement)]
