"""The generated print farm has the shape the benchmark promises, and the JSON Gantt rows."""

from __future__ import annotations

from xml.etree import ElementTree

from microfab.scheduling.factory_instance import COLOURS, factory_instance
from microfab.scheduling.gantt import gantt_rows, gantt_svg, late_jobs
from microfab.scheduling.model import Assignment, Instance, Job, Machine, Operation, Schedule
from microfab.scheduling.rules import dispatch

SVG = "{http://www.w3.org/2000/svg}"


def test_print_farm_has_the_promised_shape() -> None:
    instance = factory_instance()
    prints = [op for op in instance.iter_operations() if op.id.endswith(".print")]
    printers = [m for m in instance.machines if m.kind in {"fdm", "resin", "sls"}]
    assert len(prints) >= 300
    assert len(printers) == 16
    assert {m.kind for m in printers} == {"fdm", "resin", "sls"}
    assert {op.family for op in prints} >= set(COLOURS)
    assert max(j.due or 0 for j in instance.jobs) <= 3 * 24 * 60
    assert {w.start % 1440 for o in instance.operators for w in o.shifts} == {360, 840}


def test_same_seed_same_farm() -> None:
    assert factory_instance(orders=20, seed=7) == factory_instance(orders=20, seed=7)
    assert factory_instance(orders=20, seed=7) != factory_instance(orders=20, seed=8)


def test_gantt_rows_list_each_machine_in_time_order() -> None:
    instance = factory_instance(orders=20, seed=1)
    rows = gantt_rows(instance, dispatch(instance, "edd"))
    assert [r["machine"] for r in rows] == [m.id for m in instance.machines]
    for row in rows:
        starts = [bar["start"] for bar in row["bars"]]
        assert starts == sorted(starts)


def test_the_chart_names_and_outlines_the_jobs_that_end_after_their_due_date() -> None:
    rush = Job("rush", (Operation("rush.print", "rush", {"p1": 30}),), due=30)
    calm = Job("calm", (Operation("calm.print", "calm", {"p1": 30}),), due=200)
    instance = Instance("two prints", (rush, calm), (Machine("p1", "fdm"),))
    schedule = Schedule(
        (Assignment("calm.print", "p1", 0, 30), Assignment("rush.print", "p1", 30, 60))
    )
    assert late_jobs(instance, schedule) == [{"job": "rush", "due": 30, "end": 60, "late": 30}]
    svg = ElementTree.fromstring(gantt_svg(instance, schedule))
    bars = {
        (rect.findtext(SVG + "title") or "").split()[0]: rect.get("stroke")
        for rect in svg.iter(SVG + "rect")
        if rect.find(SVG + "title") is not None
    }
    assert bars == {"calm.print": "#333", "rush.print": "#d00000"}
    summary = "".join(svg.itertext())
    assert "weighted tardiness 30" in summary
    assert "1 jobs late" in summary
    on_time = Schedule(
        (Assignment("rush.print", "p1", 0, 30), Assignment("calm.print", "p1", 30, 60))
    )
    assert late_jobs(instance, on_time) == []


def test_each_part_of_a_batch_run_has_a_stripe_of_its_own() -> None:
    jobs = tuple(Job(f"j{k}", (Operation(f"j{k}.bake", f"j{k}", {"oven": 20}),)) for k in range(3))
    instance = Instance("oven", jobs, (Machine("oven", "oven", capacity=4),))
    schedule = Schedule(tuple(Assignment(f"j{k}.bake", "oven", 0, 20, batch=1) for k in range(3)))
    svg = ElementTree.fromstring(gantt_svg(instance, schedule))
    stripes = [
        rect
        for rect in svg.iter(SVG + "rect")
        if (rect.findtext(SVG + "title") or "").startswith("j")
    ]
    assert len({rect.get("y") for rect in stripes}) == 3
    assert all("one of 3 parts in a run" in (r.findtext(SVG + "title") or "") for r in stripes)
