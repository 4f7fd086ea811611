"""A whole factory's problem as JSON: read, written back, solved, and refused when wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from microfab.cli.schedule import schedule_app
from microfab.errors import InvalidInput
from microfab.scheduling.checker import check
from microfab.scheduling.cpsat import Settings, solve
from microfab.scheduling.factory_instance import factory_instance
from microfab.scheduling.formats import read_instance
from microfab.scheduling.instance_file import instance_from_json, instance_to_json
from microfab.scheduling.model import Criterion, score
from microfab.scheduling.rules import best_dispatch

runner = CliRunner()


def small_shop() -> dict[str, Any]:
    """Four prints of two colours on one printer (10 to change colour, serviced 0-10), a job
    packed by a person on shift from 100, and two parts for a two-place oven from 120.

    Best: the printer groups colours (one changeover: 10 + 80 + 10 = 100), the packing runs
    100-130, the oven bakes both parts in one run, 120-135: makespan 135 + changeover 10."""
    prints = [
        {"id": f"p{k}", "operations": [{"id": f"p{k}.print", "durations": {"printer": 20},
                                         "family": colour}]}
        for k, colour in enumerate(["red", "blue", "red", "blue"])
    ]  # fmt: skip
    pack = {"id": "gift", "operations": [
        {"id": "gift.pack", "durations": {"bench": 30}, "skill": "pack"}]}  # fmt: skip
    bakes = [
        {"id": f"c{k}", "release": 120, "operations": [
            {"id": f"c{k}.bake", "durations": {"oven": 15}}]}
        for k in range(2)
    ]  # fmt: skip
    return {
        "name": "small-shop",
        "objective": {"weights": {"makespan": 1, "changeover": 1}},
        "machines": [
            {"id": "printer", "changeover": 10, "unavailable": [{"start": 0, "end": 10}]},
            {"id": "bench"},
            {"id": "oven", "capacity": 2},
        ],
        "operators": [{"id": "ana", "skills": ["pack"], "shifts": [{"start": 100, "end": 200}]}],
        "jobs": [*prints, pack, *bakes],
    }


def test_a_small_shop_is_solved_to_its_optimum() -> None:
    instance = instance_from_json(small_shop())
    solution = solve(instance, Settings(time_limit=10))
    assert check(instance, solution.schedule) == []
    assert solution.status == "optimal"
    assert solution.objective == solution.lower_bound == 145
    assert score(instance, solution.schedule).changeover == 10
    baked = [a for a in solution.schedule.assignments if a.machine == "oven"]
    assert {a.start for a in baked} == {120}, "both parts in one run"


def test_the_print_farm_reads_back_as_the_same_problem() -> None:
    farm = factory_instance(orders=40, seed=3)
    back = instance_from_json(json.loads(json.dumps(instance_to_json(farm))))
    assert back.jobs == farm.jobs
    assert back.operators == farm.operators
    assert back.objective == farm.objective
    for before, after in zip(farm.machines, back.machines, strict=True):
        assert (after.id, after.capacity, after.setup) == (before.id, before.capacity, before.setup)
        assert after.unavailable == before.unavailable
        families = {op.family for op in farm.iter_operations() if before.id in op.durations}
        for a in families | {before.setup}:
            for b in families:
                assert after.changeover(a, b) == before.changeover(a, b), (before.id, a, b)
    schedule = best_dispatch(farm)
    assert score(back, schedule) == score(farm, schedule)
    assert check(back, schedule) == []


def test_a_lexicographic_objective_reads_back() -> None:
    doc = small_shop()
    doc["objective"] = {"lexicographic": ["changeover", "makespan"]}
    instance = instance_from_json(doc)
    assert instance.objective.lexicographic == (Criterion.CHANGEOVER, Criterion.MAKESPAN)
    assert instance_to_json(instance)["objective"] == doc["objective"]


def test_pairs_set_apart_override_the_machines_changeover() -> None:
    doc = small_shop()
    doc["machines"][0]["changeovers"] = [{"from": "red", "to": "blue", "time": 0}]
    printer = instance_from_json(doc).machine["printer"]
    assert printer.changeover("red", "blue") == 0
    assert printer.changeover("blue", "red") == 10


GONE = object()
"""Put at a place in a document: take the field out."""


def broken(place: tuple[str | int, ...], value: object) -> dict[str, Any]:
    """The small shop with ``value`` put at ``place`` (a path of keys and indexes)."""
    doc = copy.deepcopy(small_shop())
    *parents, last = place
    holder: Any = doc
    for key in parents:
        holder = holder[key]
    if value is GONE:
        del holder[last]
    else:
        holder[last] = value
    return doc


OP = ("jobs", 0, "operations", 0)


@pytest.mark.parametrize(
    ("place", "value", "message"),
    [
        (("jobs", 1, "operations", 0, "durations"), {"p9": 5},
         "jobs[1].operations[0].durations: machine 'p9' is not in machines"),
        (("jobs", 4, "operations", 0, "skill"), "sew",
         "jobs[4].operations[0].skill: no operator has the skill 'sew'"),
        (("jobs", 0, "id"), "p1", "jobs: the id 'p1' is used twice"),
        ((*OP, "id"), "p1.print", "operations: the id 'p1.print' is used twice"),
        (("machines", 0, "unavailable"), [{"start": 10, "end": 10}],
         "machines[0].unavailable[0]: ends at 10, not after its start 10"),
        ((*OP, "durations", "printer"), -1,
         "jobs[0].operations[0].durations.printer: Input should be greater than or equal to 0"),
        ((*OP, "durations", "printer"), 2.5,
         "jobs[0].operations[0].durations.printer: Input should be a valid integer"),
        (("jobs", 0, "due"), True, "jobs[0].due: Input should be a valid integer"),
        ((*OP, "attended"), 5,
         "jobs[0].operations[0]: attended is the time a person is needed: give the skill too"),
        (("objective",), {"weights": {"speed": 1}},
         "objective.weights: key 'speed': Input should be 'makespan', 'tardiness' or"),
        (("objective",), {}, "objective: give either weights or lexicographic"),
        (("objective",), {"weights": {"makespan": 0}},
         "objective: weights: give at least one criterion a weight above 0"),
        (("machines", 0, "colour"), "red", "machines[0].colour: unknown field"),
        (("jobs",), GONE, "jobs: required field is missing"),
        (("version",), 2, "version: version 2 is unknown: this microfab reads version 1"),
        (("machines", 0, "changeovers"), [{"from": "red", "to": "red", "time": 3}],
         "a changeover from 'red' to itself takes no time"),
        (("version",), True, "version: Input should be a valid integer"),
        (("jobs", 0, "weight"), 10**7, "jobs[0].weight: Input should be less than or equal to"),
        (("objective",), {"weights": {"tardiness": 10**6}, "lexicographic": ["makespan"]},
         "objective: give either weights or lexicographic"),
        (("jobs",), [{"id": f"j{k}", "weight": 10**6, "due": 0, "operations": [
            {"id": f"o{k}", "durations": {"printer": 10**9}}]} for k in range(200)],
         "too large for the solver's 64-bit numbers: count time in a coarser unit"),
        (("jobs",), [{"id": f"j{k}", "operations": [
            {"id": f"o{k}", "durations": {"printer": 1}, "family": f"f{k}"}]} for k in range(201)],
         "machines[0]: its work has 201 setup families; at most 200 are supported"),
        (("jobs", 4, "operations", 0, "attended"), 31,
         "jobs[4].operations[0]: attended 31 is longer than the step itself (30 on bench)"),
    ],
)  # fmt: skip
def test_a_broken_file_is_refused_naming_the_place(
    place: tuple[str | int, ...], value: object, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        instance_from_json(broken(place, value), "shop.json")
    assert refused.value.message.startswith("shop.json: ")
    assert message in refused.value.message


def test_a_file_that_is_not_json_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "shop.json"
    path.write_text('{\n "name": "x",\n "jobs": [\n')
    with pytest.raises(InvalidInput, match=r"shop.json: line 4, column 1: not JSON"):
        read_instance(path)


def test_the_cli_writes_an_example_and_solves_it(tmp_path: Path) -> None:
    farm = tmp_path / "farm.json"
    written = runner.invoke(schedule_app, ["example", str(farm), "--orders", "30", "--seed", "2"])
    assert written.exit_code == 0, written.output
    assert "30 orders, 90 operations" in " ".join(written.stdout.split())
    solved = runner.invoke(schedule_app, ["solve", str(farm), "--json", "--time-limit", "2"])
    assert solved.exit_code == 0, solved.output
    summary = json.loads(solved.stdout)
    assert summary["instance"] == "factory-30-s2"
    assert summary["objective"] == 4 * summary["tardiness"] + summary["changeover"]
    assert summary["lower_bound"] <= summary["objective"]


def test_the_cli_refuses_a_broken_file_in_one_line(tmp_path: Path) -> None:
    shop = tmp_path / "shop.json"
    shop.write_text(json.dumps(broken((*OP, "durations"), {})))
    result = runner.invoke(schedule_app, ["solve", str(shop)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "jobs[0].operations[0].durations: Dictionary should have at least 1 item" in lines[0]


def test_the_cli_shows_brackets_in_a_message_as_written(tmp_path: Path) -> None:
    """Rich reads "[key]" as a style: the one-line error must show it as it is."""
    shop = tmp_path / "shop[key].json"
    shop.write_text("{")
    result = runner.invoke(schedule_app, ["solve", str(shop)])
    assert result.exit_code == 2
    assert "shop[key].json: line 1, column 2: not JSON" in result.stderr


def test_the_small_file_in_the_docs_reads_and_solves() -> None:
    docs = Path(__file__).parents[3] / "docs" / "scheduling.md"
    text = docs.read_text(encoding="utf-8").split("A small file:\n\n```json\n", 1)[1]
    instance = instance_from_json(json.loads(text.split("```", 1)[0]), "docs")
    solution = solve(instance, Settings(time_limit=5))
    assert check(instance, solution.schedule) == []
    assert solution.status == "optimal"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": "a", "name": "b"}', "the key 'name' is given twice in one object"),
        ('{"machines": [{"id": "m", "changeover": ' + "9" * 5000 + "}]}",
         "not a JSON file microfab can read"),
        ("[" * 100_000 + "]" * 100_000, "not a JSON file microfab can read"),
    ],
)  # fmt: skip
def test_json_that_would_mislead_or_break_the_reader_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "shop.json"
    path.write_text(text, "utf-8")
    with pytest.raises(InvalidInput, match=message):
        read_instance(path)


def test_a_byte_order_mark_is_read_past(tmp_path: Path) -> None:
    path = tmp_path / "shop.json"
    path.write_text("\ufeff" + json.dumps(small_shop()), encoding="utf-8")
    assert read_instance(path).name == "small-shop"


def test_the_cli_says_in_one_line_when_no_shift_can_hold_a_step(tmp_path: Path) -> None:
    shop = tmp_path / "shop.json"
    shop.write_text(json.dumps(broken(("operators", 0, "shifts"), [{"start": 0, "end": 10}])))
    result = runner.invoke(schedule_app, ["solve", str(shop), "--time-limit", "1"])
    assert result.exit_code == 2, result.output
    assert "no schedule fits its shifts and calendars" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_cli_prints_a_name_with_brackets_as_written(tmp_path: Path) -> None:
    shop = tmp_path / "shop.json"
    shop.write_text(json.dumps(broken(("name",), "[/bold] shop[red]")))
    result = runner.invoke(schedule_app, ["solve", str(shop), "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("[/bold] shop[red]: objective 145")


def write(tmp_path: Path, name: str, document: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def test_the_cli_repairs_a_plan_after_a_breakdown(tmp_path: Path) -> None:
    """The printer breaks at 30 and is back at 200: prints not started by then wait for it."""
    shop = write(tmp_path, "shop.json", small_shop())
    command = ["repair", shop, "--at", "30", "--broken", "printer", "--back", "200", "--json"]
    result = runner.invoke(schedule_app, [*command, "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["before"]["makespan"] == 135
    assert summary["after"]["makespan"] > 200
    assert summary["moved"] >= 2


def test_a_rush_order_of_a_new_colour_pays_the_printers_changeover(tmp_path: Path) -> None:
    """A green print arriving at 0 on a printer that changes colour in 10: the repaired plan
    counts the change to green and back, as the file's changeover says."""
    shop = write(tmp_path, "shop.json", small_shop())
    green = {"id": "rush", "operations": [
        {"id": "rush.print", "durations": {"printer": 20}, "family": "green"}]}  # fmt: skip
    rush = write(tmp_path, "rush.json", {"jobs": [green]})
    command = ["repair", shop, "--at", "0", "--rush", rush, "--json", "--time-limit", "5"]
    result = runner.invoke(schedule_app, command)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rush_jobs"] == 1
    assert summary["after"]["changeover"] >= 20  # three colours: two changes at least


@pytest.mark.parametrize(
    ("extra", "rush", "message"),
    [
        ([], None, "say what happens at --at: --broken MACHINE, --rush FILE, or both"),
        (["--broken", "printer", "--back", "20"], None, "machine back at 20, not after the"),
        (["--broken", "press"], None, "broken machine 'press' is not one of printer"),
        ([], {"jobs": [{"id": "r", "operations": [{"id": "r.1", "durations": {"lathe": 5}}]}]},
         "rush.json: jobs[0].operations[0].durations: machine 'lathe' is not in machines"),
        ([], {"jobs": [{"id": "p1", "operations": [{"id": "r.1", "durations": {"oven": 5}}]}]},
         "rush.json: jobs[0]: the id 'p1' is in the plan already"),
        (["--broken", "printer"], None, "only printer can do p"),  # which print: the plan says
        (["--broken", "printer", "--back", str(10**10)], None,
         "Invalid value for '--back': Input should be less than or equal to 1000000000"),
        (["--broken", "printer", "--budget", "inf"], None, "Invalid value for '--budget'"),
    ],
)  # fmt: skip
def test_the_cli_refuses_a_repair_it_cannot_make_in_one_line(
    tmp_path: Path, extra: list[str], rush: object, message: str
) -> None:
    shop = write(tmp_path, "shop.json", small_shop())
    more = ["--rush", write(tmp_path, "rush.json", rush)] if rush is not None else []
    command = ["repair", shop, "--at", "30", *extra, *more, "--time-limit", "2"]
    result = runner.invoke(schedule_app, command)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())


def test_rush_orders_need_a_whole_factory_file(tmp_path: Path, benchmarks: Path) -> None:
    rush = write(tmp_path, "rush.json", {"jobs": []})
    ft06 = str(benchmarks / "jssp" / "ft06.txt")
    result = runner.invoke(schedule_app, ["repair", ft06, "--at", "5", "--rush", rush])
    assert result.exit_code == 2
    assert "--rush needs a whole-factory .json file, not ft06.txt" in result.stderr


def test_a_machine_gone_for_good_gets_no_more_work(tmp_path: Path) -> None:
    """With a second printer, the first one's prints move there; before, the repair put
    them on the broken one after the end of its window."""
    doc = small_shop()
    doc["machines"].append({"id": "spare", "changeover": 10})
    for job in doc["jobs"][:4]:
        job["operations"][0]["durations"]["spare"] = 25
    shop = write(tmp_path, "shop.json", doc)
    out = tmp_path / "fixed.json"
    command = ["repair", shop, "--at", "30", "--broken", "printer", "-o", str(out)]
    result = runner.invoke(schedule_app, [*command, "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["assignments"]
    assert all(r["start"] < 30 for r in rows if r["machine"] == "printer")


def test_the_repair_will_not_write_over_its_input(tmp_path: Path) -> None:
    shop = write(tmp_path, "shop.json", small_shop())
    command = ["repair", shop, "--at", "30", "--broken", "printer", "--back", "99", "-o", shop]
    result = runner.invoke(schedule_app, command)
    assert result.exit_code == 2
    assert "that is an input file" in result.stderr
    assert json.loads(Path(shop).read_text())["name"] == "small-shop"


@pytest.mark.parametrize("command", ["solve", "gantt"])
def test_solve_and_gantt_will_not_write_over_their_input(tmp_path: Path, command: str) -> None:
    shop = write(tmp_path, "shop.json", small_shop())
    result = runner.invoke(schedule_app, [command, shop, "-o", shop, "--time-limit", "1"])
    assert result.exit_code == 2
    assert "that is an input file" in result.stderr
    assert json.loads(Path(shop).read_text())["name"] == "small-shop"


def test_the_summary_is_one_line_however_narrow_the_terminal(tmp_path: Path) -> None:
    shop = write(tmp_path, "shop.json", small_shop())
    result = runner.invoke(schedule_app, ["solve", shop, "--time-limit", "1"], terminal_width=40)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1


def test_the_summary_names_the_criterion_an_order_of_criteria_reports(tmp_path: Path) -> None:
    doc = small_shop()
    doc["objective"] = {"lexicographic": ["changeover", "makespan"]}
    shop = write(tmp_path, "shop.json", doc)
    result = runner.invoke(schedule_app, ["solve", shop, "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    assert "objective 10 (changeover, the first of changeover, makespan)" in result.stdout


def test_a_hard_link_to_the_input_is_the_input(tmp_path: Path) -> None:
    shop = write(tmp_path, "shop.json", small_shop())
    link = tmp_path / "link.json"
    link.hardlink_to(shop)
    result = runner.invoke(schedule_app, ["solve", shop, "-o", str(link), "--time-limit", "1"])
    assert result.exit_code == 2
    assert "that is an input file" in result.stderr
