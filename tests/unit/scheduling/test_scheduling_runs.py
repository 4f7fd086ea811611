"""CP-SAT regroups the parts of batch runs: runs split, merge and take parts from each other."""

from __future__ import annotations

import random

from ortools.sat.python import cp_model

from microfab.scheduling.checker import check
from microfab.scheduling.cpsat import (
    EXACT_PARTS,
    SPARE_RUNS,
    CpModel,
    Settings,
    _Neighbourhoods,
    _Search,
    _whole_runs,
    solve,
)
from microfab.scheduling.model import (
    Assignment,
    Criterion,
    Instance,
    Job,
    Machine,
    Objective,
    Operation,
    Schedule,
    lower_bound,
    score,
)

QUICK = Settings(time_limit=5.0, workers=2)
TARDINESS = Objective({Criterion.TARDINESS: 1})


def part(name: str, minutes: int, family: str = "pa12", *, release: int = 0, due: int) -> Job:
    return Job(name, (Operation(f"{name}.print", name, {"sls": minutes}, family),), release, due)


def sinter(*jobs: Job, capacity: int = 2) -> Instance:
    return Instance(
        "sinter", jobs, (Machine("sls", "sls", capacity=capacity),), objective=TARDINESS
    )


def runs_of(schedule: Schedule) -> set[frozenset[str]]:
    grouped: dict[int | None, set[str]] = {}
    for a in schedule.assignments:
        grouped.setdefault(a.batch, set()).add(a.operation.removesuffix(".print"))
    return {frozenset(r) for r in grouped.values()}


def test_a_run_splits_when_a_late_part_holds_an_urgent_one_back() -> None:
    instance = sinter(part("urgent", 10, due=10), part("later", 10, release=30, due=100))
    together = Schedule(
        (
            Assignment("urgent.print", "sls", 30, 40, batch=1),
            Assignment("later.print", "sls", 30, 40, batch=1),
        )
    )
    solution = solve(instance, QUICK, hint=together)
    assert check(instance, solution.schedule) == []
    assert runs_of(solution.schedule) == {frozenset({"urgent"}), frozenset({"later"})}
    assert solution.objective == 0


def test_parts_swap_runs_so_that_the_short_urgent_ones_go_together() -> None:
    instance = sinter(
        part("quick-a", 10, due=10),
        part("quick-b", 10, due=10),
        part("slow-a", 60, due=200),
        part("slow-b", 60, due=200),
    )
    mixed = Schedule(
        (
            Assignment("quick-a.print", "sls", 0, 60, batch=1),
            Assignment("slow-a.print", "sls", 0, 60, batch=1),
            Assignment("quick-b.print", "sls", 60, 120, batch=2),
            Assignment("slow-b.print", "sls", 60, 120, batch=2),
        )
    )
    assert score(instance, mixed).value(Criterion.TARDINESS) == 160
    solution = solve(instance, QUICK, hint=mixed)
    assert check(instance, solution.schedule) == []
    assert frozenset({"quick-a", "quick-b"}) in runs_of(solution.schedule)
    assert solution.objective == 0
    quick = solution.schedule.of["quick-a.print"]
    assert quick.end - quick.start == 10  # a run lasts as long as its longest part


def test_regrouped_runs_keep_one_family_and_the_capacity() -> None:
    jobs = [part(f"c{k}", 20, "clear", due=20) for k in range(3)]
    jobs += [part(f"g{k}", 20, "grey", due=20) for k in range(3)]
    instance = sinter(*jobs, capacity=3)
    apart = Schedule(
        tuple(
            Assignment(f"{j.id}.print", "sls", 20 * k, 20 * k + 20, batch=k + 1)
            for k, j in enumerate(jobs)
        )
    )
    solution = solve(instance, QUICK, hint=apart)
    assert check(instance, solution.schedule) == []
    assert runs_of(solution.schedule) == {
        frozenset({"c0", "c1", "c2"}),
        frozenset({"g0", "g1", "g2"}),
    }


def test_attended_or_frozen_runs_stay_as_formed() -> None:
    jobs = (
        Job("a", (Operation("a.print", "a", {"sls": 10}, "pa12", skill="load"),), due=100),
        part("b", 10, due=100),
    )
    instance = sinter(*jobs)
    run = Schedule(
        (
            Assignment("a.print", "sls", 0, 10, batch=1, operator="ana"),
            Assignment("b.print", "sls", 0, 10, batch=1),
        )
    )
    model = CpModel(instance, run)
    assert not model.slots
    frozen = {"b.print": run.of["b.print"]}
    assert not CpModel(sinter(part("a", 10, due=9), part("b", 10, due=9)), run, frozen).slots


def test_an_lns_neighbourhood_never_splits_a_run() -> None:
    instance = sinter(part("a", 10, due=10), part("b", 10, due=10), part("c", 10, due=10))
    schedule = Schedule(
        (
            Assignment("a.print", "sls", 0, 10, batch=1),
            Assignment("b.print", "sls", 0, 10, batch=1),
            Assignment("c.print", "sls", 10, 20, batch=2),
        )
    )
    assert _whole_runs(instance, schedule, {"a.print"}) == {"a.print", "b.print"}
    assert _whole_runs(instance, schedule, {"c.print"}) == {"c.print"}


def test_a_batch_window_frees_whole_jobs_up_to_a_late_part() -> None:
    jobs = tuple(
        Job(
            f"j{k}",
            (
                Operation(f"j{k}.print", f"j{k}", {"sls": 10}, "pa12"),
                Operation(f"j{k}.pack", f"j{k}", {"bench": 2}),
            ),
            due=100 if k < 5 else 25,
        )
        for k in range(6)
    )
    machines = (Machine("sls", "sls", capacity=2), Machine("bench", "bench"))
    instance = Instance("window", jobs, machines, objective=TARDINESS)
    rows = []
    for k in range(6):
        start = 10 * (k // 2)
        rows.append(Assignment(f"j{k}.print", "sls", start, start + 10, batch=k // 2 + 1))
        rows.append(Assignment(f"j{k}.pack", "bench", 30 + 2 * k, 32 + 2 * k))
    schedule = Schedule(tuple(rows))
    search = _Search(instance, {}, 0, QUICK, {}, {Criterion.TARDINESS: 1})
    lns = _Neighbourhoods(search, random.Random(3))
    parts = lns._batch_parts(schedule)
    assert [a.operation for a in parts][:2] == ["j0.print", "j1.print"]
    assert lns._late_jobs(schedule) == {"j5"}
    lns.runs = 1.5  # three parts on a machine of capacity 2
    ending = lns._batch_window(parts, parts[5], ending=True)
    assert ending == {f"j{k}.{step}" for k in (3, 4, 5) for step in ("print", "pack")}
    starting = lns._batch_window(parts, parts[0], ending=False)
    assert starting == {f"j{k}.{step}" for k in (0, 1, 2) for step in ("print", "pack")}
    # near the end a stretch still holds its full size
    assert len(lns._batch_window(parts, parts[5], ending=False)) == 6


def two_late_parts() -> tuple[_Neighbourhoods, Schedule]:
    """Two SLS parts due at 5 in one run ending at 10, and the LNS over them."""
    jobs = tuple(
        Job(f"j{k}", (Operation(f"j{k}.print", f"j{k}", {"sls": 10}, "pa12"),), due=5)
        for k in range(2)
    )
    instance = Instance("late", jobs, (Machine("sls", "sls", capacity=2),), objective=TARDINESS)
    schedule = Schedule(
        (
            Assignment("j0.print", "sls", 0, 10, batch=1),
            Assignment("j1.print", "sls", 0, 10, batch=1),
        )
    )
    search = _Search(instance, {}, 0, QUICK, {}, {Criterion.TARDINESS: 1})
    return _Neighbourhoods(search, random.Random(0)), schedule


def test_a_late_part_whose_stretch_held_nothing_better_is_not_tried_again() -> None:
    lns, schedule = two_late_parts()
    lns.settled = {"j0.print", "j1.print"}
    for _ in range(30):
        lns.pick(schedule)
        assert lns.anchor is None
    lns.settled = {"j0.print"}
    anchors = set()
    for _ in range(30):
        lns.pick(schedule)
        anchors.add(lns.anchor)
    assert anchors == {None, "j1.print"}


def test_a_late_parts_stretch_is_drawn_first_half_the_time() -> None:
    """While a late part's stretch is unsettled it is drawn first half the time, then as one of
    the six ways: over 300 draws about 58 % of them, where one in six drew it before."""
    lns, schedule = two_late_parts()
    anchored = 0
    for _ in range(300):
        lns.pick(schedule)
        anchored += lns.anchor is not None
    assert 0.5 < anchored / 300 < 0.67


def resin_printer(*jobs: Job, setup: str = "") -> Instance:
    vat = {("clear", "grey"): 25, ("grey", "clear"): 25}
    printer = Machine("sls", "resin", vat, capacity=2, setup=setup)
    weights = {Criterion.MAKESPAN: 1, Criterion.CHANGEOVER: 1}
    return Instance("resin", jobs, (printer,), objective=Objective(weights))


def one_part_a_run(instance: Instance, gap: int) -> Schedule:
    """Each part alone in its run, the resins alternating, ``gap`` minutes between runs."""
    return Schedule(
        tuple(
            Assignment(f"{j.id}.print", "sls", (20 + gap) * k, (20 + gap) * k + 20, batch=k + 1)
            for k, j in enumerate(instance.jobs)
        )
    )


def test_runs_regroup_on_a_printer_that_changes_over_between_resins() -> None:
    jobs = [part(n, 20, family, due=500) for n, family in [("c0", "clear"), ("g0", "grey")]]
    jobs += [part(n, 20, family, due=500) for n, family in [("c1", "clear"), ("g1", "grey")]]
    instance = resin_printer(*jobs)
    alternating = one_part_a_run(instance, gap=25)
    assert check(instance, alternating) == []
    assert score(instance, alternating).value(Criterion.CHANGEOVER) == 75
    solution = solve(instance, QUICK, hint=alternating)
    assert check(instance, solution.schedule) == []
    assert runs_of(solution.schedule) == {frozenset({"c0", "c1"}), frozenset({"g0", "g1"})}
    measured = score(instance, solution.schedule)
    assert (measured.makespan, measured.changeover) == (65, 25)
    assert solution.status == "optimal"


def test_the_first_regrouped_run_takes_the_resin_the_printer_holds() -> None:
    jobs = [part(n, 20, family, due=500) for n, family in [("c0", "clear"), ("g0", "grey")]]
    jobs += [part(n, 20, family, due=500) for n, family in [("c1", "clear"), ("g1", "grey")]]
    instance = resin_printer(*jobs, setup="grey")
    start = Schedule(
        tuple(
            Assignment(f"{j.id}.print", "sls", 25 + 45 * k, 45 + 45 * k, batch=k + 1)
            for k, j in enumerate(instance.jobs)
        )
    )
    assert check(instance, start) == []
    solution = solve(instance, QUICK, hint=start)
    assert check(instance, solution.schedule) == []
    grey = solution.schedule.of["g0.print"]
    assert (grey.start, solution.schedule.of["g1.print"].start) == (0, 0)
    measured = score(instance, solution.schedule)
    assert (measured.makespan, measured.changeover) == (65, 25)


def test_the_makespan_bound_lets_a_batch_machine_run_parts_at_once() -> None:
    instance = sinter(*(part(f"p{k}", 30, due=500) for k in range(4)), capacity=4)
    instance = Instance(instance.name, instance.jobs, instance.machines)  # makespan
    assert lower_bound(instance) == 30
    apart = one_part_a_run(instance, gap=0)
    solution = solve(instance, QUICK, hint=apart)
    assert check(instance, solution.schedule) == []
    assert (solution.objective, solution.lower_bound, solution.status) == (30, 30, "optimal")


def test_a_frozen_first_run_still_pays_the_change_from_the_family_the_printer_held() -> None:
    vat = {("clear", "grey"): 22, ("grey", "clear"): 4}
    printer = Machine("sla", "resin", vat, capacity=2, setup="grey")
    jobs = (
        Job("c", (Operation("c.print", "c", {"sla": 10}, "clear"),)),
        Job("g", (Operation("g.print", "g", {"sla": 10}, "grey"),)),
    )
    instance = Instance("held", jobs, (printer,), objective=Objective({Criterion.CHANGEOVER: 1}))
    plan = Schedule(
        (
            Assignment("c.print", "sla", 10, 20, batch=1),
            Assignment("g.print", "sla", 42, 52, batch=2),
        )
    )
    model = CpModel(instance, plan, frozen={"c.print": plan.of["c.print"]})
    model.cp.minimize(model.terms[Criterion.CHANGEOVER])
    solver = cp_model.CpSolver()
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    schedule = model.schedule(solver)
    assert check(instance, schedule) == []
    assert solver.objective_value == score(instance, schedule).changeover == 4 + 22


def staggered(count: int) -> tuple[Instance, Schedule]:
    """Parts released ten minutes apart, each due when it could be done: one run each is best.

    The plan packs them three to a run, so all but the first of each run are late.
    """
    jobs = [part(f"p{k}", 10, release=10 * k, due=10 * k + 10) for k in range(count)]
    plan = []
    for k in range(count):
        first = 3 * (k // 3)
        start = 10 * min(first + 2, count - 1)
        plan.append(Assignment(f"p{k}.print", "sls", start, start + 10, batch=k // 3 + 1))
    return sinter(*jobs, capacity=3), Schedule(tuple(plan))


def test_a_printer_with_few_parts_has_a_slot_for_each_so_any_grouping_is_there() -> None:
    instance, packed = staggered(6)
    assert check(instance, packed) == []
    assert score(instance, packed).tardiness > 0
    solution = solve(instance, QUICK, hint=packed)
    assert check(instance, solution.schedule) == []
    assert (solution.objective, solution.status) == (0, "optimal")
    assert len(runs_of(solution.schedule)) == 6


def test_a_busy_printers_slots_are_a_restriction_so_cp_sat_claims_no_optimum() -> None:
    instance, packed = staggered(EXACT_PARTS + 3)
    model = CpModel(instance, packed)
    assert model.restricted
    assert len(model.slots["sls"]) == 5 + SPARE_RUNS
    solution = solve(instance, Settings(time_limit=3.0, workers=2, lns=False), hint=packed)
    assert check(instance, solution.schedule) == []
    assert solution.objective > 0, "seven runs cannot hold fifteen staggered parts on time"
    assert (solution.status, solution.lower_bound) == ("feasible", 0)


def test_with_a_restricted_model_the_makespan_bound_still_holds() -> None:
    jobs = [part(f"p{k}", 10, due=500) for k in range(2 * EXACT_PARTS)]
    instance = Instance("sinter", tuple(jobs), (Machine("sls", "sls", capacity=2),))
    pairs = Schedule(
        tuple(
            Assignment(f"p{k}.print", "sls", 10 * (k // 2), 10 * (k // 2) + 10, batch=k // 2 + 1)
            for k in range(2 * EXACT_PARTS)
        )
    )
    solution = solve(instance, Settings(time_limit=3.0, workers=2, lns=False), hint=pairs)
    assert (solution.objective, solution.lower_bound, solution.status) == (
        10 * EXACT_PARTS,
        10 * EXACT_PARTS,
        "optimal",
    )


def test_a_batch_window_counts_places_not_parts() -> None:
    jobs = tuple(
        Job(f"j{k}", (Operation(f"j{k}.print", f"j{k}", {"sls": 10}, "pa12", size=2),), due=5)
        for k in range(6)
    )
    instance = Instance("places", jobs, (Machine("sls", "sls", capacity=4),), objective=TARDINESS)
    rows = tuple(
        Assignment(f"j{k}.print", "sls", 10 * (k // 2), 10 * (k // 2) + 10, batch=k // 2 + 1)
        for k in range(6)
    )
    search = _Search(instance, {}, 0, QUICK, {}, {Criterion.TARDINESS: 1})
    lns = _Neighbourhoods(search, random.Random(0))
    lns.runs = 1.0  # one load: four places, two parts
    parts = lns._batch_parts(Schedule(rows))
    assert lns._batch_window(parts, parts[5], ending=True) == {"j4.print", "j5.print"}
