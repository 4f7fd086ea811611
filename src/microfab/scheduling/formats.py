"""Readers of the standard benchmark files and the JSON form of a schedule (a whole factory's
problem as JSON is ``instance_file``'s).

Job shop files come in the OR-Library "standard" layout (``jobs machines`` then one line per job
of ``machine time`` pairs, machines from 0) or in Taillard's layout (a matrix of times, then a
matrix of machines from 1). Flexible job shop files use Brandimarte's ``.fjs`` layout. Lines
starting with ``#`` are comments. Every defect raises ``InvalidInput`` naming the file, the line
and what was wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from microfab.errors import InvalidInput
from microfab.scheduling.instance_file import read_instance_json
from microfab.scheduling.model import Instance, Job, Machine, Operation, Solution, score

Line = tuple[int, list[str]]

# Whole numbers in ASCII digits (int() would take "1_0", "+3" and other scripts' digits too).
WHOLE = re.compile(r"-?[0-9]+")
# Taillard's headers go on with seeds and bounds; Brandimarte's with the mean machines per
# operation, which may have decimals.
DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
SUFFIXES = {".fjs": "fjsp", ".json": "json"}
"""The format a file's suffix implies; anything else is read as a job shop."""
# The largest number read: CP-SAT's domains hold times up to 2**62 in all.
LARGEST = 10**9


def read_instance(path: Path, fmt: str | None = None) -> Instance:
    """Read a job shop (``jssp``), flexible job shop (``fjsp``) or whole-factory JSON
    (``json``, see ``instance_file``) file; guess from the suffix.

    A benchmark file that fails in the format asked for but reads in the other one says so.
    """
    readers = {"jssp": read_jssp, "fjsp": read_fjs, "json": read_instance_json}
    fmt = fmt or SUFFIXES.get(path.suffix.lower(), "jssp")
    if fmt not in readers:
        raise InvalidInput(f"unknown format {fmt!r}: use 'jssp', 'fjsp' or 'json'")
    try:
        return readers[fmt](path)
    except InvalidInput as exc:
        if fmt == "json":
            raise
        other = "fjsp" if fmt == "jssp" else "jssp"
        try:
            readers[other](path)
        except InvalidInput:
            raise exc from None
        raise InvalidInput(f"{exc.message} (the file reads as {other}: try that format)") from None


def _lines(path: Path) -> list[Line]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc})") from exc
    rows = [(n, raw.split()) for n, raw in enumerate(text.splitlines(), start=1)]
    return [(n, tokens) for n, tokens in rows if tokens and not tokens[0].startswith("#")]


class _Reader:
    """Turns tokens into integers and reports defects with the file name and line number."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = _lines(path)

    def fail(self, line: int, reason: str) -> InvalidInput:
        return InvalidInput(f"{self.path}:{line}: {reason}")

    def ints(self, line: Line) -> list[int]:
        number, tokens = line
        for token in tokens:
            if not WHOLE.fullmatch(token):
                raise self.fail(number, f"expected whole numbers, found {token!r}")
            if abs(int(token)) > LARGEST:
                raise self.fail(number, f"{token} is too large: numbers go up to {LARGEST:,}")
        return [int(t) for t in tokens]

    def header(self, minimum: int, extra: re.Pattern[str]) -> tuple[int, list[int]]:
        """The job and machine counts; after them, only numbers that ``extra`` matches."""
        if not self.lines:
            raise InvalidInput(f"{self.path}: the file has no data (only blanks or comments)")
        number, tokens = self.lines[0]
        values = self.ints((number, tokens[:2])) if len(tokens) >= 2 else []
        if len(values) < 2 or min(values) < minimum:
            raise self.fail(number, "the header must start with the job and machine counts (>0)")
        for token in tokens[2:]:
            if not extra.fullmatch(token):
                raise self.fail(number, f"unexpected {token!r} in the header after the counts")
        return number, values

    def body(self, jobs: int, header_line: int) -> list[Line]:
        rows = self.lines[1 : 1 + jobs]
        if len(rows) < jobs:
            last = self.lines[-1][0] if self.lines else header_line
            raise self.fail(last, f"the header announces {jobs} jobs, found {len(rows)}")
        return rows

    def time(self, line: int, value: int) -> int:
        if value < 0:
            raise self.fail(line, f"processing time {value} is negative")
        return value


def read_jssp(path: Path) -> Instance:
    """Read a job shop file in the OR-Library standard layout or Taillard's layout."""
    reader = _Reader(path)
    header_line, (n_jobs, n_machines) = reader.header(1, WHOLE)
    widths = {len(tokens) for _, tokens in reader.lines[1:]}
    if widths == {n_machines} and len(reader.lines) - 1 == 2 * n_jobs:
        jobs = _taillard_jobs(reader, n_jobs, n_machines)
    else:
        jobs = [
            _standard_job(reader, line, j, n_machines)
            for j, line in enumerate(reader.body(n_jobs, header_line))
        ]
        _no_trailing_data(reader, 1 + n_jobs)
    machines = tuple(Machine(f"m{m}") for m in range(n_machines))
    return Instance(path.stem, tuple(jobs), machines)


def _standard_job(reader: _Reader, line: Line, j: int, n_machines: int) -> Job:
    number = line[0]
    values = reader.ints(line)
    if len(values) != 2 * n_machines:
        raise reader.fail(
            number,
            f"job {j} has {len(values)} numbers, expected "
            f"{2 * n_machines} (one machine and one time per machine)",
        )
    steps = []
    for k in range(n_machines):
        machine, time = values[2 * k], reader.time(number, values[2 * k + 1])
        if not 0 <= machine < n_machines:
            raise reader.fail(number, f"machine {machine} is outside 0..{n_machines - 1}")
        steps.append((f"m{machine}", time))
    return _job(j, [{m: t} for m, t in steps])


def _taillard_jobs(reader: _Reader, n_jobs: int, n_machines: int) -> list[Job]:
    times = reader.lines[1 : 1 + n_jobs]
    orders = reader.lines[1 + n_jobs : 1 + 2 * n_jobs]
    jobs = []
    for j, (time_line, order_line) in enumerate(zip(times, orders, strict=False)):
        durations = [reader.time(time_line[0], t) for t in reader.ints(time_line)]
        machines = reader.ints(order_line)
        for machine in machines:
            if not 1 <= machine <= n_machines:
                raise reader.fail(order_line[0], f"machine {machine} is outside 1..{n_machines}")
        jobs.append(_job(j, [{f"m{m - 1}": t} for m, t in zip(machines, durations, strict=False)]))
    return jobs


def read_fjs(path: Path) -> Instance:
    """Read a flexible job shop file in Brandimarte's ``.fjs`` layout (machines from 1)."""
    reader = _Reader(path)
    header_line, (n_jobs, n_machines) = reader.header(1, DECIMAL)
    jobs = [
        _fjs_job(reader, line, j, n_machines)
        for j, line in enumerate(reader.body(n_jobs, header_line))
    ]
    _no_trailing_data(reader, 1 + n_jobs)
    machines = tuple(Machine(f"m{m}") for m in range(1, n_machines + 1))
    return Instance(path.stem, tuple(jobs), machines)


def _fjs_job(reader: _Reader, line: Line, j: int, n_machines: int) -> Job:
    number = line[0]
    tokens = iter(reader.ints(line))

    def take(what: str) -> int:
        try:
            return next(tokens)
        except StopIteration:
            raise reader.fail(number, f"job {j} ends early: missing {what}") from None

    steps = []
    operations = take("the number of operations")
    if operations < 1:
        raise reader.fail(number, f"job {j} has {operations} operations: it needs one at least")
    for k in range(operations):
        alternatives: dict[str, int] = {}
        count = take(f"the number of machines of operation {k + 1}")
        if count < 1:
            raise reader.fail(number, f"operation {k + 1} of job {j} has no machine")
        for _ in range(count):
            machine = take(f"a machine of operation {k + 1}")
            time = reader.time(number, take(f"a processing time of operation {k + 1}"))
            if not 1 <= machine <= n_machines:
                raise reader.fail(number, f"machine {machine} is outside 1..{n_machines}")
            if f"m{machine}" in alternatives:
                raise reader.fail(
                    number, f"machine {machine} is listed twice for operation {k + 1} of job {j}"
                )
            alternatives[f"m{machine}"] = time
        steps.append(alternatives)
    if next(tokens, None) is not None:
        raise reader.fail(number, f"job {j} has numbers after its last operation")
    return _job(j, steps)


def _no_trailing_data(reader: _Reader, used: int) -> None:
    if len(reader.lines) > used:
        number, tokens = reader.lines[used]
        raise reader.fail(number, f"unexpected data after the last job: {' '.join(tokens[:4])}")


def _job(j: int, steps: list[dict[str, int]]) -> Job:
    job_id = f"j{j}"
    operations = tuple(
        Operation(f"{job_id}.{k}", job_id, durations) for k, durations in enumerate(steps)
    )
    return Job(job_id, operations)


def solution_scores(instance: Instance, solution: Solution) -> dict[str, int]:
    """What a schedule scores: the objective and each criterion."""
    scores = score(instance, solution.schedule)
    return {
        "objective": solution.objective,
        "makespan": scores.makespan,
        "tardiness": scores.tardiness,
        "changeover": scores.changeover,
    }


def solution_to_json(instance: Instance, solution: Solution) -> dict[str, Any]:
    """The schedule and its scores as plain JSON data."""
    return {
        "instance": instance.name,
        "solver": solution.solver,
        "status": solution.status,
        **solution_scores(instance, solution),
        "lower_bound": solution.lower_bound,
        "seconds": round(solution.seconds, 3),
        "assignments": list(_assignment_rows(instance, solution)),
    }


def _assignment_rows(instance: Instance, solution: Solution) -> Iterator[dict[str, Any]]:
    for a in sorted(solution.schedule.assignments, key=lambda a: (a.machine, a.start)):
        op = instance.operations[a.operation]
        yield {
            "operation": a.operation,
            "job": op.job,
            "machine": a.machine,
            "start": a.start,
            "end": a.end,
            "family": op.family,
            "batch": a.batch,
            "operator": a.operator,
        }


def write_solution(path: Path, instance: Instance, solution: Solution) -> None:
    """Write the schedule JSON to a file."""
    path.write_text(json.dumps(solution_to_json(instance, solution), indent=1) + "\n")
