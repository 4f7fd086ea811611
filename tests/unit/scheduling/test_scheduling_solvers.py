"""Dispatch rules and the CP-SAT model: feasible always, optimal on small known instances."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from microfab.scheduling.checker import check
from microfab.scheduling.cpsat import Settings, _Clock, _Patience, _Search, solve
from microfab.scheduling.factory_instance import factory_instance
from microfab.scheduling.formats import read_instance
from microfab.scheduling.model import (
    Assignment,
    Criterion,
    Instance,
    Job,
    Machine,
    NoStart,
    Objective,
    Operation,
    Operator,
    Schedule,
    Window,
    lower_bound,
    objective_value,
    ranking,
    score,
)
from microfab.scheduling.rules import best_dispatch, dispatch, tuned_atcs
from microfab.scheduling.tabu import improve

QUICK = Settings(time_limit=10.0, workers=2)


def colours(objective: Objective) -> Instance:
    """One printer, white and black parts alternating; a purge costs 10 either way."""
    purge = {("white", "black"): 10, ("black", "white"): 10}
    jobs = tuple(
        Job(f"j{k}", (Operation(f"j{k}.print", f"j{k}", {"p": 5}, ("white", "black")[k % 2]),))
        for k in range(6)
    )
    return Instance("colours", jobs, (Machine("p", "fdm", purge),), objective=objective)


def test_every_rule_gives_a_feasible_schedule(workshop: Instance) -> None:
    for rule in ("edd", "atcs", "mwkr"):
        assert check(workshop, dispatch(workshop, rule)) == []


def test_dispatch_batches_parts_of_one_family(workshop: Instance) -> None:
    schedule = dispatch(workshop, "atcs")
    c, d = schedule.of["c.print"], schedule.of["d.print"]
    assert (c.batch, c.start, c.end) == (d.batch, d.start, d.end) == (1, 0, 30)


def test_dispatch_fills_a_batch_only_as_far_as_its_pieces_fit(workshop: Instance) -> None:
    jobs = tuple(
        replace(j, operations=(replace(j.operations[0], size=2),)) if j.id == "d" else j
        for j in workshop.jobs
    )
    instance = replace(workshop, jobs=jobs)
    schedule = dispatch(instance, "atcs")
    c, d = schedule.of["c.print"], schedule.of["d.print"]
    assert c.batch != d.batch
    assert check(instance, schedule) == []


def test_a_part_that_would_hold_its_run_past_maintenance_waits_for_a_later_run() -> None:
    # The printer is down from 100: a run of 80 fits before it, one of 120 does not.
    jobs = (
        Job("short", (Operation("short.print", "short", {"sls": 80}, "pa12"),), due=200),
        Job("long", (Operation("long.print", "long", {"sls": 120}, "pa12"),), due=300),
    )
    sls = Machine("sls", "sls", unavailable=(Window(100, 130),), capacity=2)
    instance = Instance("maintenance", jobs, (sls,), objective=Objective({Criterion.TARDINESS: 1}))
    schedule = dispatch(instance, "edd")
    assert check(instance, schedule) == []
    short, long = schedule.of["short.print"], schedule.of["long.print"]
    assert (short.start, short.end) == (0, 80)
    assert long.batch != short.batch
    assert long.start >= 130


def test_a_part_that_needs_a_person_does_not_join_a_run_that_needs_none() -> None:
    jobs = (
        Job("a", (Operation("a.bake", "a", {"oven": 10}, "resin"),), due=5),
        Job("b", (Operation("b.bake", "b", {"oven": 10}, "resin", skill="bake"),), due=50),
    )
    baker = Operator("pia", frozenset({"bake"}), (Window(0, 100),))
    instance = Instance("attended", jobs, (Machine("oven", "oven", capacity=2),), (baker,))
    schedule = dispatch(instance, "edd")
    assert check(instance, schedule) == []
    assert schedule.of["b.bake"].operator == "pia"


def test_earliest_due_date_goes_first_on_a_busy_machine() -> None:
    jobs = tuple(
        Job(f"j{k}", (Operation(f"j{k}.cut", f"j{k}", {"laser": 4}),), due=due)
        for k, due in enumerate((30, 10, 20))
    )
    schedule = dispatch(Instance("edd", jobs, (Machine("laser"),)), "edd")
    assert [a.operation for a in schedule.on_machine("laser")] == ["j1.cut", "j2.cut", "j0.cut"]


def test_atcs_groups_colours_where_due_dates_allow() -> None:
    instance = colours(Objective({Criterion.CHANGEOVER: 1}))
    assert score(instance, dispatch(instance, "atcs")).changeover == 10


def test_atcs_avoids_changeovers_as_far_as_the_objective_weighs_them() -> None:
    """Eight 10-minute prints alternating white and black, due every 15 minutes, a 5-minute
    purge between colours. The rule's default scaling purges for 15 minutes and leaves work 5
    minutes late; a factory that weighs lateness first now has nothing late (35 minutes of
    purges), one that weighs purges first purges once (30 minutes late)."""

    def alternating(objective: Objective) -> Instance:
        purge = {("white", "black"): 5, ("black", "white"): 5}
        jobs = tuple(
            Job(
                f"j{k}",
                (Operation(f"j{k}.print", f"j{k}", {"p": 10}, ("white", "black")[k % 2]),),
                due=15 * (k + 1),
            )
            for k in range(8)
        )
        return Instance("alternating", jobs, (Machine("p", "fdm", purge),), objective=objective)

    def lateness_and_purges(instance: Instance, schedule: Schedule) -> tuple[int, int]:
        assert check(instance, schedule) == []
        scores = score(instance, schedule)
        return scores.tardiness, scores.changeover

    late_first = alternating(Objective({Criterion.TARDINESS: 20, Criterion.CHANGEOVER: 1}))
    purge_first = alternating(Objective({Criterion.CHANGEOVER: 20, Criterion.TARDINESS: 1}))
    assert lateness_and_purges(late_first, dispatch(late_first, "atcs")) == (5, 15)
    assert lateness_and_purges(late_first, tuned_atcs(late_first)) == (0, 35)
    assert lateness_and_purges(purge_first, tuned_atcs(purge_first)) == (30, 5)
    in_order = alternating(Objective(lexicographic=(Criterion.TARDINESS, Criterion.CHANGEOVER)))
    assert lateness_and_purges(in_order, tuned_atcs(in_order)) == (0, 35), "the longest plan"


def test_a_scaling_whose_plan_outruns_the_shifts_is_passed_over() -> None:
    """One printer that needs its operator, on shift for 100 minutes: the default scaling's
    plan fits, the lateness-first scaling's (more purges) would not."""
    purge = {("white", "black"): 5, ("black", "white"): 5}
    jobs = tuple(
        Job(
            f"j{k}",
            (Operation(f"j{k}.print", f"j{k}", {"p": 10}, ("white", "black")[k % 2], "print"),),
            due=15 * (k + 1),
        )
        for k in range(8)
    )
    ann = Operator("ann", frozenset({"print"}), (Window(0, 100),))
    instance = Instance(
        "short shift",
        jobs,
        (Machine("p", "fdm", purge),),
        (ann,),
        Objective({Criterion.TARDINESS: 20, Criterion.CHANGEOVER: 1}),
    )
    schedule = tuned_atcs(instance)
    assert check(instance, schedule) == []
    assert schedule.makespan <= 100


def test_a_person_whose_shifts_are_over_leaves_the_work_to_another() -> None:
    jobs = tuple(
        Job(f"j{k}", (Operation(f"j{k}.pack", f"j{k}", {"bench": 30}, skill="pack"),))
        for k in range(3)
    )
    early = Operator("ana", frozenset({"pack"}), (Window(0, 40),))
    late = Operator("ben", frozenset({"pack"}), (Window(0, 200),))
    instance = Instance("two people", jobs, (Machine("bench", "bench"),), (early, late))
    schedule = dispatch(instance, "edd")
    assert check(instance, schedule) == []
    assert [a.operator for a in sorted(schedule.assignments, key=lambda a: a.start)] == [
        "ana",
        "ben",
        "ben",
    ]


def test_work_no_shift_is_long_enough_for_is_named() -> None:
    job = Job("gift", (Operation("gift.pack", "gift", {"bench": 30}, skill="pack"),))
    ana = Operator("ana", frozenset({"pack"}), (Window(100, 120),))
    instance = Instance("short shift", (job,), (Machine("bench", "bench"),), (ana,))
    with pytest.raises(NoStart, match=r"gift\.pack needs 30 time units of a person with skill"):
        dispatch(instance, "edd")


def test_best_dispatch_is_feasible_on_a_benchmark(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "fjsp" / "mk01.fjs")
    schedule = best_dispatch(instance)
    assert check(instance, schedule) == []
    assert schedule.makespan >= lower_bound(instance)


def test_solves_ft06_to_its_known_optimum(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "ft06.txt")
    solution = solve(instance, QUICK)
    assert (solution.objective, solution.lower_bound, solution.status) == (55, 55, "optimal")
    assert check(instance, solution.schedule) == []


def test_a_short_limit_still_reports_the_bound_known_without_cp_sat(benchmarks: Path) -> None:
    """Before, a solve that CP-SAT proved nothing in reported a lower bound of 0 (mk10 at 2 s)."""
    instance = read_instance(benchmarks / "fjsp" / "mk10.fjs")
    solution = solve(instance, Settings(time_limit=0.1, workers=2))
    assert solution.lower_bound >= lower_bound(instance) > 0
    assert check(instance, solution.schedule) == []


def test_job_shop_hands_over_to_tabu_search_and_never_loses_the_start(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "la21.txt")
    start = best_dispatch(instance)
    solution = solve(instance, Settings(time_limit=3.0, workers=2))
    assert check(instance, solution.schedule) == []
    assert lower_bound(instance) <= solution.lower_bound <= solution.objective < start.makespan


def test_cp_sat_hands_back_once_it_finds_nothing_better(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "la29.txt")
    good = improve(instance, best_dispatch(instance), seconds=1.0)
    search = _Search(instance, {}, 0, Settings(workers=2), {}, {Criterion.MAKESPAN: 1})
    began = time.monotonic()
    found, bound, status = search._full(good, 120.0, search="tree", patience=1.0)
    # la29 is far from proved in two minutes; with a second's patience it stops long before.
    assert time.monotonic() - began < 60
    assert status == "feasible"
    assert bound <= found.makespan <= good.makespan
    assert check(instance, found) == []


def test_after_a_quiet_tabu_turn_cp_sat_keeps_the_rest_of_the_time(
    benchmarks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = read_instance(benchmarks / "jssp" / "ft06.txt")
    optimal = solve(instance, QUICK).schedule  # 55: the tabu search cannot improve on it
    search = _Search(instance, {}, 0, Settings(workers=2), {}, {Criterion.MAKESPAN: 1})
    turns: list[tuple[str, float | None, float]] = []

    def proving(
        hint: Schedule, limit: float, search: str = "portfolio", patience: float | None = None
    ) -> tuple[Schedule, int, str]:
        turns.append((search, patience, limit))
        return hint, hint.makespan, "optimal"

    monkeypatch.setattr(search, "_full", proving)
    clock = _Clock(20.0)
    best, bound, status = search._alternate(best_dispatch(instance), optimal, 0, clock, 20.0)
    # one tabu turn that finds nothing better, then CP-SAT with all that is left, no patience
    assert (best.makespan, bound, status) == (55, 55, "optimal")
    assert [(s, p) for s, p, _ in turns] == [("tree", None)]
    assert turns[0][2] > 10.0


def test_the_tree_search_proves_ft10_from_a_good_schedule(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "ft10.txt")
    good = improve(instance, best_dispatch(instance), seconds=6.0, target=930)
    search = _Search(instance, {}, 0, Settings(workers=2), {}, {Criterion.MAKESPAN: 1})
    found, bound, status = search._full(good, 25.0, search="tree")
    # CP-SAT's own portfolio of two workers stayed at a bound of 808 for 19 s from 930.
    assert (found.makespan, bound, status) == (930, 930, "optimal")
    assert check(instance, found) == []


def test_cp_sat_stays_while_its_bound_rises_close_to_its_schedule() -> None:
    patience = _Patience(cp_model.CpSolver(), seconds=5.0)
    patience.last = 0.0
    patience._bound(929)  # no schedule yet: nothing to be near
    assert patience.last == 0.0
    patience.objective = 930
    patience._bound(800)  # 14 % below: no reason to stay
    assert patience.last == 0.0
    patience._bound(911)  # 2 % below: a proof may be near, the patience starts again
    assert patience.last > 0.0


def test_solves_mk01_to_its_known_optimum(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "fjsp" / "mk01.fjs")
    solution = solve(instance, QUICK)
    assert solution.objective == 40
    assert check(instance, solution.schedule) == []


def test_the_first_run_pays_the_changeover_from_the_machine_setup() -> None:
    instance = colours(Objective({Criterion.CHANGEOVER: 1}))
    (printer,) = instance.machines
    white = tuple(j for j in instance.jobs if j.operations[0].family == "white")
    instance = replace(instance, jobs=white, machines=(replace(printer, setup="black"),))
    rule = dispatch(instance, "atcs")
    assert min(a.start for a in rule.assignments) == 10
    assert score(instance, rule).changeover == 10
    solution = solve(instance, QUICK)
    assert (solution.objective, solution.status) == (10, "optimal")
    assert check(instance, solution.schedule) == []
    early = replace(
        rule,
        assignments=tuple(replace(a, start=a.start - 10, end=a.end - 10) for a in rule.assignments),
    )
    assert [v.operation for v in check(instance, early)] == [early.on_machine("p")[0].operation]


def test_groups_colours_to_the_least_changeover() -> None:
    instance = colours(Objective({Criterion.CHANGEOVER: 1}))
    solution = solve(instance, QUICK)
    assert (solution.objective, solution.status) == (10, "optimal")
    assert check(instance, solution.schedule) == []


def test_lexicographic_objective_keeps_the_first_criterion_best() -> None:
    objective = Objective(lexicographic=(Criterion.MAKESPAN, Criterion.CHANGEOVER))
    solution = solve(colours(objective), QUICK)
    scores = score(colours(objective), solution.schedule)
    assert (scores.makespan, scores.changeover) == (40, 10)


def test_a_lexicographic_ranking_tells_apart_schedules_equal_on_the_first_criterion() -> None:
    # no due dates: nothing is late either way, and only the changeovers tell the two apart
    instance = colours(Objective(lexicographic=(Criterion.TARDINESS, Criterion.CHANGEOVER)))
    alternating = Schedule(
        tuple(Assignment(f"j{k}.print", "p", 15 * k, 15 * k + 5) for k in range(6))
    )  # white, black, white...: a purge before each but the first
    grouped = solve(instance, QUICK).schedule
    assert check(instance, alternating) == []
    assert objective_value(instance, alternating) == objective_value(instance, grouped) == 0
    assert ranking(instance, grouped) == (0, 10) < ranking(instance, alternating) == (0, 50)


def test_later_criteria_wait_for_no_stage_once_the_time_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each stage builds a model its time limit does not cover: with no time left, none."""
    order = (Criterion.TARDINESS, Criterion.CHANGEOVER, Criterion.MAKESPAN)
    instance = colours(Objective(lexicographic=order))
    stages = []
    run = _Search.run

    def counted(search: _Search, hint: Schedule, limit: float) -> tuple[Schedule, int, str]:
        stages.append(limit)
        return run(search, hint, limit)

    monkeypatch.setattr(_Search, "run", counted)
    solution = solve(instance, Settings(time_limit=0.05, workers=1))
    assert len(stages) == 1
    assert solution.status == "feasible"
    assert check(instance, solution.schedule) == []


def test_honours_workshop_rules_for_every_objective(workshop: Instance) -> None:
    for weights in ({Criterion.MAKESPAN: 1}, {Criterion.TARDINESS: 3, Criterion.CHANGEOVER: 1}):
        instance = replace(workshop, objective=Objective(weights))
        solution = solve(instance, QUICK)
        assert check(instance, solution.schedule) == []
        assert solution.lower_bound <= solution.objective


def test_workshop_makespan_uses_the_batch_and_avoids_the_purge(workshop: Instance) -> None:
    solution = solve(workshop, QUICK)
    assert solution.objective == 30
    assert solution.schedule.of["c.print"].batch == solution.schedule.of["d.print"].batch


def test_keeps_frozen_work_where_it_is(workshop: Instance) -> None:
    frozen = {"b.print": Assignment("b.print", "p1", 2, 10)}
    solution = solve(workshop, QUICK, frozen=frozen, not_before=3)
    assert solution.schedule.of["b.print"] == frozen["b.print"]
    assert all(a.start >= 3 for a in solution.schedule.assignments if a.operation not in frozen)
    assert check(workshop, solution.schedule) == []


def test_past_its_deadline_the_first_schedule_is_the_first_rule_alone() -> None:
    farm = factory_instance(orders=40, seed=2)  # where the tuned rule and EDD both differ
    assert tuned_atcs(farm) != dispatch(farm, "atcs")
    assert best_dispatch(farm, deadline=0.0) == dispatch(farm, "atcs")
    assert tuned_atcs(farm, deadline=0.0) == dispatch(farm, "atcs")
