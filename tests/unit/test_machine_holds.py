"""An idle machine keeps itself free for its next planned task while that task's step runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from microfab.execution.holds import Hold, hold_for
from microfab.execution.model import Task, TaskState
from microfab.network.model import MachineSpec, Process

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PRINTER = MachineSpec("fdm-1", Process.FDM, "mk4", frozenset({"pla"}), 0.1, changeover_minutes=20)
CURER = MachineSpec(
    "sla-1",
    Process.SLA,
    "form3",
    frozenset({"resin"}),
    0.1,
    changeover_minutes=20,
    batch_capacity=6,
)


def task(
    name: str,
    step: int,
    machine: str,
    family: str,
    minutes: float,
    start_in: float,
    state: TaskState = TaskState.SCHEDULED,
) -> Task:
    start = NOW + timedelta(minutes=start_in)
    made = Task(
        f"tsk_{name}_{step}", f"job_{name}", f"ord_{name}", "berlin", step, "op", "fdm",
        machine, family, False, minutes, start, start + timedelta(minutes=minutes),
    )  # fmt: skip
    made.state = state
    return made


def held() -> tuple[list[Task], set[str]]:
    """The printer's next planned task (red) waits an hour for its first step, on a mill."""
    milling = task("a", 0, "mill-1", "steel", 60, 0, TaskState.RUNNING)
    red = task("a", 1, PRINTER.id, "pla-red", 45, 60)
    blue = task("b", 0, PRINTER.id, "pla-blue", 30, 105)
    short_red = task("c", 0, PRINTER.id, "pla-red", 40, 150)
    return [milling, red, blue, short_red], {blue.id, short_red.id}


def test_a_machine_holds_for_its_next_task_while_that_tasks_step_runs() -> None:
    tasks, ready = held()
    hold = hold_for(PRINTER, tasks, ready, NOW)
    assert hold is not None
    assert hold.task.id == "tsk_a_1"
    assert hold.at == NOW + timedelta(minutes=60)


def test_other_work_runs_first_only_if_it_ends_before_the_held_task_can_start() -> None:
    tasks, ready = held()
    hold = hold_for(PRINTER, tasks, ready, NOW)
    assert hold is not None
    _, _, blue, short_red = tasks
    # 20 min into blue, 30 min printing, 20 min back to red: 70 min, the hold ends in 60
    assert not hold.allows(PRINTER, "pla-red", blue, blue.minutes, NOW)
    # 40 min of red, no changeover either way
    assert hold.allows(PRINTER, "pla-red", short_red, short_red.minutes, NOW)
    # from blue, red is a changeover away whatever runs: 20 + 40 is still within the hour
    assert hold.allows(PRINTER, "pla-blue", short_red, short_red.minutes, NOW)
    assert not hold.allows(PRINTER, "pla-blue", short_red, short_red.minutes + 1, NOW)
    assert hold.room(PRINTER, "pla-red", blue, NOW) == 60 - 40


def test_work_planned_before_the_held_task_is_never_held_back() -> None:
    tasks, _ = held()
    earlier = task("d", 0, PRINTER.id, "pla-blue", 300, 10)
    hold = Hold(tasks[1], NOW + timedelta(minutes=60))
    assert hold.allows(PRINTER, "pla-red", earlier, earlier.minutes, NOW)
    assert hold.room(PRINTER, "pla-red", earlier, NOW) == float("inf")


def test_no_hold_when_the_next_task_is_ready_or_its_step_has_not_started() -> None:
    tasks, ready = held()
    assert hold_for(PRINTER, tasks, ready | {"tsk_a_1"}, NOW) is None
    tasks[0].state = TaskState.SCHEDULED  # the milling has not started: the plan is out of date
    assert hold_for(PRINTER, tasks, ready, NOW) is None
    assert hold_for(PRINTER, tasks[2:], ready, NOW) is None  # nothing waits


def planned_run(washing_ends_in: float) -> tuple[list[Task], set[str]]:
    """A cure run planned in 30 min for parts a and b; b is still being washed."""
    washing = task("b", 0, "wash-1", "wash", washing_ends_in, 0, TaskState.RUNNING)
    cure_a = task("a", 0, CURER.id, "resin", 60, 30)
    cure_b = task("b", 1, CURER.id, "resin", 60, 30)
    return [washing, cure_a, cure_b], {cure_a.id}


def test_a_planned_run_waits_for_a_part_whose_step_ends_before_the_run_is_due() -> None:
    tasks, ready = planned_run(washing_ends_in=20)
    hold = hold_for(CURER, tasks, ready, NOW)
    assert hold is not None
    assert hold.task.id == "tsk_b_1"
    assert not hold.allows(CURER, "resin", tasks[1], 60, NOW), "the run does not start without b"
    assert hold_for(CURER, tasks, ready | {"tsk_b_1"}, NOW) is None, "b ready: the run starts"
    assert hold_for(CURER, tasks, ready, NOW + timedelta(minutes=30)) is None, "due: it starts"


def test_a_planned_run_does_not_wait_for_a_part_due_after_it() -> None:
    tasks, ready = planned_run(washing_ends_in=45)
    assert hold_for(CURER, tasks, ready, NOW) is None
    one_at_a_time = replace(CURER, batch_capacity=1)
    assert hold_for(one_at_a_time, *planned_run(washing_ends_in=20), NOW) is None
