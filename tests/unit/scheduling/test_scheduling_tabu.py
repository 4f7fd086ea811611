"""The tabu search: valid schedules, cycles caught, machines changed, targets kept."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from microfab.scheduling import tabu
from microfab.scheduling.checker import check
from microfab.scheduling.formats import read_instance
from microfab.scheduling.model import Instance, Job, Machine, Operation
from microfab.scheduling.rules import best_dispatch
from microfab.scheduling.tabu import Searches, Sequencing, _heads_tails, improve


def crossing() -> Instance:
    """Job a runs on m1 then m2, job b on m2 then m1."""
    a = (Operation("a1", "a", {"m1": 3}), Operation("a2", "a", {"m2": 2}))
    b = (Operation("b1", "b", {"m2": 4}), Operation("b2", "b", {"m1": 1}))
    return Instance("crossing", (Job("a", a), Job("b", b)), (Machine("m1"), Machine("m2")))


def test_sequences_of_a_dispatch_give_a_valid_schedule_no_longer(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "la01.txt")
    start = best_dispatch(instance)
    flat = Sequencing.of(instance)
    schedule = flat.schedule(*flat.assigned(start), *flat.links(start))
    assert check(instance, schedule) == []
    assert schedule.makespan <= start.makespan


def test_sequences_that_wait_on_each_other_are_a_cycle() -> None:
    flat = Sequencing.of(crossing())
    a1, a2, b1, b2 = (flat.ids.index(k) for k in ("a1", "a2", "b1", "b2"))
    prev = np.full(4, -1, dtype=np.int64)
    nxt = np.full(4, -1, dtype=np.int64)
    nxt[b2], prev[a1] = a1, b2  # m1: b2 before a1
    nxt[a2], prev[b1] = b1, a2  # m2: a2 before b1, but b1 comes before b2 and a1 before a2
    scratch = [np.zeros(4, dtype=np.int64) for _ in range(4)]
    duration = flat.alternatives.max(axis=1)
    arrays = (flat.job_prev, flat.job_next, prev, nxt, duration, flat.release)
    assert _heads_tails(*arrays, *scratch) == -1
    nxt[b2], prev[a1] = -1, -1
    nxt[a1], prev[b2] = b2, a1  # m1: a1 before b2 instead
    # a1 0-3, a2 3-5, b1 waits for a2: 5-9, b2 9-10
    assert _heads_tails(*arrays, *scratch) == 10


def test_improves_ft10_and_every_schedule_is_valid(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "ft10.txt")
    start = best_dispatch(instance)
    found = improve(instance, start, seconds=1.0, workers=2, seed=3)
    assert check(instance, found) == []
    assert 930 <= found.makespan < start.makespan


def test_stops_at_the_target(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "ft06.txt")
    began = time.monotonic()
    found = improve(instance, best_dispatch(instance), seconds=60.0, target=55)
    assert found.makespan == 55
    assert check(instance, found) == []
    assert time.monotonic() - began < 30.0


def test_stops_when_it_no_longer_improves(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "la01.txt")
    began = time.monotonic()
    found = improve(instance, best_dispatch(instance), seconds=60.0, patience=0.5)
    assert found.makespan == 666  # la01's optimum, reached long before the patience runs out
    assert time.monotonic() - began < 30.0


def test_every_second_search_starts_from_the_other_schedule(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "ft10.txt")
    worse = best_dispatch(instance)
    better = improve(instance, worse, seconds=1.0, seed=3)
    assert better.makespan < worse.makespan
    # No time to search: each search hands back the schedule it started from.
    assert improve(instance, worse, seconds=0.0, workers=1, other=better) == improve(
        instance, worse, seconds=0.0, workers=1
    )
    both = improve(instance, worse, seconds=0.0, workers=2, other=better)
    assert both.makespan == better.makespan


def test_paused_searches_go_on_where_they_were(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "jssp" / "ft10.txt")
    start = best_dispatch(instance)
    searches = Searches(instance, start, workers=2, seed=3)
    first = searches.run(0.5)
    assert first.makespan < start.makespan
    # No time this turn: the searches hand back where they were, not where they started.
    assert searches.run(0.0).makespan == first.makespan
    second = searches.run(0.5)
    assert check(instance, second) == []
    assert second.makespan <= first.makespan


def test_a_settled_search_starts_its_next_turn_afresh_from_the_last_origin(
    benchmarks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = read_instance(benchmarks / "jssp" / "ft10.txt")
    dispatched = best_dispatch(instance)
    better = improve(instance, dispatched, seconds=0.5, seed=3)
    searches = Searches(instance, better, workers=2, seed=3, other=dispatched)
    first = searches.run(0.5)
    # Not settled after half a second: the next turn goes on where the searches were.
    assert searches.run(0.0) == first
    assert [s.best for s in searches.searches] != [dispatched.makespan] * 2
    monkeypatch.setattr(tabu, "SETTLED", 0.0)  # every search counts as settled after a turn
    searches.run(0.5)
    seeds = [int(s.state[3]) for s in searches.searches]
    # No time in this turn: each search stands where it starts afresh, with a seed of its own.
    kept = searches.run(0.0)
    assert kept.makespan <= first.makespan
    assert [s.best for s in searches.searches] == [dispatched.makespan] * 2
    fresh = [int(s.state[3]) for s in searches.searches]
    assert len(set(seeds + fresh)) == 4


def test_moves_operations_between_machines_on_a_flexible_job_shop(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "fjsp" / "mk01.fjs")
    start = best_dispatch(instance)
    found = improve(instance, start, seconds=2.0, workers=2, seed=5, target=40)
    assert check(instance, found) == []
    assert 40 <= found.makespan < start.makespan
    moved = [a for a in found.assignments if start.of[a.operation].machine != a.machine]
    assert moved


def test_the_kernels_compile_in_the_background() -> None:
    # In a fresh process, where nothing has called the kernels yet.
    program = (
        "from microfab.scheduling import tabu\n"
        "before = len(tabu._tabu_search.signatures)\n"
        "tabu.warm_up().join()\n"
        "print(before, len(tabu._tabu_search.signatures))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.split() == ["0", "1"]
