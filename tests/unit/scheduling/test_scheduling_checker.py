"""The checker accepts a feasible schedule and names every kind of broken rule."""

from __future__ import annotations

from dataclasses import replace

from microfab.scheduling.checker import Rule, check
from microfab.scheduling.model import Assignment, Instance, Job, Schedule


def feasible() -> Schedule:
    return Schedule(
        (
            Assignment("a.print", "p1", 0, 10),
            Assignment("b.print", "p1", 15, 23),
            Assignment("a.finish", "bench", 10, 15, operator="ana"),
            Assignment("b.finish", "bench", 23, 28, operator="ana"),
            Assignment("c.print", "sls", 0, 30, batch=1),
            Assignment("d.print", "sls", 0, 30, batch=1),
        )
    )


def changed(operation: str, **fields: object) -> Schedule:
    rows = tuple(
        replace(a, **fields) if a.operation == operation else a  # type: ignore[arg-type]
        for a in feasible().assignments
    )
    return Schedule(rows)


def rules(instance: Instance, schedule: Schedule) -> set[Rule]:
    return {v.rule for v in check(instance, schedule)}


def test_accepts_a_feasible_schedule(workshop: Instance) -> None:
    assert check(workshop, feasible()) == []


def test_rejects_a_missing_operation(workshop: Instance) -> None:
    schedule = Schedule(feasible().assignments[1:])
    assert rules(workshop, schedule) == {Rule.MISSING}


def test_rejects_an_unknown_or_duplicated_operation(workshop: Instance) -> None:
    extra = Assignment("z.print", "p1", 50, 60)
    twice = feasible().assignments[0]
    assert Rule.UNKNOWN in rules(workshop, Schedule((*feasible().assignments, extra)))
    assert Rule.UNKNOWN in rules(workshop, Schedule((*feasible().assignments, twice)))


def test_rejects_a_machine_the_operation_cannot_use(workshop: Instance) -> None:
    assert rules(workshop, changed("b.print", machine="p2")) == {Rule.ELIGIBILITY}


def test_rejects_a_wrong_duration(workshop: Instance) -> None:
    assert Rule.DURATION in rules(workshop, changed("a.print", end=9))


def test_rejects_a_start_before_the_release(workshop: Instance) -> None:
    schedule = Schedule(
        (
            Assignment("a.print", "p2", 0, 12),
            Assignment("b.print", "p1", 1, 9),
            *feasible().assignments[2:],
        )
    )
    assert Rule.RELEASE in rules(workshop, schedule)


def test_rejects_a_step_before_its_predecessor_ends(workshop: Instance) -> None:
    assert Rule.PRECEDENCE in rules(workshop, changed("a.finish", start=8, end=13))


def test_rejects_overlap_and_a_missing_changeover(workshop: Instance) -> None:
    overlap = changed("b.print", start=5, end=13)
    no_purge = changed("b.print", start=12, end=20)
    assert Rule.OVERLAP in rules(workshop, overlap)
    found = check(workshop, no_purge)
    assert [v.rule for v in found] == [Rule.OVERLAP]
    assert "changeover of 5" in found[0].message


def test_rejects_a_batch_over_capacity_or_mixed_or_out_of_step(workshop: Instance) -> None:
    small = replace(
        workshop,
        machines=tuple(replace(m, capacity=1) if m.id == "sls" else m for m in workshop.machines),
    )
    assert Rule.BATCH in rules(small, feasible())
    out_of_step = changed("d.print", start=1, end=31)
    assert Rule.BATCH in rules(workshop, out_of_step)
    jobs = tuple(
        replace(j, operations=(replace(j.operations[0], family="pa11"),)) if j.id == "d" else j
        for j in workshop.jobs
    )
    assert Rule.BATCH in rules(replace(workshop, jobs=jobs), feasible())


def test_a_batch_counts_pieces_and_a_large_operation_may_run_alone(workshop: Instance) -> None:
    def sized(job_id: str, size: int) -> tuple[Job, ...]:
        return tuple(
            replace(j, operations=(replace(j.operations[0], size=size),)) if j.id == job_id else j
            for j in workshop.jobs
        )

    three_pieces = replace(workshop, jobs=sized("d", 2))
    found = [v for v in check(three_pieces, feasible()) if v.rule is Rule.BATCH]
    assert [v.message for v in found] == ["3 pieces in one run on sls, capacity 2"]
    alone = changed("d.print", start=30, end=55, batch=None)
    assert Rule.BATCH not in rules(replace(workshop, jobs=sized("d", 5)), alone)


def test_rejects_work_in_a_maintenance_window(workshop: Instance) -> None:
    schedule = changed("b.print", start=95, end=103)
    schedule = Schedule(
        tuple(
            replace(a, start=103, end=108) if a.operation == "b.finish" else a
            for a in schedule.assignments
        )
    )
    assert rules(workshop, schedule) == {Rule.CALENDAR}


def test_rejects_a_person_without_the_skill_or_off_shift(workshop: Instance) -> None:
    assert rules(workshop, changed("a.finish", operator=None)) == {Rule.SKILL}
    late = changed("b.finish", start=200, end=205)
    assert rules(workshop, late) == {Rule.SHIFT}


def test_accepts_back_to_back_shifts(workshop: Instance) -> None:
    across = changed("b.finish", start=58, end=63)
    assert check(workshop, across) == []


def test_rejects_a_person_in_two_places(workshop: Instance) -> None:
    schedule = Schedule(
        (
            Assignment("a.print", "p2", 0, 12),
            Assignment("b.print", "p1", 2, 10),
            Assignment("a.finish", "bench", 12, 17, operator="ana"),
            Assignment("b.finish", "bench", 14, 19, operator="ana"),
            *feasible().assignments[4:],
        )
    )
    assert Rule.OPERATOR in rules(workshop, schedule)
