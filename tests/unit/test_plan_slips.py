"""When work starts or runs late, the plan after it slips instead of overlapping it."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.execution.controller import NetworkController
from microfab.execution.floor_plan import floor_plan
from microfab.execution.model import Task, TaskState
from microfab.execution.slips import slipped
from microfab.ids import random_ids
from microfab.machines.base import Machine, MachineState, MachineStatus
from microfab.machines.simulated import SimulatedMachine
from microfab.network.model import Location, Network, Site
from microfab.orders.model import Destination
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.scheduling.checker import check
from tests.unit.machine_doubles import Wrapped

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, a working day
PRINTER = "berlin-fdm-1"  # 12 min to change colour
BERLIN = Destination(Location(52.52, 13.40), "Berlin")
RESIN = "berlin-sla-1"  # a batch printer, 6 parts a run
BENCH = "berlin-assembly-1"  # attended; the late shift ends at 22:00 Berlin (21:00 UTC)


@pytest.fixture
def berlin(network: Network) -> Site:
    return network.site("berlin")


def task(
    name: str,
    step: int,
    machine: str,
    family: str,
    minutes: float,
    start_in: float,
    *,
    process: str = "fdm",
    attended: bool = False,
) -> Task:
    start = MONDAY + timedelta(minutes=start_in)
    return Task(
        f"tsk_{name}_{step}", f"job_{name}", f"ord_{name}", "berlin", step, "op", process,
        machine, family, attended, minutes, start, start + timedelta(minutes=minutes),
    )  # fmt: skip


def started(t: Task, late_by: float) -> Task:
    """``t`` started ``late_by`` minutes after its planned start, its planned end moved with it."""
    at = t.planned_start + timedelta(minutes=late_by)
    t.start(at)
    t.planned_end = at + timedelta(minutes=t.minutes)
    return t


def minutes(t: Task) -> tuple[float, float]:
    return (
        (t.planned_start - MONDAY) / timedelta(minutes=1),
        (t.planned_end - MONDAY) / timedelta(minutes=1),
    )


def test_the_machines_next_task_slips_behind_a_late_start_with_its_changeover(
    berlin: Site,
) -> None:
    red = started(task("a", 0, PRINTER, "pla-red", 60, 0), late_by=30)
    blue = task("b", 0, PRINTER, "pla-blue", 40, 72)  # after red's planned end and changeover
    later = task("c", 0, PRINTER, "pla-blue", 20, 200)  # far enough after blue to stay put
    moved = slipped(berlin, [red, blue, later], MONDAY + timedelta(minutes=30))
    assert moved == [blue]
    assert minutes(blue) == (90 + 12, 142)
    assert minutes(later) == (200, 220)


def test_the_jobs_next_step_follows_its_slipped_step(berlin: Site) -> None:
    red = started(task("a", 0, PRINTER, "pla-red", 60, 0), late_by=20)
    grip = task("b", 0, PRINTER, "pla-red", 30, 60)
    pack = task("b", 1, BENCH, "pack", 5, 90, process="assembly", attended=True)
    moved = slipped(berlin, [red, grip, pack], MONDAY + timedelta(minutes=20))
    assert [t.id for t in moved] == [grip.id, pack.id]
    assert minutes(grip) == (80, 110)
    assert minutes(pack) == (110, 115)


def test_an_attended_step_slips_to_the_next_shift_when_it_no_longer_fits(
    berlin: Site,
) -> None:
    # planned 20:30-20:55 UTC (21:30-21:55 Berlin); the print before it ends 40 min late
    start_in = 11 * 60 + 30
    red = started(task("a", 0, PRINTER, "pla-red", 60, start_in - 60), late_by=40)
    pack = task("a", 1, BENCH, "pack", 25, start_in, process="assembly", attended=True)
    slipped(berlin, [red, pack], red.started_at or MONDAY)
    # 21:10 UTC is past the late shift's end: Tuesday's early shift starts 06:00 Berlin
    assert pack.planned_start == datetime(2026, 3, 3, 5, 0, tzinfo=UTC)
    assert pack.planned_end == pack.planned_start + timedelta(minutes=25)


def test_an_attended_step_that_slips_does_not_take_a_person_planned_for_other_work(
    berlin: Site,
) -> None:
    """With one packer on shift, a pack that slips onto the time of a pack planned on the
    other bench makes that one wait for the person; with five on shift, it stays."""

    def packs() -> tuple[Task, Task, Task]:
        red = started(task("a", 0, PRINTER, "pla-red", 60, 40), late_by=20)
        first = task("a", 1, BENCH, "pack", 10, 100, process="assembly", attended=True)
        other = task("b", 1, "berlin-assembly-2", "pack", 10, 120, process="assembly",
                     attended=True)  # fmt: skip
        return red, first, other

    one = replace(berlin, operators=berlin.operators[:1])  # an early shift's packer
    red, first, other = packs()
    slipped(one, [red, first, other], MONDAY + timedelta(minutes=60))
    assert minutes(first) == (120, 130)
    assert minutes(other) == (130, 140)
    red, first, other = packs()
    slipped(berlin, [red, first, other], MONDAY + timedelta(minutes=60))
    assert minutes(first) == (120, 130)
    assert minutes(other) == (120, 130)


def test_a_batch_run_slips_whole(berlin: Site) -> None:
    lead = started(task("a", 0, RESIN, "resin-grey", 90, 0, process="sla"), late_by=15)
    parts = [task(name, 0, RESIN, "resin-grey", 60 + k, 90, process="sla") for k, name in
             enumerate("bcd")]  # fmt: skip
    for part in parts:
        part.planned_end = part.planned_start + timedelta(minutes=62)  # the run's length
    slipped(berlin, [lead, *parts], MONDAY + timedelta(minutes=15))
    assert {minutes(p) for p in parts} == {(105, 167)}


def test_nothing_moves_earlier_and_work_running_over_pushes_from_now(berlin: Site) -> None:
    red = started(task("a", 0, PRINTER, "pla-red", 60, 0), late_by=0)
    gap = task("b", 0, PRINTER, "pla-red", 30, 120)
    assert slipped(berlin, [red, gap], MONDAY + timedelta(minutes=10)) == []
    assert minutes(gap) == (120, 150)
    # red should have ended at 60; at 130 it still runs
    slipped(berlin, [red, gap], MONDAY + timedelta(minutes=130))
    assert minutes(gap) == (130, 160)


def test_a_slipped_plan_passes_the_checker_where_the_stale_one_overlapped(
    berlin: Site,
) -> None:
    now = MONDAY + timedelta(minutes=45)
    red = started(task("a", 0, PRINTER, "pla-red", 60, 0), late_by=45)
    blue = task("b", 0, PRINTER, "pla-blue", 40, 72)
    pack = task("b", 1, BENCH, "pack", 5, 112, process="assembly", attended=True)
    stale = floor_plan(berlin, [red, blue, pack], now)
    assert check(stale.instance, stale.schedule)  # red runs into blue's bar
    slipped(berlin, [red, blue, pack], now)
    fresh = floor_plan(berlin, [red, blue, pack], now)
    assert check(fresh.instance, fresh.schedule) == []


def test_finished_and_failed_work_is_left_alone(berlin: Site) -> None:
    done = started(task("a", 0, PRINTER, "pla-red", 60, 0), late_by=30)
    done.finish(MONDAY + timedelta(minutes=95))
    nxt = task("b", 0, PRINTER, "pla-red", 30, 60)
    assert slipped(berlin, [done, nxt], MONDAY + timedelta(minutes=95)) == []
    assert nxt.state is TaskState.SCHEDULED


def overlaps(tasks: list[Task]) -> list[tuple[str, str]]:
    """Pairs of planned or running tasks on one machine, not one batch run, that overlap;
    and job steps planned to start before the step before them ends."""
    found: list[tuple[str, str]] = []
    for queue in grouped(tasks, lambda t: t.machine_id, lambda t: t.planned_start):
        for a, b in itertools.pairwise(queue):
            same_run = a.planned_start == b.planned_start and a.run == b.run
            if b.planned_start < a.planned_end and not same_run:
                found.append((a.id, b.id))
    for steps in grouped(tasks, lambda t: t.job_id, lambda t: t.step):
        found.extend(
            (a.id, b.id) for a, b in itertools.pairwise(steps) if b.planned_start < a.planned_end
        )
    return found


def grouped(
    tasks: list[Task], key: Callable[[Task], str], order: Callable[[Task], Any]
) -> list[list[Task]]:
    """``tasks`` grouped by ``key``, each group sorted by ``order``."""
    groups: dict[str, list[Task]] = {}
    for t in tasks:
        groups.setdefault(key(t), []).append(t)
    return [sorted(g, key=order) for g in groups.values()]


def test_a_busy_day_never_leaves_an_overlapping_plan(
    services: Services, clock: ManualClock
) -> None:
    """Work starts late all day (colour changes, queues at the benches); after every step of
    the controller, each machine's plan is a sequence and each job's steps follow each other."""
    controller = services.controller(seed=3, failure_rate=0)
    colours = ["red", "blue", "black", "white"]
    end = clock.now() + timedelta(hours=5)
    placed = 0
    while clock.now() < end:
        if placed < 40:
            colour = colours[placed % len(colours)]
            line = LineRequest("phone-grip", 1, {"name": f"Ada{placed}", "colour": colour}, "pla")
            services.orders.place(PlaceOrder("cust-1", (line,), BERLIN, None))
            placed += 1
        controller.step()
        with services.uow() as uow:
            live = list(uow.tasks.in_states("berlin", (TaskState.SCHEDULED, TaskState.RUNNING)))
        assert overlaps(live) == [], f"at {clock.now():%H:%M}"
        clock.advance(timedelta(minutes=7))


class Overrunning(Wrapped):
    """A simulated machine whose every job runs ``extra`` past its planned end."""

    def __init__(self, inner: Machine, clock: ManualClock, extra: timedelta) -> None:
        super().__init__(inner)
        self.clock, self.extra = clock, extra

    def status(self) -> MachineStatus:
        status = self.inner.status()
        if status.report is None:
            return status
        ended = status.report.at + self.extra
        if self.clock.now() < ended:
            return MachineStatus(MachineState.BUSY, status.report.job_id, 0.99)
        return replace(status, report=replace(status.report, at=ended))

    def next_change_at(self) -> datetime | None:
        change = self.inner.next_change_at()
        return None if change is None else change + self.extra


def test_work_running_past_its_planned_end_pushes_the_machines_next_task(
    services: Services, clock: ManualClock
) -> None:
    """Prints that run an hour over: each printer's next planned print follows from now, step
    by step, though nothing starts in the factory meanwhile."""
    machines: dict[str, Machine] = {
        spec.id: SimulatedMachine(spec, clock, random.Random(1), 0)
        for site in services.network.factories
        for spec in site.machines
    }
    for spec in services.network.site("berlin").machines:
        if spec.process.value == "fdm":
            machines[spec.id] = Overrunning(machines[spec.id], clock, timedelta(hours=1))
    controller = NetworkController(
        services.uow, services.network, clock, machines, random_ids(random.Random(1))
    )
    for n in range(40):  # enough to keep every printer busy
        line = LineRequest("phone-grip", 1, {"name": f"Ada{n}", "colour": "red"}, "pla")
        services.orders.place(PlaceOrder("cust-1", (line,), BERLIN, None))
    controller.step()
    with services.uow() as uow:
        (running,) = [t for t in uow.tasks.in_states("berlin", (TaskState.RUNNING,))
                      if t.machine_id == PRINTER]  # fmt: skip
    assert any(
        t.machine_id == PRINTER for t in uow.tasks.in_states("berlin", (TaskState.SCHEDULED,))
    ), "the printer has more work planned"
    for minutes_over in (10, 30, 50):
        clock.set(running.planned_end + timedelta(minutes=minutes_over))
        report = controller.step()
        with services.uow() as uow:
            queue = uow.tasks.in_states("berlin", (TaskState.SCHEDULED, TaskState.RUNNING))
        assert uow.tasks.get(running.id).state is TaskState.RUNNING
        assert report.started == 0, "nothing started: only the overrun moves the plan"
        after = [t for t in queue if t.machine_id == PRINTER and t.id != running.id]
        assert after, "the printer's next work is still planned"
        assert all(t.planned_start >= clock.now() for t in after), f"{minutes_over} min over"
