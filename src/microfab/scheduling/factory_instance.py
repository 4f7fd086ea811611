"""A generated print farm the size of a real micro-factory, for benchmarks and demos.

Sixteen printers of three kinds: ten FDM printers with colour changeovers (a purge costs more
towards lighter colours), four resin printers that cure up to four parts of one resin per run,
two SLS printers that sinter up to eight parts per build. Every order is print → finish
(support removal, washing or depowdering, by a person) → inspect and pack (by a person). Two
shifts a day staff the benches; printers run around the clock except for a maintenance slot.
Time is in minutes from Monday 00:00; due dates spread over ``days`` days (two at least).
"""

from __future__ import annotations

import random

from microfab.errors import InvalidInput
from microfab.scheduling.model import (
    Criterion,
    Instance,
    Job,
    Machine,
    Objective,
    Operation,
    Operator,
    Window,
)

COLOURS = ("white", "yellow", "orange", "red", "green", "blue", "grey", "black")
RESINS = ("clear", "grey", "tough")
DAY = 24 * 60
SHIFTS = ((6 * 60, 14 * 60), (14 * 60, 22 * 60))


def factory_instance(orders: int = 320, seed: int = 0, days: int = 3) -> Instance:
    """A seeded print farm with ``orders`` jobs; the same seed gives the same instance."""
    if days < 2:
        raise InvalidInput(f"a factory instance spans at least 2 days, not {days}")
    rng = random.Random(seed)
    printers = _printers(rng, days)
    benches = (
        Machine("finish-1", "bench"),
        Machine("finish-2", "bench"),
        Machine("pack-1", "bench"),
        Machine("pack-2", "bench"),
    )
    jobs = tuple(_order(rng, k, printers, days) for k in range(orders))
    return Instance(
        name=f"factory-{orders}-s{seed}",
        jobs=jobs,
        machines=(*printers, *benches),
        operators=_operators(days),
        objective=Objective({Criterion.TARDINESS: 4, Criterion.CHANGEOVER: 1}),
    )


def _printers(rng: random.Random, days: int) -> tuple[Machine, ...]:
    purge = {
        (a, b): 10 + 5 * max(0, i - j) for i, a in enumerate(COLOURS) for j, b in enumerate(COLOURS)
    }
    vat = {(a, b): 25 for a in RESINS for b in RESINS}
    kinds = [("fdm", 10, purge, 1), ("resin", 4, vat, 4), ("sls", 2, {}, 8)]
    printers = []
    for kind, count, changeovers, capacity in kinds:
        for n in range(1, count + 1):
            printers.append(
                Machine(f"{kind}-{n}", kind, changeovers, (_maintenance(rng, days),), capacity)
            )
    return tuple(printers)


def _maintenance(rng: random.Random, days: int) -> Window:
    start = rng.randrange(DAY // 2, days * DAY - DAY // 2, 30)
    return Window(start, start + 120)


def _order(rng: random.Random, k: int, printers: tuple[Machine, ...], days: int) -> Job:
    job = f"o{k:03d}"
    kind = rng.choices(("fdm", "resin", "sls"), weights=(6, 2, 2))[0]
    family, minutes = _print_step(rng, kind)
    fleet = [p.id for p in printers if p.kind == kind]
    # FDM parts fit three printers each (nozzle and build volume), which keeps the
    # changeover circuits small enough for CP-SAT.
    eligible = rng.sample(fleet, 3) if kind == "fdm" else fleet
    durations = {m: int(minutes * rng.uniform(0.9, 1.1)) for m in eligible}
    finish_time = rng.randrange(5, 16)
    pack = rng.randrange(3, 9)
    release = rng.randrange(0, DAY, 15)
    due = release + rng.randrange(DAY // 2, days * DAY - release, 15)
    return Job(
        job,
        (
            Operation(f"{job}.print", job, durations, family),
            Operation(
                f"{job}.finish",
                job,
                {"finish-1": finish_time, "finish-2": finish_time},
                skill="finish",
            ),
            Operation(f"{job}.pack", job, dict.fromkeys(("pack-1", "pack-2"), pack), skill="pack"),
        ),
        release=release,
        due=due,
        weight=rng.choices((1, 2, 3), weights=(6, 3, 1))[0],
    )


def _print_step(rng: random.Random, kind: str) -> tuple[str, int]:
    if kind == "fdm":
        return rng.choice(COLOURS), rng.randrange(45, 241, 5)
    if kind == "resin":
        return rng.choice(RESINS), rng.randrange(90, 241, 10)
    return "pa12", rng.randrange(360, 601, 30)


def _operators(days: int) -> tuple[Operator, ...]:
    def shifts(which: int) -> tuple[Window, ...]:
        start, end = SHIFTS[which]
        # Shifts run on past the due dates so that late work still finds a person.
        return tuple(Window(d * DAY + start, d * DAY + end) for d in range(3 * days + 7))

    return (
        Operator("ana", frozenset({"finish", "pack"}), shifts(0)),
        Operator("ben", frozenset({"finish", "pack"}), shifts(0)),
        Operator("chloe", frozenset({"finish", "pack"}), shifts(1)),
        Operator("dev", frozenset({"finish"}), shifts(1)),
    )
