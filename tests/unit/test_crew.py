"""People skilled in several processes count once: in quotes, in knock-on delays, on the floor."""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from microfab.bootstrap import build_services
from microfab.clock import ManualClock
from microfab.execution.model import Job, Task, TaskState
from microfab.execution.queues import attended_runs
from microfab.execution.replan import FactoryState, factory_problem
from microfab.execution.slips import slipped
from microfab.ids import random_ids
from microfab.network.model import (
    Location,
    Network,
    Operator,
    Process,
    Shift,
    Site,
    assign_people,
)
from microfab.network.service import install_network
from microfab.orders.model import Destination
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.scheduling.checker import check
from microfab.scheduling.dispatch import Attending, attended_start
from microfab.scheduling.rules import dispatch
from microfab.settings import Settings
from tests.unit.conftest import MemoryStore

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Berlin: the early shift is on
BERLIN = Destination(Location(52.52, 13.40), "Berlin")
SEWING, ASSEMBLY, LASER = Process.SEWING, Process.ASSEMBLY, Process.LASER_CUT


def at(minutes: float) -> datetime:
    return MONDAY + timedelta(minutes=minutes)


def test_a_person_with_two_skills_does_one_thing_at_a_time() -> None:
    sews = frozenset({SEWING, ASSEMBLY})
    packs = frozenset({ASSEMBLY})
    assert assign_people([sews, packs], [ASSEMBLY, SEWING]) == [1, 0], "the packer takes over"
    assert assign_people([sews, packs], [SEWING, ASSEMBLY]) == [0, 1]
    assert assign_people([sews, packs], [SEWING, SEWING]) == [0, None], "one sewer"
    assert assign_people([sews, packs], [ASSEMBLY] * 3).count(None) == 1, "three packs, two people"
    assert assign_people([packs], [SEWING]) == [None]
    assert assign_people([], []) == []


def test_packing_waits_while_those_who_can_pack_sew_and_cut(network: Network) -> None:
    """Berlin's early shift is five people who all assemble; two of them also sew and one cuts
    with the laser. With both sewers sewing, the laser running and two others packing, nobody
    is left to pack, though only two of the five assemblers are planned for assembly."""
    berlin = network.site("berlin")
    assert berlin.on_shift(ASSEMBLY, MONDAY) == 5
    others = [Attending(MONDAY, at(40), SEWING), Attending(MONDAY, at(45), SEWING),
              Attending(MONDAY, at(50), LASER)]  # fmt: skip
    packing = [Attending(MONDAY, at(30), ASSEMBLY), Attending(MONDAY, at(60), ASSEMBLY)]
    assert attended_start(berlin, ASSEMBLY, MONDAY, 10, packing) == MONDAY
    assert attended_start(berlin, ASSEMBLY, MONDAY, 10, [*others, *packing]) == at(30)
    later = [Attending(at(20), at(35), a.process) for a in [*others, *packing]]
    assert attended_start(berlin, ASSEMBLY, MONDAY, 10, later) == MONDAY, "done before"
    assert attended_start(berlin, ASSEMBLY, MONDAY, 30, later) == at(35), "work begins during it"


def test_a_planned_pack_slips_while_the_sewers_sew(network: Network) -> None:
    """Three people who all assemble, two of whom sew: with both sewing and the third packing,
    the next pack waits for the third, though only one of three assemblers is packing."""
    demo = network.site("berlin")
    sewers = [o for o in demo.operators if SEWING in o.skills and o.shifts[0].covers(at(0))]
    packer = next(o for o in demo.operators if o.skills == {ASSEMBLY, Process.FDM})
    berlin = replace(demo, operators=(*sewers, packer))

    def task(name: str, machine: str, process: Process, start: float, minutes: float) -> Task:
        return Task(
            f"tsk_{name}", f"job_{name}", f"ord_{name}", "berlin", 0, "op", process.value,
            machine, name, True, minutes, at(start), at(start + minutes),
        )  # fmt: skip

    busy = [task("sew1", "berlin-sewing-1", SEWING, 0, 60),
            task("sew2", "berlin-sewing-2", SEWING, 0, 60),
            task("pack1", "berlin-assembly-1", ASSEMBLY, 0, 20)]  # fmt: skip
    for t in busy:
        t.start(at(0))
    pack = task("pack2", "berlin-assembly-2", ASSEMBLY, 5, 10)
    assert slipped(demo, [*busy, pack], at(5)) == [], "Berlin's five: two are free"
    assert slipped(berlin, [*busy, pack], at(5)) == [pack]
    assert pack.planned_start == at(20), "it waits for the first pack to end"


def one_sewer(doc: dict[str, Any]) -> dict[str, Any]:
    """The demo network with Berlin staffed by two people all day: one sews and assembles, one
    only assembles."""
    doc = copy.deepcopy(doc)
    berlin = next(f for f in doc["factories"] if f["id"] == "berlin")
    day = [{"days": "mon-fri", "start": "06:00:00", "end": "22:00:00"}]
    berlin["operators"] = [
        {"id": "berlin-clara", "name": "Clara", "skills": ["assembly", "sewing"], "shifts": day},
        {"id": "berlin-anna", "name": "Anna", "skills": ["assembly"], "shifts": day},
    ]
    return doc


def test_the_floor_starts_no_attended_run_it_has_nobody_for(demo_doc: dict[str, Any]) -> None:
    """Two people on shift, one of whom sews: the two sewing machines never sew at once, and
    whatever attended runs are under way, each has its own skilled person."""
    store = MemoryStore()
    with store.unit_of_work() as uow:
        install_network(uow, one_sewer(demo_doc), MONDAY)
        uow.commit()
    clock = ManualClock(MONDAY)
    services = build_services(
        Settings(), clock=clock, ids=random_ids(random.Random(7)), store=store
    )
    berlin = services.network.site("berlin")
    controller = services.controller(seed=3, failure_rate=0)
    for n in range(6):
        line = LineRequest("tote-bag", 1, {"monogram": f"A{n}"}, "canvas")
        services.orders.place(PlaceOrder("cust-1", (line,), BERLIN, None))
    sewn: set[str] = set()
    while clock.now() < at(10 * 60):
        controller.step()
        with services.uow() as uow:
            running = uow.tasks.in_states("berlin", (TaskState.RUNNING,))
        attending = attended_runs(running)
        people = [o.skills for o in berlin.people_on_shift(clock.now())]
        assert None not in assign_people(people, attending), f"{attending} at {clock.now():%H:%M}"
        sewing = [t for t in running if t.process == "sewing"]
        assert len(sewing) <= 1, f"one sewer, two sewing at {clock.now():%H:%M}"
        sewn |= {t.id for t in sewing}
        clock.advance(timedelta(minutes=3))
    assert len(sewn) >= 2, "Berlin sewed the bags"


def test_a_re_plan_holds_each_person_at_work_once(network: Network) -> None:
    """Two bags being sewn hold both sewers; before, the re-plan gave each running step the
    first skilled person on shift, so one sewer sewed both and the other looked free."""
    berlin = network.site("berlin")
    jobs: dict[str, Job] = {}
    tasks: list[Task] = []
    for n, machine in enumerate(("berlin-sewing-1", "berlin-sewing-2")):
        job = Job(f"job_{n}", f"ord_{n}", 0, "berlin", "tote-bag", 1, "canvas", MONDAY)
        sew = Task(
            f"tsk_{n}_sew", job.id, job.order_id, "berlin", 1, "sew", "sewing", machine,
            "canvas", True, 60.0, MONDAY, at(60),
        )  # fmt: skip
        pack = Task(
            f"tsk_{n}_pack", job.id, job.order_id, "berlin", 2, "pack", "assembly",
            "berlin-assembly-1", "pack", True, 5.0, at(60), at(65),
        )  # fmt: skip
        sew.start(at(-10))
        jobs[job.id] = job
        tasks += [sew, pack]
    due = {j.order_id: at(8 * 60) for j in jobs.values()}
    problem = factory_problem(network, berlin, tasks, FactoryState(jobs, due), MONDAY)
    sewers = {o.id for o in berlin.people_on_shift(MONDAY) if SEWING in o.skills}
    assert len(sewers) == 2
    assert {problem.frozen[f"tsk_{n}_sew"].operator for n in (0, 1)} == sewers
    schedule = dispatch(problem.instance, "atcs", problem.frozen, 0)
    assert check(problem.instance, schedule) == []


def two_people(network: Network, sewer_until: str, packer_until: str) -> Site:
    """Berlin with two people from 06:00 (local): one who sews and packs, one who packs."""

    def shift(until: str) -> tuple[Shift, ...]:
        return (Shift(frozenset(range(5)), time(6), time.fromisoformat(until)),)

    return replace(
        network.site("berlin"),
        operators=(
            Operator("sewer", "Clara", frozenset({SEWING, ASSEMBLY}), shift(sewer_until)),
            Operator("packer", "Anna", frozenset({ASSEMBLY}), shift(packer_until)),
        ),
    )


def test_a_step_counts_the_people_who_leave_during_it(network: Network) -> None:
    """The packer goes home at 11:00 (an hour into the day here) with packing planned until
    12:00: the sewer must take it over, so sewing from 10:30 waits until the packing ends."""
    berlin = two_people(network, "22:00", "11:00")
    packing = [Attending(at(0), at(120), ASSEMBLY)]
    assert berlin.shift_ends(at(30), at(90)) == [at(60)]
    assert attended_start(berlin, SEWING, at(30), 60, packing) == at(120)
    assert attended_start(berlin, SEWING, at(-60), 30, packing) == at(-60), "done before 10:00"


def test_work_going_on_past_its_persons_shift_blocks_nobody_else(network: Network) -> None:
    """The sewer leaves at 14:00 (four hours in): planned sewing that runs on after that keeps
    no one from packing, and sewing longer than the shift is not pushed behind the packing."""
    berlin = two_people(network, "14:00", "22:00")
    sewing_on = [Attending(at(200), at(400), SEWING)]
    assert attended_start(berlin, ASSEMBLY, at(300), 10, sewing_on) == at(300)
    packing = [Attending(at(300), at(330), ASSEMBLY)]
    assert attended_start(berlin, SEWING, at(0), 600, packing) == at(0)
    assert berlin.can_add([SEWING], ASSEMBLY, at(300)), "the sewing has no one on shift anyway"
    assert not berlin.can_add([ASSEMBLY], SEWING, at(300))
