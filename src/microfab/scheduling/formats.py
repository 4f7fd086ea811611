"""Readers of the standard benchmark files and the JSON form of a schedule (a whole factory's
problem as JSON is ``instance_file``'s).

Job shop files come in the OR-Library "standard" layout (``jobs machines`` then one line per job
of ``machine time`` pairs, machines from 0) or in Taillard's layout (a matrix of times, then a
matrix of machines from 1), bare or as he distributes it, with a titled header and ``Times`` and
``Machines`` lines. Flexible job shop files use Brandimarte's ``.fjs`` layout. Lines starting
with ``#`` are comments. Every defect raises ``InvalidInput`` naming the file, the line and what
was wrong; jobs and operations are counted from 1 there, as a person reads the file.
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
Route = list[dict[int, int]]
"""A flexible job's operations, each as its machines (numbered as in the file) and times."""

# Whole numbers in ASCII digits (int() would take "1_0", "+3" and other scripts' digits too).
WHOLE = re.compile(r"-?[0-9]+")
# Taillard's headers go on with seeds and bounds; Brandimarte's with the mean machines per
# operation, which may have decimals.
DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
SUFFIXES = {".fjs": "fjsp", ".json": "json"}
"""The format a file's suffix implies; anything else is read as a job shop."""
# The largest number read: CP-SAT's domains hold times up to 2**62 in all.
LARGEST = 10**9
# The first word of the lines that title Taillard's instances ("Nb of jobs, Nb of Machines,
# Time seed, ...") and their two matrices.
TAILLARD_TITLES = ("nb", "times", "machines")
# Taillard's flow-shop and open-shop files start "number of jobs, number of machines, ...";
# only the open shop's have a matrix of machines after the times.
FLOW_SHOP = (
    "this is the title of Taillard's flow-shop files, not a job shop's: a flow shop is a job "
    "shop whose jobs visit the machines in one order, so write it in the job shop layout (a "
    "line per job of 'machine time' pairs)"
)
OPEN_SHOP = (
    "this is the title of Taillard's open-shop files, not a job shop's: in an open shop a job "
    "visits its machines in any order, which neither a job shop nor a flexible job shop file "
    "can say"
)


def read_instance(path: Path, fmt: str | None = None) -> Instance:
    """Read a job shop (``jssp``), flexible job shop (``fjsp``) or whole-factory JSON
    (``json``, see ``instance_file``) file; guess from the suffix.

    A benchmark file that fails in the format asked for but plausibly is in the other one says so.
    """
    readers = {"jssp": read_jssp, "fjsp": read_fjs, "json": read_instance_json}
    fmt = fmt or SUFFIXES.get(path.suffix.lower(), "jssp")
    if fmt not in readers:
        raise InvalidInput(f"unknown format {fmt!r}: use 'jssp', 'fjsp' or 'json'")
    try:
        return readers[fmt](path)
    except InvalidInput as exc:
        other = None if fmt == "json" else _plausible_other_format(path, fmt)
        if other is None:
            raise
        raise InvalidInput(f"{exc.message} (the file reads as {other}: try that format)") from None


def _plausible_other_format(path: Path, fmt: str) -> str | None:
    """The other benchmark format if the file reads in it and may well be in it: its suffix does
    not claim ``fmt``, and as a job shop each job visits each machine once. A flexible job shop
    file with a typo can read as a job shop, but hardly as one of that shape."""
    if SUFFIXES.get(path.suffix.lower()) == fmt:
        return None
    other = "fjsp" if fmt == "jssp" else "jssp"
    try:
        instance = read_fjs(path) if other == "fjsp" else read_jssp(path)
    except InvalidInput:
        return None
    if other == "jssp" and not _visits_each_machine_once(instance):
        return None
    return other


def _visits_each_machine_once(instance: Instance) -> bool:
    machines = sorted(m.id for m in instance.machines)
    return all(
        sorted(m for op in job.operations for m in op.durations) == machines
        for job in instance.jobs
    )


def _lines(path: Path) -> list[Line]:
    try:
        # utf-8-sig drops the byte-order mark Windows editors put first.
        text = path.read_text(encoding="utf-8-sig")
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

    def header(self, minimum: int, extra: re.Pattern[str], at: int = 0) -> tuple[int, list[int]]:
        """The job and machine counts on the ``at``-th line; after them, only numbers that
        ``extra`` matches."""
        if not self.lines:
            raise InvalidInput(f"{self.path}: the file has no data (only blanks or comments)")
        if at >= len(self.lines):
            raise self.fail(self.lines[-1][0], "the file ends before the job and machine counts")
        number, tokens = self.lines[at]
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
    """Read a job shop file in the OR-Library standard layout or Taillard's layout, bare or
    titled as he distributes it. A file holds one instance: Taillard's files of ten instances
    are refused where the second starts, to be split."""
    reader = _Reader(path)
    if reader.lines and reader.lines[0][1][0].lower() == "number":
        opens = any(t[0].lower().startswith("machines") for _, t in reader.lines[1:])
        shop = OPEN_SHOP if opens else FLOW_SHOP
        raise reader.fail(reader.lines[0][0], shop)
    if reader.lines and _taillard_title(reader.lines[0]) == "nb":
        n_machines, jobs = _titled_taillard_jobs(reader)
    else:
        n_machines, jobs = _counted_jobs(reader)
    machines = tuple(Machine(f"m{m}") for m in range(n_machines))
    return Instance(path.stem, tuple(jobs), machines)


def _taillard_title(line: Line) -> str | None:
    word = line[1][0].lower()
    return word if word in TAILLARD_TITLES else None


def _counted_jobs(reader: _Reader) -> tuple[int, list[Job]]:
    """The jobs after a bare ``jobs machines`` header: rows of pairs, or Taillard's matrices."""
    header_line, (n_jobs, n_machines) = reader.header(1, WHOLE)
    rows = reader.lines[1:]
    if {len(tokens) for _, tokens in rows} == {n_machines} and len(rows) == 2 * n_jobs:
        return n_machines, _taillard_jobs(reader, rows[:n_jobs], rows[n_jobs:], n_machines)
    jobs = [
        _standard_job(reader, line, j, n_machines)
        for j, line in enumerate(reader.body(n_jobs, header_line))
    ]
    _no_trailing_data(reader, 1 + n_jobs)
    return n_machines, jobs


def _standard_job(reader: _Reader, line: Line, j: int, n_machines: int) -> Job:
    number = line[0]
    values = reader.ints(line)
    if len(values) != 2 * n_machines:
        raise reader.fail(
            number,
            f"job {j + 1} has {len(values)} numbers, expected "
            f"{2 * n_machines} (one machine and one time per machine)",
        )
    steps = []
    for k in range(n_machines):
        machine, time = values[2 * k], reader.time(number, values[2 * k + 1])
        if not 0 <= machine < n_machines:
            raise reader.fail(number, f"machine {machine} is outside 0..{n_machines - 1}")
        steps.append((f"m{machine}", time))
    return _job(j, [{m: t} for m, t in steps])


def _titled_taillard_jobs(reader: _Reader) -> tuple[int, list[Job]]:
    """The jobs of Taillard's distributed layout: his title line, the counts (with seeds and
    bounds), ``Times`` and a row per job, ``Machines`` and a row per job."""
    _, (n_jobs, n_machines) = reader.header(1, WHOLE, at=1)
    times = _taillard_matrix(reader, 2, "Times", n_jobs)
    machines = _taillard_matrix(reader, 3 + n_jobs, "Machines", n_jobs)
    end = 4 + 2 * n_jobs
    if end < len(reader.lines) and _taillard_title(reader.lines[end]) == "nb":
        raise reader.fail(
            reader.lines[end][0], "a second instance starts here: split the file, one per instance"
        )
    _no_trailing_data(reader, end)
    return n_machines, _taillard_jobs(reader, times, machines, n_machines)


def _taillard_matrix(reader: _Reader, at: int, title: str, n_jobs: int) -> list[Line]:
    """The rows of one job each under the line ``title``, the ``at``-th line."""
    if at >= len(reader.lines):
        raise reader.fail(reader.lines[-1][0], f"the file ends before the line {title!r}")
    number, tokens = reader.lines[at]
    if [t.lower() for t in tokens] != [title.lower()]:
        raise reader.fail(number, f"expected the line {title!r}, found {' '.join(tokens[:4])!r}")
    rows = reader.lines[at + 1 : at + 1 + n_jobs]
    found = next((i for i, row in enumerate(rows) if _taillard_title(row)), len(rows))
    if found < n_jobs:
        last = rows[found][0] if found < len(rows) else reader.lines[-1][0]
        raise reader.fail(
            last, f"the header announces {n_jobs} jobs, found the {title.lower()} of {found}"
        )
    return rows


def _taillard_jobs(
    reader: _Reader, times: list[Line], orders: list[Line], n_machines: int
) -> list[Job]:
    """Jobs from a row of times and a row of machines (from 1) each."""
    jobs = []
    for j, (time_line, order_line) in enumerate(zip(times, orders, strict=True)):
        row = _taillard_row(reader, time_line, j, n_machines, "times")
        durations = [reader.time(time_line[0], t) for t in row]
        machines = _taillard_row(reader, order_line, j, n_machines, "machines")
        for machine in machines:
            if not 1 <= machine <= n_machines:
                raise reader.fail(order_line[0], f"machine {machine} is outside 1..{n_machines}")
        jobs.append(_job(j, [{f"m{m - 1}": t} for m, t in zip(machines, durations, strict=True)]))
    return jobs


def _taillard_row(reader: _Reader, line: Line, j: int, n_machines: int, what: str) -> list[int]:
    """One job's row of a matrix: its times or its machines, one per machine."""
    values = reader.ints(line)
    if len(values) != n_machines:
        raise reader.fail(
            line[0],
            f"job {j + 1} has {len(values)} {what}, expected {n_machines} (one per machine)",
        )
    return values


def read_fjs(path: Path) -> Instance:
    """Read a flexible job shop file in Brandimarte's ``.fjs`` layout (machines from 1)."""
    reader = _Reader(path)
    header_line, (n_jobs, n_machines) = reader.header(1, DECIMAL)
    routes = [
        _fjs_route(reader, line, j, n_machines)
        for j, line in enumerate(reader.body(n_jobs, header_line))
    ]
    _no_trailing_data(reader, 1 + n_jobs)
    _check_machine_count(reader, header_line, n_machines, routes)
    jobs = [
        _job(j, [{f"m{m}": t for m, t in step.items()} for step in route])
        for j, route in enumerate(routes)
    ]
    machines = tuple(Machine(f"m{m}") for m in range(1, n_machines + 1))
    return Instance(path.stem, tuple(jobs), machines)


def _fjs_route(reader: _Reader, line: Line, j: int, n_machines: int) -> Route:
    number = line[0]
    tokens = iter(reader.ints(line))

    def take(what: str) -> int:
        try:
            return next(tokens)
        except StopIteration:
            raise reader.fail(number, f"job {j + 1} ends early: missing {what}") from None

    route = []
    operations = take("the number of operations")
    if operations < 1:
        raise reader.fail(number, f"job {j + 1} has {operations} operations: it needs one at least")
    for k in range(operations):
        alternatives: dict[int, int] = {}
        count = take(f"the number of machines of operation {k + 1}")
        if count < 1:
            raise reader.fail(number, f"operation {k + 1} of job {j + 1} has no machine")
        for _ in range(count):
            machine = take(f"a machine of operation {k + 1}")
            time = reader.time(number, take(f"a processing time of operation {k + 1}"))
            if not 1 <= machine <= n_machines:
                raise reader.fail(number, f"machine {machine} is outside 1..{n_machines}")
            if machine in alternatives:
                raise reader.fail(
                    number,
                    f"machine {machine} is listed twice for operation {k + 1} of job {j + 1}",
                )
            alternatives[machine] = time
        route.append(alternatives)
    if next(tokens, None) is not None:
        raise reader.fail(number, f"job {j + 1} has numbers after its last operation")
    return route


def _check_machine_count(reader: _Reader, line: int, n_machines: int, routes: list[Route]) -> None:
    """Refuse more machines than the jobs list machine choices: a typo, and a costly one (a
    header of three million machines took 10 s and 670 MB to read, 214 s and 2.1 GB to solve).
    As in a job shop file, whose rows hold a step per machine, the data bounds the count;
    machines no job uses are kept (mk06 and mk10 declare 15 and use fewer)."""
    choices = [m for route in routes for step in route for m in step]
    if n_machines > len(choices):
        plural = "" if len(choices) == 1 else "s"
        raise reader.fail(
            line,
            f"the header announces {n_machines:,} machines but the jobs list {len(choices)} "
            f"machine choice{plural} in all: set the count to the machines the shop has (the "
            f"jobs use machines up to {max(choices)})",
        )


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
    path.write_text(json.dumps(solution_to_json(instance, solution), indent=1) + "\n", "utf-8")
