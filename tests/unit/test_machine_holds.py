"""An idle machine keeps itself free for its next planned task while that task's step runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from microfab.execution.holds import Hold, hold_for
from microfab.execution.model import Task, TaskState
from microfab.network.model import MachineSpec, Process

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PRINTER = MachineSpec("fdm-1", Process.FDM, "mk4", frozenset({"pla"}), 0.1, changeover_minutes=20)


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
    hold = hold_for(PRINTER, tasks, ready)
    assert hold is not None
    assert hold.task.id == "tsk_a_1"
    assert hold.at == NOW + timedelta(minutes=60)


def test_other_work_runs_first_only_if_it_ends_before_the_held_task_can_start() -> None:
    tasks, ready = held()
    hold = hold_for(PRINTER, tasks, ready)
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
    assert hold_for(PRINTER, tasks, ready | {"tsk_a_1"}) is None
    tasks[0].state = TaskState.SCHEDULED  # the milling has not started: the plan is out of date
    assert hold_for(PRINTER, tasks, ready) is None
    assert hold_for(PRINTER, tasks[2:], ready) is None  # nothing waits
