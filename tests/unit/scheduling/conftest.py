"""Shared helpers for the scheduling tests: the benchmark folder and a tiny workshop."""

from __future__ import annotations

from pathlib import Path

import pytest

from microfab.scheduling.model import Instance, Job, Machine, Operation, Operator, Window

BENCHMARKS = Path(__file__).resolve().parents[4] / "shared" / "benchmarks"


@pytest.fixture
def benchmarks() -> Path:
    if not BENCHMARKS.is_dir():
        pytest.skip(f"benchmark data not found at {BENCHMARKS}")
    return BENCHMARKS


@pytest.fixture
def workshop() -> Instance:
    """Two jobs (print then finish), two printers with a colour changeover, one finisher."""
    purge = {("white", "black"): 5, ("black", "white"): 20}
    printers = (
        Machine("p1", "fdm", purge, (Window(100, 110),)),
        Machine("p2", "fdm", purge),
        Machine("sls", "sls", capacity=2),
        Machine("bench", "bench"),
    )
    jobs = (
        Job(
            "a",
            (
                Operation("a.print", "a", {"p1": 10, "p2": 12}, "white"),
                Operation("a.finish", "a", {"bench": 5}, skill="finish"),
            ),
            due=30,
        ),
        Job(
            "b",
            (
                Operation("b.print", "b", {"p1": 8}, "black"),
                Operation("b.finish", "b", {"bench": 5}, skill="finish"),
            ),
            release=2,
            due=40,
            weight=2,
        ),
        Job("c", (Operation("c.print", "c", {"sls": 30}, "pa12"),)),
        Job("d", (Operation("d.print", "d", {"sls": 25}, "pa12"),)),
    )
    operators = (Operator("ana", frozenset({"finish"}), (Window(0, 60), Window(60, 200))),)
    return Instance("workshop", jobs, printers, operators)
