"""The generated print farm has the shape the benchmark promises, and the JSON Gantt rows."""

from __future__ import annotations

from microfab.scheduling.factory_instance import COLOURS, factory_instance
from microfab.scheduling.gantt import gantt_rows
from microfab.scheduling.rules import dispatch


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
