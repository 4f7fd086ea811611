"""People skilled in several processes count once: in quotes, in knock-on delays, on the floor."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from microfab.clock import ManualClock
from microfab.execution.crew import Crew, name_people
from microfab.execution.model import Job, Task, TaskState
from microfab.execution.replan import (
    FactoryProblem,
    FactoryState,
    PlanningSettings,
    _operator,
    factory_problem,
    replan_factory,
)
from microfab.execution.slips import slipped
from microfab.machines.base import MachineState, MachineStatus
from microfab.network.model import (
    Location,
    Network,
    Operator,
    Process,
    Shift,
    Site,
    assign_people,
    staff_runs,
)
from microfab.orders.model import Destination
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.scheduling.checker import check
from microfab.scheduling.dispatch import Attending, attended_start
from microfab.scheduling.rules import dispatch
from microfab.storage import MachineRecord
from tests.unit.conftest import services_on

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
    clock = ManualClock(MONDAY)
    services = services_on(one_sewer(demo_doc), clock)
    berlin = services.network.site("berlin")
    controller = services.controller(seed=3, failure_rate=0)
    for n in range(6):
        line = LineRequest("tote-bag", 1, {"monogram": f"A{n}"}, "canvas")
        services.orders.place(PlaceOrder("cust-1", (line,), BERLIN, None))
    sewn: set[str] = set()
    attended: dict[str, str | None] = {}
    while clock.now() < at(10 * 60):
        controller.step()
        with services.uow() as uow:
            running = uow.tasks.in_states("berlin", (TaskState.RUNNING,))
        runs = {t.run or t.id: t for t in running if t.attended}
        named = [t.operator_id for t in runs.values()]
        assert len(set(named)) == len(named), f"{named} at {clock.now():%H:%M}"
        for t in runs.values():
            person = next(o for o in berlin.operators if o.id == t.operator_id)
            assert Process(t.process) in person.skills
            assert t.started_at is not None
            assert person.on_until(t.started_at, berlin.tz)
        attended |= {t.id: t.operator_id for t in running if t.attended}
        sewing = [t for t in running if t.process == "sewing"]
        assert len(sewing) <= 1, f"one sewer, two sewing at {clock.now():%H:%M}"
        sewn |= {t.id for t in sewing}
        clock.advance(timedelta(minutes=3))
    assert len(sewn) >= 2, "Berlin sewed the bags"
    with services.uow() as uow:
        done = {t.id: t.operator_id for t in uow.tasks.in_states("berlin", (TaskState.FINISHED,))}
    assert {i: done[i] for i in attended if i in done} == {
        i: attended[i] for i in attended if i in done
    }, "the person who started a step is the one it names when done"
    assert {"berlin-clara", "berlin-anna"} <= set(attended.values()), "both at work"


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


# -- who the floor gives attended work to ----------------------------------------------------------


def who(crew: Crew, task: Task) -> str | None:
    """Who the floor gives ``task`` to (its own minutes, no changeover first)."""
    person = crew.person_for(task, task.minutes)
    return person.id if person is not None else None


def waiting(name: str, process: Process, minutes: float, person: str | None = None) -> Task:
    """A step planned to start now at Berlin, naming ``person``."""
    machine = "berlin-sewing-1" if process is SEWING else "berlin-assembly-1"
    return Task(
        f"tsk_{name}", f"job_{name}", f"ord_{name}", "berlin", 0, "op", process.value,
        machine, name, True, minutes, at(0), at(minutes), operator_id=person,
    )  # fmt: skip


def test_the_floor_gives_a_step_to_the_person_the_plan_names_when_they_are_free(
    network: Network,
) -> None:
    berlin = two_people(network, "22:00", "22:00")
    pack = waiting("pack", ASSEMBLY, 10, person="sewer")
    assert who(Crew.of(berlin, [pack], at(0)), pack) == "sewer"
    sewing = waiting("sew", SEWING, 60, person="sewer")
    sewing.start(at(-5))
    busy = Crew.of(berlin, [sewing, pack], at(0))
    assert busy.at_work == {"sewer"}
    assert who(busy, pack) == "packer", "the sewer is sewing: the packer packs"
    assert who(busy, waiting("sew2", SEWING, 30)) is None, "nobody else sews"


def test_new_work_names_a_skilled_person_free_for_the_whole_step(network: Network) -> None:
    """As placed, before any re-plan: the packer packs (fewest skills), the sewer takes the
    packing beside it, a third pack at the same time names nobody (the re-plan or the floor
    will), and a pack past the packer's shift goes to the sewer, who stays."""
    berlin = two_people(network, "22:00", "11:00")
    first, second, third = (waiting(n, ASSEMBLY, 30) for n in ("p1", "p2", "p3"))
    name_people(berlin, [], [first, second, third])
    assert [first.operator_id, second.operator_id, third.operator_id] == [
        "packer",
        "sewer",
        None,
    ]
    sewing = waiting("sew", SEWING, 20)
    name_people(berlin, [first, second, third], [sewing])
    assert sewing.operator_id is None, "the only sewer is packing then"
    long = waiting("long", ASSEMBLY, 90)
    name_people(berlin, [], [long])
    assert long.operator_id == "sewer", "the packer leaves at 11:00"
    later = waiting("later", ASSEMBLY, 30)
    later.planned_start, later.planned_end = at(30), at(60)
    name_people(berlin, [first, second], [later])
    assert later.operator_id == "packer", "free again at 10:30"
    unattended = replace(waiting("machine", ASSEMBLY, 30), attended=False)
    name_people(berlin, [], [unattended])
    assert unattended.operator_id is None


def test_new_work_does_not_name_someone_at_work_that_started_early(network: Network) -> None:
    """The floor starts work that is ready before its planned start, and its planned end then
    comes from when it started: the packer packing since 10:00 (planned 10:40-11:10) is at
    it until 10:30, so a pack placed for 10:05 goes to the sewer."""
    berlin = two_people(network, "22:00", "22:00")
    early = waiting("early", ASSEMBLY, 30, person="packer")
    early.planned_start, early.planned_end = at(40), at(70)
    early.start(at(0))
    early.planned_end = at(30)
    pack = waiting("pack", ASSEMBLY, 10)
    pack.planned_start, pack.planned_end = at(5), at(15)
    name_people(berlin, [early], [pack])
    assert pack.operator_id == "sewer"


def test_a_new_part_takes_the_person_of_the_run_it_joins_if_it_has_not_started(
    network: Network,
) -> None:
    """A part placed into a resin printer's planned run is attended by the run's person, not
    the one with the fewest skills; a run under way takes no new parts, even one the floor
    started early from the same planned start."""
    shift = (Shift(frozenset(range(5)), time(6), time(22)),)
    berlin = replace(
        network.site("berlin"),
        operators=(
            Operator("both", "Clara", frozenset({Process.SLA, ASSEMBLY}), shift),
            Operator("resin", "Anna", frozenset({Process.SLA}), shift),
        ),
    )

    def resin(name: str, person: str | None = None) -> Task:
        task = replace(waiting(name, ASSEMBLY, 60, person), process=Process.SLA.value)
        task.machine_id, task.planned_start, task.planned_end = "berlin-sla-1", at(30), at(90)
        return task

    planned, part = resin("run", person="both"), resin("part")
    name_people(berlin, [planned], [part])
    assert part.operator_id == "both", "the run's person"
    under_way, part = resin("early", person="both"), resin("part2")
    under_way.start(at(-60))
    under_way.planned_end = at(0)
    name_people(berlin, [under_way], [part])
    assert part.operator_id == "resin", "a new run: the fewest skills"


def test_the_plan_keeps_attended_work_within_the_shift_to_the_second(network: Network) -> None:
    """Half a minute past 10:00 UTC the packer has 59 whole minutes left of a shift ending at
    11:00 Berlin time (10:00 UTC), not 60: a plan that counted 60 had packs end after the
    shift, which the floor could not start."""
    berlin = two_people(network, "22:00", "11:00")
    packer = berlin.operators[1]
    now = at(0.5)
    windows = _operator(berlin, packer, now, timedelta(days=2)).shifts
    assert windows[0].start == 0
    assert now + timedelta(minutes=windows[0].end) <= at(60)
    assert windows[0].end == 59
    assert _operator(berlin, packer, at(0), timedelta(days=2)).shifts[0].end == 60


def test_someone_nobody_names_takes_work_before_someone_the_plan_needs_soon(
    network: Network,
) -> None:
    """Unnamed packing goes to whoever is wanted nowhere, then to whoever can do least else:
    before, the floor only counted heads, and the sewer could be packing when the sewing the
    plan gave them came up."""
    berlin = two_people(network, "22:00", "22:00")
    pack = waiting("pack", ASSEMBLY, 10)
    assert who(Crew.of(berlin, [pack], at(0)), pack) == "packer", "fewest skills"
    later = waiting("later", ASSEMBLY, 10, person="packer")
    later.planned_start = at(15)
    crew = Crew.of(berlin, [pack, later], at(0))
    assert crew.needed == {"packer": at(15)}
    assert who(crew, pack) == "sewer", "the packer is needed at 10:15"
    sewing = waiting("sew", SEWING, 60, person="sewer")
    sewing.planned_start = at(5)
    crew = Crew.of(berlin, [pack, later, sewing], at(0))
    assert who(crew, pack) == "packer", "the sewer is needed sooner"


def test_nobody_starts_a_step_their_shift_ends_in(network: Network) -> None:
    """The packer leaves at 11:00 (an hour in): a 90-minute pack goes to the sewer, who stays,
    though the plan named the packer; work longer than anyone's shift starts with whoever is
    on, as the plan has it (it runs over)."""
    berlin = two_people(network, "22:00", "11:00")
    pack = waiting("pack", ASSEMBLY, 90, person="packer")
    assert not berlin.can_attend(berlin.operators[1], ASSEMBLY, at(0), 90)
    assert who(Crew.of(berlin, [pack], at(0)), pack) == "sewer"
    short = waiting("short", ASSEMBLY, 60, person="packer")
    assert who(Crew.of(berlin, [short], at(0)), short) == "packer", "done by 11:00"
    endless = waiting("endless", ASSEMBLY, 17 * 60, person="packer")
    assert who(Crew.of(berlin, [endless], at(0)), endless) == "packer"
    assert not berlin.can_attend(berlin.operators[1], SEWING, at(0), 10), "not a sewer"
    assert not berlin.can_attend(berlin.operators[1], ASSEMBLY, at(90), 10), "gone home"


def test_a_re_plan_keeps_each_run_under_way_with_the_person_attending_it(
    network: Network,
) -> None:
    """The floor gave the packing to the packer: the re-plan keeps the packer on it and the
    sewer free to sew; before, it matched heads and put the first skilled person, the sewer,
    on it, so the plan had no sewer until the packing ended."""
    berlin = two_people(network, "22:00", "22:00")
    job = Job("job_pack", "ord_pack", 0, "berlin", "tote-bag", 1, "canvas", MONDAY)
    pack = waiting("pack", ASSEMBLY, 60, person="packer")
    pack.job_id = job.id
    pack.start(at(-5))
    problem = factory_problem(
        network, berlin, [pack], FactoryState({job.id: job}, {job.order_id: at(600)}), MONDAY
    )
    assert problem.frozen["tsk_pack"].operator == "packer"
    gone = replace(berlin, operators=berlin.operators[:1])
    problem = factory_problem(
        network, gone, [pack], FactoryState({job.id: job}, {job.order_id: at(600)}), MONDAY
    )
    assert problem.frozen["tsk_pack"].operator == "sewer", "someone on shift stands in"


def under_way(network: Network, site: Site, *tasks: Task) -> FactoryProblem:
    """The re-plan's problem at 10:00 with ``tasks`` started at 09:55."""
    jobs = {}
    for task in tasks:
        task.job_id = f"job_{task.id}"
        jobs[task.job_id] = Job(
            task.job_id, task.order_id, 0, "berlin", "tote-bag", 1, "canvas", MONDAY
        )
        task.start(at(-5))
    due = {j.order_id: at(600) for j in jobs.values()}
    problem = factory_problem(network, site, list(tasks), FactoryState(jobs, due), MONDAY)
    assert check(problem.instance, dispatch(problem.instance, "atcs", problem.frozen, 0)) == []
    return problem


def test_a_person_attends_a_run_under_way_until_their_shift_ends(network: Network) -> None:
    """The packer packs until 11:00 and goes home, the packing runs on to 11:10. Before, the
    plan held the packer on it to the end, off shift, and the checker refused the plan (CP-SAT
    found none)."""
    berlin = two_people(network, "22:00", "11:00")
    problem = under_way(network, berlin, waiting("pack", ASSEMBLY, 75, person="packer"))
    assert problem.frozen["tsk_pack"].operator == "packer"
    assert problem.instance.operations["tsk_pack"].attended == 60, "until 11:00"


def test_a_run_nobody_is_left_for_goes_on_unattended(network: Network) -> None:
    """The packer has gone home at 09:58 and the sewer is sewing: the packing under way holds
    nobody, as on the floor. Before, the plan put the sewer on it as well as on the sewing."""
    berlin = two_people(network, "22:00", "09:58")
    sewing = waiting("sew", SEWING, 60, person="sewer")
    sewing.machine_id = "berlin-sewing-1"
    problem = under_way(network, berlin, sewing, waiting("pack", ASSEMBLY, 30, person="packer"))
    assert problem.frozen["tsk_sew"].operator == "sewer"
    assert problem.frozen["tsk_pack"].operator is None
    assert problem.instance.operations["tsk_pack"].skill is None


def test_two_runs_named_for_one_person_hold_two_people(network: Network) -> None:
    """Runs started before the floor named people carry the plan's names, which may name one
    person twice: the second run holds someone else, on the floor and in the plan."""
    berlin = two_people(network, "22:00", "22:00")
    packs = [waiting(f"pack{k}", ASSEMBLY, 30, person="packer") for k in range(2)]
    packs[1].machine_id = "berlin-assembly-2"
    problem = under_way(network, berlin, *packs)
    assert {problem.frozen[t.id].operator for t in packs} == {"packer", "sewer"}
    assert Crew.of(berlin, packs, at(0)).at_work == {"packer", "sewer"}


def test_shifts_that_meet_are_one_stretch(network: Network) -> None:
    """Someone on 06:00-14:00 and 14:00-22:00 can start two hours of work at 13:00."""
    demo = network.site("berlin")
    days = frozenset(range(5))
    long_day = Operator(
        "long", "Max", frozenset({ASSEMBLY}),
        (Shift(days, time(6), time(14)), Shift(days, time(14), time(22))),
    )  # fmt: skip
    berlin = replace(demo, operators=(long_day,))
    one_o_clock = at(3 * 60)
    assert long_day.on_until(one_o_clock, berlin.tz) == at(12 * 60), "22:00 local"
    assert berlin.can_attend(long_day, ASSEMBLY, one_o_clock, 120)
    assert long_day.on_until(at(13 * 60), berlin.tz) is None, "23:00: off"


def test_quotes_join_one_persons_shifts_that_meet_but_not_two_peoples(network: Network) -> None:
    """Quotes and knock-on delays see the stretch the floor sees: two hours of packing at
    13:00 start then for someone on 06:00-14:00 and 14:00-22:00, but wait until 14:00 when
    the afternoon is someone else's, since work stays with the person who starts it."""
    demo = network.site("berlin")
    days = frozenset(range(5))
    early, late = Shift(days, time(6), time(14)), Shift(days, time(14), time(22))
    one = replace(demo, operators=(Operator("long", "Max", frozenset({ASSEMBLY}), (early, late)),))
    two = replace(
        demo,
        operators=(
            Operator("early", "Eva", frozenset({ASSEMBLY}), (early,)),
            Operator("late", "Lou", frozenset({ASSEMBLY}), (late,)),
        ),
    )
    one_o_clock = at(3 * 60)
    assert one.attended_start(ASSEMBLY, one_o_clock, 120) == one_o_clock
    assert one.shift_windows(ASSEMBLY, one_o_clock, 1) == [(at(-4 * 60), at(12 * 60))]
    assert one.longest_shift(ASSEMBLY) == 16 * 60
    assert two.attended_start(ASSEMBLY, one_o_clock, 120) == at(4 * 60), "14:00 local"
    assert two.longest_shift(ASSEMBLY) == 8 * 60
    assert attended_start(one, ASSEMBLY, one_o_clock, 120, []) == one_o_clock


def test_the_replan_starts_attended_work_where_the_quote_does_over_shifts_that_meet(
    network: Network,
) -> None:
    """Ten hours of assembly from 10:00 for someone on 06:00-14:00 and 14:00-22:00: the quote,
    the floor and the re-plan all start it at once (before, the dispatch rule looked for one
    shift that held it, found none, and the factory could not be re-planned)."""
    days = frozenset(range(5))
    long_day = Operator(
        "long", "Max", frozenset(Process),
        (Shift(days, time(6), time(14)), Shift(days, time(14), time(22))),
    )  # fmt: skip
    berlin = replace(network.site("berlin"), operators=(long_day,))
    job = Job("job_0", "ord_0", 0, "berlin", "phone-grip", 1, "pla", MONDAY)
    pack = Task(
        "tsk_pack", job.id, job.order_id, "berlin", 1, "inspect and pack", "assembly",
        "berlin-assembly", "pack", True, 600.0, MONDAY, at(600),
    )  # fmt: skip
    assert attended_start(berlin, ASSEMBLY, MONDAY, 600, []) == MONDAY
    assert berlin.can_attend(long_day, ASSEMBLY, MONDAY, 600)
    state = FactoryState({job.id: job}, {})
    replan_factory(network, berlin, [pack], state, MONDAY, PlanningSettings())
    assert pack.planned_start == MONDAY
    assert pack.operator_id == "long"


def test_a_shift_that_starts_on_the_day_the_clocks_go_back_reads_its_first_pass(
    network: Network,
) -> None:
    """A Sunday shift 00:00-02:45 on 25 October 2026 ends at 02:45 summer time: its person
    is not back on in the hour the clocks repeat."""
    berlin = network.site("berlin")
    night = Operator(
        "night", "Nia", frozenset({ASSEMBLY}), (Shift(frozenset({6}), time(0), time(2, 45)),)
    )
    repeated = datetime(2026, 10, 25, 1, 5, tzinfo=UTC)  # 02:05 winter time
    assert night.on_until(repeated - timedelta(hours=1), berlin.tz) == datetime(
        2026, 10, 25, 0, 45, tzinfo=UTC
    )
    assert night.on_until(repeated, berlin.tz) is None


def test_shifts_are_compared_as_instants_in_the_hour_the_clocks_repeat(network: Network) -> None:
    """On 25 October 2026 Berlin's clocks go from 03:00 back to 02:00. A shift that ends at
    02:45 ends the first time round: at 02:30 the second time round its person is off."""
    berlin = network.site("berlin")
    night = Operator(
        "night", "Nia", frozenset({ASSEMBLY}), (Shift(frozenset({5}), time(22), time(2, 45)),)
    )
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time
    second = first + timedelta(hours=1)  # 02:30 winter time
    assert second.astimezone(berlin.tz).fold == 1
    assert night.on_until(first, berlin.tz) == datetime(2026, 10, 25, 0, 45, tzinfo=UTC)
    assert night.on_until(second, berlin.tz) is None


def test_a_run_under_way_holds_one_person_however_many_parts_it_makes(network: Network) -> None:
    """Three bags sewn in one run that names nobody (started before the floor named people)
    hold the one sewer; the packer stays free."""
    berlin = two_people(network, "22:00", "22:00")
    run = [waiting(f"sew{k}", SEWING, 60) for k in range(3)]
    for part in run:
        part.run = run[0].id
        part.start(at(-5))
    assert Crew.of(berlin, run, at(0)).at_work == {"sewer"}
    assert who(Crew.of(berlin, run, at(0)), waiting("pack", ASSEMBLY, 5)) == "packer"


def test_work_whose_named_person_is_free_starts_before_others_take_them(
    demo_doc: dict[str, Any],
) -> None:
    """Berlin with a sewer and Clara, who sews and packs. The sewer is sewing; the plan has
    another bag sewn by the sewer next and Clara packing now. The sewing machines come first
    in Berlin's list: before, the free sewing machine took Clara for the sewing, and the
    packing the plan gave her waited."""
    doc = one_sewer(demo_doc)
    berlin_doc = next(f for f in doc["factories"] if f["id"] == "berlin")
    day = [{"days": "mon-fri", "start": "06:00:00", "end": "22:00:00"}]
    berlin_doc["operators"] = [
        {"id": "berlin-clara", "name": "Clara", "skills": ["assembly", "sewing"], "shifts": day},
        {"id": "berlin-sewer", "name": "Sam", "skills": ["sewing"], "shifts": day},
    ]
    services = services_on(doc, ManualClock(MONDAY))
    berlin = services.network.site("berlin")
    sewing = waiting("sewing", SEWING, 60, person="berlin-sewer")
    sewing.machine_id = "berlin-sewing-2"
    sewing.start(at(-10))
    next_bag = waiting("next", SEWING, 60, person="berlin-sewer")
    packing = waiting("packing", ASSEMBLY, 10, person="berlin-clara")
    with services.uow() as uow:
        for task in (sewing, next_bag, packing):
            uow.tasks.add_job(
                Job(task.job_id, task.order_id, 0, "berlin", "tote-bag", 1, "canvas", MONDAY)
            )
            uow.tasks.add(task)
        uow.commit()
    idle = MachineStatus(MachineState.IDLE)
    statuses = {
        "berlin-sewing-1": idle,
        "berlin-sewing-2": MachineStatus(MachineState.BUSY, sewing.id),
        "berlin-assembly-1": idle,
    }
    controller = services.controller(seed=1, failure_rate=0)
    with services.uow() as uow:
        active = uow.tasks.in_states("berlin", (TaskState.SCHEDULED, TaskState.RUNNING))
        started = controller._claim_at(uow, berlin, active, statuses, MONDAY)
    assert [(t.id, t.operator_id) for t in started] == [("tsk_packing", "berlin-clara")]


def test_a_run_whose_person_went_home_holds_nobody_on_the_floor_or_in_the_plan(
    network: Network,
) -> None:
    """The packer went home at 09:58 with a pack still running; the sewer is free. Before, the
    floor counted nobody at the pack but the re-plan put the sewer on it, so each saw a
    different sewer."""
    berlin = two_people(network, "22:00", "09:58")
    pack = waiting("pack", ASSEMBLY, 30, person="packer")
    problem = under_way(network, berlin, pack)
    assert problem.frozen["tsk_pack"].operator is None
    assert Crew.of(berlin, [pack], at(0)).at_work == set()
    assert staff_runs([("sewer", {ASSEMBLY})], [("packer", ASSEMBLY)], gone={"packer"}) == [None]
    assert staff_runs([("sewer", {ASSEMBLY})], [(None, ASSEMBLY)]) == ["sewer"], "names nobody"


def laser_cut_started(demo_doc: dict[str, Any], set_up_for: str) -> list[tuple[str, str | None]]:
    """What Berlin's floor starts at 10:00 with Emma, who cuts with the laser until 10:30, the
    only person there, and 28 minutes of acrylic to cut on the laser, which was last set up for
    ``set_up_for`` (a change of stock takes it 5 minutes)."""
    doc = copy.deepcopy(demo_doc)
    berlin_doc = next(f for f in doc["factories"] if f["id"] == "berlin")
    until_half_past = [{"days": "mon-fri", "start": "06:00:00", "end": "10:30:00"}]
    berlin_doc["operators"] = [
        {"id": "berlin-emma", "name": "Emma", "skills": ["laser_cut"], "shifts": until_half_past}
    ]
    services = services_on(doc, ManualClock(MONDAY))
    berlin = services.network.site("berlin")
    laser = next(m for m in berlin.machines if m.id == "berlin-lasercut")
    assert laser.changeover_minutes == 5
    cut = Task(
        "tsk_cut", "job_cut", "ord_cut", "berlin", 0, "cut", LASER.value, laser.id,
        "acrylic-3mm", True, 28.0, at(0), at(28), operator_id="berlin-emma",
    )  # fmt: skip
    with services.uow() as uow:
        uow.machines.record(
            MachineRecord(laser.id, "berlin", MachineState.IDLE, at(-60), family=set_up_for)
        )
        uow.tasks.add_job(Job(cut.job_id, cut.order_id, 0, "berlin", "name-sign", 1, "", MONDAY))
        uow.tasks.add(cut)
        uow.commit()
    controller = services.controller(seed=1, failure_rate=0)
    controller.recover()  # the laser is set up for what it last cut
    with services.uow() as uow:
        active = uow.tasks.in_states("berlin", (TaskState.SCHEDULED, TaskState.RUNNING))
        statuses = {laser.id: MachineStatus(MachineState.IDLE)}
        started = controller._claim_at(uow, berlin, active, statuses, MONDAY)
    return [(t.id, t.operator_id) for t in started]


def test_the_person_who_attends_a_step_sees_the_machine_change_over_first(
    demo_doc: dict[str, Any],
) -> None:
    """Emma goes home at 10:30. The 28-minute cut fits on a laser set up for acrylic; set up
    for plywood, the laser changes over for 5 minutes first and Emma would leave 3 minutes
    before the cut ends, so it is not started with her. Before, the floor counted the cut
    alone in her time."""
    assert laser_cut_started(demo_doc, set_up_for="acrylic-3mm") == [("tsk_cut", "berlin-emma")]
    assert laser_cut_started(demo_doc, set_up_for="plywood-3mm") == [], "33 minutes: she'd go"


def test_work_longer_than_every_shift_of_those_skilled_in_it_runs_over(
    network: Network,
) -> None:
    """Berlin's sewers work four hours (08:00-12:00), its packer ten (06:00-16:00). Five hours
    of sewing is longer than any sewer's shift: a sewer on shift starts it and it runs over.
    The packer's long day does not count, as no sewer could ever sew it in one shift; before,
    the limit was the longest shift of anyone at the site, so the sewing never started."""
    days = frozenset(range(5))
    sewer = Operator("sewer", "Clara", frozenset({SEWING}), (Shift(days, time(8), time(12)),))
    packer = Operator("packer", "Anna", frozenset({ASSEMBLY}), (Shift(days, time(6), time(16)),))
    berlin = replace(network.site("berlin"), operators=(sewer, packer))
    ten_o_clock = at(0)
    assert sewer.on_until(ten_o_clock, berlin.tz) == at(2 * 60), "12:00 local"
    assert berlin.can_attend(sewer, SEWING, ten_o_clock, 5 * 60), "longer than any sewer's shift"
    assert not berlin.can_attend(sewer, SEWING, ten_o_clock, 3 * 60), "fits a shift: not by 12"
    assert berlin.longest_shift(SEWING) == 4 * 60
    assert berlin.longest_shift(ASSEMBLY) == 10 * 60


def test_a_shift_starting_in_the_hour_the_clocks_skip_starts_an_hour_later(
    network: Network,
) -> None:
    """On 29 March 2026 Berlin's clocks jump from 02:00 to 03:00. A shift from 02:30 reads
    that time with the offset before the jump, as calendars do (RFC 5545): it starts at 03:30
    summer time, and still ends at 10:00."""
    berlin = network.site("berlin")
    early = Operator(
        "early", "Eli", frozenset({ASSEMBLY}), (Shift(frozenset({6}), time(2, 30), time(10)),)
    )
    site = replace(berlin, operators=(early,))
    midnight = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 00:00 local on the Sunday
    assert site.shift_windows(ASSEMBLY, midnight, 1) == [
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 8, 0, tzinfo=UTC))
    ]
