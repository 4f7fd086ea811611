"""``microfab schedule solve|gantt|repair|example``: solve a benchmark or whole-factory file,
check the schedule, show or draw it, repair it after a breakdown or rush orders; write an
example factory to start a file from."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from microfab.cli.common import console, err_console, user_errors
from microfab.errors import InvalidInput
from microfab.scheduling.checker import check
from microfab.scheduling.formats import SUFFIXES, read_instance, solution_scores, write_solution
from microfab.scheduling.gantt import gantt_html, gantt_rows, gantt_svg
from microfab.scheduling.instance_file import LARGEST, read_with_rush, write_instance_json
from microfab.scheduling.model import Instance, Job, NoStart, Solution

schedule_app = typer.Typer(help="Solve and draw job-shop schedules.", no_args_is_help=True)


class Format(StrEnum):
    JSSP = "jssp"
    FJSP = "fjsp"
    JSON = "json"


FileArgument = Annotated[
    Path,
    typer.Argument(
        help="Job shop (.txt), flexible job shop (.fjs) or whole-factory (.json) file",
        show_default=False,
    ),
]
FormatOption = Annotated[
    Format | None, typer.Option("--format", help="File format; default: from the suffix")
]
TimeOption = Annotated[float, typer.Option("--time-limit", min=0.1, help="Seconds to search")]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="CP-SAT worker threads")]


@schedule_app.command("solve")
@user_errors
def solve_command(
    file: FileArgument,
    fmt: FormatOption = None,
    time_limit: TimeOption = 30.0,
    workers: WorkersOption = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the schedule as JSON")
    ] = None,
) -> None:
    """Solve a file, check the schedule, print makespan, lower bound, status and time."""
    if output is not None:
        _writable(output, (".json",), ".json (the schedule as JSON)", inputs=(file,))
    instance, solution = _solve(file, fmt, time_limit, workers)
    if output is not None:
        _write(output, lambda: write_solution(output, instance, solution))
    scores = solution_scores(instance, solution)
    summary = {
        "instance": instance.name,
        **scores,
        "lower_bound": solution.lower_bound,
        "status": solution.status,
        "gap": round(solution.gap, 6),
        "seconds": round(solution.seconds, 3),
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    if instance.is_plain:
        console.print(
            f"{instance.name}: makespan {scores['makespan']}, lower bound {solution.lower_bound}, "
            f"{solution.status}, {summary['seconds']} s",
            markup=False,
            soft_wrap=True,
        )
        return
    order = instance.objective.lexicographic
    # in an order of criteria, the objective and its bound are the first criterion's
    first = f" ({order[0]}, the first of {', '.join(order)})" if order else ""
    console.print(
        f"{instance.name}: objective {solution.objective}{first}, lower bound "
        f"{solution.lower_bound}, {solution.status}, {summary['seconds']} s; makespan "
        f"{scores['makespan']}, weighted "
        f"tardiness {scores['tardiness']}, changeover {scores['changeover']}",
        markup=False,
        soft_wrap=True,
    )


@schedule_app.command("repair")
@user_errors
def repair_command(
    file: FileArgument,
    at: Annotated[
        int,
        typer.Option("--at", min=0, max=LARGEST, help="When it happens, in the file's time units"),
    ],
    broken: Annotated[
        str | None, typer.Option("--broken", help="The machine that breaks down then")
    ] = None,
    back: Annotated[
        int | None,
        typer.Option(
            "--back", min=1, max=LARGEST, help="When the machine is back; left out, for good"
        ),
    ] = None,
    rush: Annotated[
        Path | None,
        typer.Option(
            "--rush",
            help='A .json file of orders that arrive then: {"jobs": [...]}, as in a '
            "whole-factory file (which FILE must then be)",
        ),
    ] = None,
    fmt: FormatOption = None,
    time_limit: TimeOption = 30.0,
    budget: Annotated[
        float, typer.Option("--budget", min=0.1, max=3600, help="Seconds for the repair")
    ] = 1.0,
    workers: WorkersOption = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Also write the repaired schedule as JSON"),
    ] = None,
) -> None:
    """What if a machine breaks down or rush orders arrive: plan the file, then repair the plan
    at --at as the service does (work under way stays put) and print what changed."""
    if broken is None and rush is None:
        raise InvalidInput("say what happens at --at: --broken MACHINE, --rush FILE, or both")
    if output is not None:
        inputs = (file,) if rush is None else (file, rush)
        _writable(output, (".json",), ".json (the repaired schedule as JSON)", inputs)
    rush_jobs: tuple[Job, ...] = ()
    if rush is not None:
        if (fmt.value if fmt else SUFFIXES.get(file.suffix.lower())) != "json":
            raise InvalidInput(f"--rush needs a whole-factory .json file, not {file.name}")
        instance, rush_jobs = read_with_rush(file, rush)
    else:
        instance = read_instance(file, fmt.value if fmt else None)
    plan = _solved(file, instance, time_limit, workers)
    from microfab.scheduling.repair import Disruption, repair

    disruption = Disruption(at, broken, back, rush_jobs)
    try:
        changed, fixed = repair(instance, plan.schedule, disruption, budget, workers)
    except NoStart as exc:
        raise InvalidInput(
            f"{file}: no repaired schedule fits its shifts and calendars: {exc}"
        ) from None
    if fixed.status == "invalid":
        raise InvalidInput(f"{file}: CP-SAT refused the repaired model as invalid; check --at")
    _checked(changed, fixed)
    if output is not None:
        _write(output, lambda: write_solution(output, changed, fixed))
    was = plan.schedule.of
    moved = sum(
        1
        for a in fixed.schedule.assignments
        if a.operation in was
        and (was[a.operation].machine, was[a.operation].start) != (a.machine, a.start)
    )
    before, after = solution_scores(instance, plan), solution_scores(changed, fixed)
    summary = {
        "instance": instance.name,
        "before": before,
        "after": after,
        "moved": moved,
        "rush_jobs": len(rush_jobs),
        "solver": fixed.solver,
        "status": fixed.status,
        "seconds": round(fixed.seconds, 3),
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console.print(
        f"{instance.name}: repaired in {summary['seconds']} s ({fixed.solver}, {fixed.status}); "
        f"objective {before['objective']} -> {after['objective']}, makespan "
        f"{before['makespan']} -> {after['makespan']}; {moved} operations moved",
        markup=False,
        soft_wrap=True,
    )


@schedule_app.command("example")
@user_errors
def example_command(
    output: Annotated[Path, typer.Argument(help="The .json file to write", show_default=False)],
    orders: Annotated[int, typer.Option(min=1, max=5000, help="Orders (jobs)")] = 320,
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same factory")] = 0,
    days: Annotated[int, typer.Option(min=2, max=60, help="Days the due dates spread over")] = 3,
) -> None:
    """Write a seeded print farm as a whole-factory .json file, to solve or to start from:
    16 printers of 3 kinds with colour changeovers and maintenance, finishing and packing
    benches, two shifts of people, due dates and the objective."""
    _writable(output, (".json",), ".json (the factory's problem as JSON)", label="")
    from microfab.scheduling.factory_instance import factory_instance

    instance = factory_instance(orders, seed, days)
    _write(output, lambda: write_instance_json(output, instance))
    console.print(
        f"wrote {output}: {len(instance.jobs)} orders, {len(instance.operations)} operations, "
        f"{len(instance.machines)} machines, {len(instance.operators)} people",
        markup=False,
        soft_wrap=True,
    )


@schedule_app.command("gantt")
@user_errors
def gantt_command(
    file: FileArgument,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write: .html, .svg, or .json (one row of bars per machine)",
        ),
    ],
    fmt: FormatOption = None,
    time_limit: TimeOption = 5.0,
    workers: WorkersOption = 2,
) -> None:
    """Solve a file and draw the schedule: an HTML page, an SVG image, or JSON rows."""
    writers = {".html": gantt_html, ".htm": gantt_html, ".svg": gantt_svg}
    suffix = output.suffix.lower()
    _writable(output, (*writers, ".json"), ".html (a page), .svg (an image) or .json", (file,))
    instance, solution = _solve(file, fmt, time_limit, workers)
    if suffix == ".json":
        rows = {"instance": instance.name, "rows": gantt_rows(instance, solution.schedule)}
        text = json.dumps(rows, indent=1) + "\n"
    else:
        text = writers[suffix](instance, solution.schedule)
    _write(output, lambda: output.write_text(text, encoding="utf-8"))
    console.print(
        f"wrote {output} (makespan {solution.schedule.makespan})", markup=False, soft_wrap=True
    )


def _writable(
    output: Path,
    suffixes: tuple[str, ...],
    names: str,
    inputs: tuple[Path, ...] = (),
    label: str = "--output ",
) -> None:
    """Refuse, before any solving, an output file of another kind, in no folder, or that is
    one of the ``inputs`` (writing it would destroy the problem it was solved from)."""
    if output.suffix.lower() not in suffixes:
        raise InvalidInput(f"{label}{output.name}: name the file {names}")
    if output.is_dir():
        raise InvalidInput(f"{label}{output}: is a folder; give a file name in it")
    if not output.parent.is_dir():
        raise InvalidInput(f"{label}{output}: folder {output.parent} does not exist")
    if any(_same_file(output, p) for p in inputs):
        raise InvalidInput(f"{label}{output}: that is an input file; name another file")


def _same_file(output: Path, source: Path) -> bool:
    """Whether writing ``output`` would write over ``source`` (a link to it counts)."""
    try:
        return output.samefile(source)
    except OSError:  # no such file yet
        return False


def _write(output: Path, write: Callable[[], object]) -> None:
    """Write the output, or say in one line why the file could not be written."""
    try:
        write()
    except OSError as exc:
        raise InvalidInput(f"--output {output}: cannot write it ({exc.strerror})") from None


def _solve(
    file: Path, fmt: Format | None, time_limit: float, workers: int
) -> tuple[Instance, Solution]:
    instance = read_instance(file, fmt.value if fmt else None)
    return instance, _solved(file, instance, time_limit, workers)


def _solved(file: Path, instance: Instance, time_limit: float, workers: int) -> Solution:
    if not math.isfinite(time_limit):
        raise InvalidInput(f"--time-limit {time_limit}: give a number of seconds, such as 30")
    # Imported here: OR-Tools takes about 0.3 s to import, which every other command would pay.
    from microfab.scheduling.cpsat import Settings, solve

    try:
        solution = solve(instance, Settings(time_limit=time_limit, workers=workers))
    except NoStart as exc:
        raise InvalidInput(f"{file}: no schedule fits its shifts and calendars: {exc}") from None
    if solution.status == "invalid":  # the readers keep numbers in range; this says if not
        raise InvalidInput(f"{file}: CP-SAT refused the model as invalid; check its numbers")
    _checked(instance, solution)
    return solution


def _checked(instance: Instance, solution: Solution) -> None:
    """Exit 1, naming the first violations, if the checker refuses the schedule."""
    violations = check(instance, solution.schedule)
    if violations:
        for v in violations[:10]:
            err_console.print(f"infeasible schedule: {v}", highlight=False, markup=False)
        raise typer.Exit(1)
