"""Jobs and tasks in the SQL store, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from microfab.errors import Conflict, NotFound, StaleState
from microfab.execution.model import Job, Task, TaskState
from microfab.store import SqlStore

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def a_job(number: int, factory: str = "berlin-1", order: str = "o1") -> Job:
    return Job(
        id=f"j{number}",
        order_id=order,
        line_index=0,
        factory_id=factory,
        product_id="bracket",
        quantity=2,
        material="pla",
        created_at=T0 + timedelta(minutes=number),
    )


def a_task(name: str, start_minutes: int, step: int = 1, **changes: object) -> Task:
    task = Task(
        id=name,
        job_id="j1",
        order_id="o1",
        factory_id="berlin-1",
        step=step,
        operation="print",
        process="fdm",
        machine_id="printer-1",
        setup_family="pla-black",
        attended=False,
        minutes=42.5,
        planned_start=T0 + timedelta(minutes=start_minutes),
        planned_end=T0 + timedelta(minutes=start_minutes + 42),
    )
    return replace(task, **changes)  # type: ignore[arg-type]


def add(store: SqlStore, *tasks: Task) -> None:
    with store.unit_of_work() as uow:
        for task in tasks:
            uow.tasks.add(task)
        uow.commit()


def test_a_job_and_its_task_come_back_with_every_field(store: SqlStore) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    job = replace(a_job(1), created_at=datetime(2026, 11, 25, 17, 0, 0, 5, tzinfo=tokyo))
    task = a_task(
        "t1",
        0,
        step=2,
        attended=True,
        attempt=3,
        state=TaskState.FAILED,
        started_at=datetime(2026, 11, 25, 18, 0, tzinfo=tokyo),
        ended_at=datetime(2026, 11, 25, 18, 30, tzinfo=tokyo),
        note="nozzle clogged",
        version=7,
    )
    with store.unit_of_work() as uow:
        uow.tasks.add_job(job)
        uow.tasks.add(task)
        uow.commit()

    with store.unit_of_work() as uow:
        stored_job, stored_task = uow.tasks.get_job("j1"), uow.tasks.get("t1")

    assert (stored_job, stored_task) == (job, task)
    assert stored_job.created_at.tzinfo is UTC
    assert stored_task.started_at is not None
    assert stored_task.started_at.tzinfo is UTC
    assert stored_task.attended is True
    assert stored_task.state is TaskState.FAILED


def test_unknown_jobs_and_tasks_are_not_found(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        with pytest.raises(NotFound, match="no job 'j9'"):
            uow.tasks.get_job("j9")
        with pytest.raises(NotFound, match="no task 't9'"):
            uow.tasks.get("t9")
        with pytest.raises(NotFound, match="no task 't9'"):
            uow.tasks.save(a_task("t9", 0))


def test_adding_a_task_or_job_twice_is_a_conflict(store: SqlStore) -> None:
    add(store, a_task("t1", 0))
    with store.unit_of_work() as uow:
        uow.tasks.add_job(a_job(1))
        with pytest.raises(Conflict, match="task t1 exists already"):
            uow.tasks.add(a_task("t1", 5))
        with pytest.raises(Conflict, match="job j1 exists already"):
            uow.tasks.add_job(a_job(1))


def test_jobs_are_listed_newest_first_with_filters_and_a_limit(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.tasks.add_job(a_job(1))
        uow.tasks.add_job(a_job(2, "munich-2"))
        uow.tasks.add_job(a_job(3, order="o2"))
        uow.tasks.add_job(a_job(4))
        uow.commit()

    with store.unit_of_work() as uow:
        everything = uow.tasks.jobs(None, None, 10)
        in_berlin = uow.tasks.jobs("berlin-1", None, 2)
        for_o1 = uow.tasks.jobs("berlin-1", "o1", 10)

    assert [j.id for j in everything] == ["j4", "j3", "j2", "j1"]
    assert [j.id for j in in_berlin] == ["j4", "j3"]
    assert [j.id for j in for_o1] == ["j4", "j1"]


def test_the_places_of_jobs_with_tasks_in_some_states(store: SqlStore) -> None:
    """A job takes its quantity's places in batch runs, times the places each piece takes."""
    with store.unit_of_work() as uow:
        uow.tasks.add_job(a_job(1))
        uow.tasks.add_job(replace(a_job(2), quantity=5, piece_places=3))
        uow.tasks.add_job(replace(a_job(3), quantity=7))
        uow.tasks.add(a_task("t1", 0))
        uow.tasks.add(a_task("t2", 10, job_id="j2"))
        uow.tasks.add(a_task("t3", 20, job_id="j2", step=2))
        uow.tasks.add(a_task("t4", 30, job_id="j3", state=TaskState.FINISHED))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.tasks.places((TaskState.SCHEDULED,)) == {"j1": 2, "j2": 15}
        assert uow.tasks.places((TaskState.FINISHED,)) == {"j3": 7}
        assert uow.tasks.places(()) == {}
        assert uow.tasks.get_job("j2").piece_places == 3


def test_a_second_writer_of_a_task_with_an_old_version_gets_stale_state(store: SqlStore) -> None:
    add(store, a_task("t1", 0))
    with store.unit_of_work() as first, store.unit_of_work() as second:
        mine, theirs = first.tasks.get("t1"), second.tasks.get("t1")
        mine.start(T0)
        first.tasks.save(mine)
        first.commit()
        theirs.cancel(T0, "rescheduled")
        with pytest.raises(StaleState, match="task t1 was changed by someone else"):
            second.tasks.save(theirs)

    with store.unit_of_work() as uow:
        stored = uow.tasks.get("t1")
    assert (stored.state, stored.started_at, stored.version) == (TaskState.RUNNING, T0, 1)
    assert mine.version == 1


def test_tasks_are_listed_by_planned_start_then_step(store: SqlStore) -> None:
    add(
        store,
        a_task("late", 60),
        a_task("b-step2", 0, step=2),
        a_task("a-step2", 0, step=2),
        a_task("first", 0, step=1),
        a_task("other-job", 30, job_id="j2", order_id="o2"),
    )

    with store.unit_of_work() as uow:
        for_order = uow.tasks.for_order("o1")
        for_job = uow.tasks.for_job("j2")

    assert [t.id for t in for_order] == ["first", "a-step2", "b-step2", "late"]
    assert [t.id for t in for_job] == ["other-job"]


def test_tasks_in_states_can_be_narrowed_to_one_factory(store: SqlStore) -> None:
    add(
        store,
        a_task("running", 10, state=TaskState.RUNNING),
        a_task("waiting", 0),
        a_task("done", 5, state=TaskState.FINISHED),
        a_task("elsewhere", 1, factory_id="munich-2"),
    )
    active = [TaskState.SCHEDULED, TaskState.RUNNING]

    with store.unit_of_work() as uow:
        everywhere = uow.tasks.in_states(None, active)
        berlin = uow.tasks.in_states("berlin-1", active)

    assert [t.id for t in everywhere] == ["waiting", "elsewhere", "running"]
    assert [t.id for t in berlin] == ["waiting", "running"]


def test_a_new_plan_moves_scheduled_tasks_but_never_one_that_moved_on(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.tasks.add_job(a_job(1))
        uow.commit()
    add(store, a_task("t1", 0), a_task("t2", 60), a_task("t3", 120))
    with store.unit_of_work() as uow:  # the controller's copies, read before the cancellation
        planned = [uow.tasks.get(name) for name in ("t1", "t2", "t3")]
    with store.unit_of_work() as uow:  # meanwhile a customer cancels t3
        cancelled = uow.tasks.get("t3")
        cancelled.cancel(T0, "customer cancelled")
        uow.tasks.save(cancelled)
        uow.commit()
    for task in planned:
        task.machine_id = "printer-2"
        task.minutes = 40.0
        task.planned_start += timedelta(minutes=30)
        task.planned_end = task.planned_start + timedelta(minutes=40)
        task.operator_id = "berlin-ana"
    with store.unit_of_work() as uow:
        uow.tasks.move(planned)
        uow.commit()
    with store.unit_of_work() as uow:
        t1, t3 = uow.tasks.get("t1"), uow.tasks.get("t3")
    assert (t1.machine_id, t1.minutes, t1.operator_id) == ("printer-2", 40.0, "berlin-ana")
    assert t1.planned_start == T0 + timedelta(minutes=30)
    assert t1.planned_end == T0 + timedelta(minutes=70)
    assert t1.version == planned[0].version, "a plan is not an edit: saves still match"
    assert (t3.state, t3.machine_id, t3.operator_id) == (TaskState.CANCELLED, "printer-1", None)
