"""The command line, run as a subprocess exactly as a user runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from microfab.network.loader import demo_document
from tests.e2e.conftest import microfab

pytestmark = pytest.mark.slow


def test_the_demo_reports_a_summary_and_repeats_with_the_same_seed(workdir: Path) -> None:
    args = ("demo", "--headless", "--json", "--duration", "12h", "--seed", "4", "--no-api")
    first = microfab(*args, "--db", "a.db", cwd=workdir)
    second = microfab(*args, "--db", "b.db", cwd=workdir)
    assert first.returncode == 0, first.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    for run in (one, two):
        run.pop("wall_seconds")
    assert one == two
    assert one["orders"]["placed"] > 100
    assert one["orders"]["delivered"] > 0
    assert 0 <= one["on_time_rate"] <= 1
    assert one["mean_lead_time_hours"] > 0
    assert one["median_promised_hours"] > 0
    assert set(one["utilisation"]) >= {"berlin", "hamburg", "munich"}
    assert all(0 <= share <= 1 for share in one["utilisation"].values())


def test_the_demo_refuses_to_overwrite_a_database_that_is_not_a_demo(workdir: Path) -> None:
    (workdir / "precious.db").write_text("not a demo", "utf-8")
    result = microfab("demo", "--headless", "--db", "precious.db", "--no-api", cwd=workdir)
    assert result.returncode == 2
    assert "is not a microfab demo database" in result.stderr
    assert (workdir / "precious.db").read_text("utf-8") == "not a demo"


def test_validating_a_broken_network_file_fails_with_one_precise_line(workdir: Path) -> None:
    (workdir / "net.yaml").write_text("name: x\nfactories: [\n", "utf-8")
    result = microfab("network", "validate", "net.yaml", cwd=workdir)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "net.yaml: line 3, column 1: malformed YAML" in lines[0]


def test_validating_a_network_with_an_unknown_process_names_the_path(workdir: Path) -> None:
    load = microfab("network", "validate", "missing.yaml", cwd=workdir)
    assert load.returncode == 2
    assert "missing.yaml: cannot read the file" in load.stderr


def test_each_factory_shows_what_its_plans_aim_at_and_a_bad_objective_is_one_line(
    workdir: Path,
) -> None:
    document = demo_document()
    document["factories"][0]["objective"] = ["changeover", "tardiness"]
    (workdir / "net.yaml").write_text(yaml.safe_dump(document), "utf-8")
    assert microfab("network", "load", "net.yaml", "--db", "n.db", cwd=workdir).returncode == 0
    shown = microfab("network", "show", "--db", "n.db", cwd=workdir)
    rows = {line.split("│")[1].strip(): line for line in shown.stdout.splitlines() if "│" in line}
    assert "changeover, then tardiness" in rows["berlin"]
    assert "20×tardiness + 2×changeover + makespan" in rows["hamburg"]
    assert "—" in rows["kassel-plant"]

    document["factories"][0]["objective"] = {"lateness": 1}
    (workdir / "bad.yaml").write_text(yaml.safe_dump(document), "utf-8")
    bad = microfab("network", "validate", "bad.yaml", cwd=workdir)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: bad.yaml: factories[0].objective: unknown criterion 'lateness' "
        "(known: tardiness, changeover, makespan)"
    ]


def test_orders_can_be_placed_listed_shown_and_cancelled(workdir: Path) -> None:
    assert microfab("network", "load", "--db", "m.db", cwd=workdir).returncode == 0
    placed = microfab(
        "order",
        "place",
        "phone-grip",
        "--customer",
        "c-1",
        "--lat",
        "52.5",
        "--lon",
        "13.4",
        "--param",
        "name=Ada",
        "--param",
        "colour=red",
        "--db",
        "m.db",
        "--json",
        cwd=workdir,
    )
    assert placed.returncode == 0, placed.stderr
    order = json.loads(placed.stdout)
    assert order["state"] == "placed"
    assert order["lines"][0]["params"]["name"] == "Ada"
    listed = json.loads(microfab("order", "list", "--db", "m.db", "--json", cwd=workdir).stdout)
    assert [o["id"] for o in listed] == [order["id"]]
    cancelled = microfab("order", "cancel", order["id"], "--db", "m.db", "--json", cwd=workdir)
    assert json.loads(cancelled.stdout)["state"] == "cancelled"
    again = microfab("order", "cancel", order["id"], "--db", "m.db", cwd=workdir)
    assert again.returncode == 2
    assert "is cancelled and cannot become cancelled" in again.stderr


def test_a_planner_places_an_order_with_a_priority_and_changes_it(workdir: Path) -> None:
    assert microfab("network", "load", "--db", "m.db", cwd=workdir).returncode == 0
    where = ("--customer", "c-1", "--lat", "52.5", "--lon", "13.4", "--db", "m.db")
    placed = microfab(
        "order", "place", "phone-grip", *where, "--priority", "4", "--json", cwd=workdir
    )
    assert placed.returncode == 0, placed.stderr
    order = json.loads(placed.stdout)
    assert (order["priority"], order["prioritised_at"]) == (4, None)

    changed = microfab(
        "order", "prioritise", order["id"], "9", "--db", "m.db", "--json", cwd=workdir
    )
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["priority"] == 9
    assert json.loads(changed.stdout)["prioritised_at"] is not None

    too_high = microfab("order", "prioritise", order["id"], "101", "--db", "m.db", cwd=workdir)
    assert too_high.returncode == 2
    assert too_high.stderr.strip().splitlines() == [
        "error: Invalid value for 'priority': Input should be less than or equal to 100 "
        "(see 'microfab order prioritise --help')"
    ]
    assert microfab("order", "cancel", order["id"], "--db", "m.db", cwd=workdir).returncode == 0
    closed = microfab("order", "prioritise", order["id"], "2", "--db", "m.db", cwd=workdir)
    assert closed.returncode == 2
    assert "only an order not yet finished can be re-prioritised" in closed.stderr
    shown = microfab("order", "show", order["id"], "--db", "m.db", "--json", cwd=workdir)
    assert json.loads(shown.stdout)["priority"] == 9


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (["--param", "name=" + "X" * 20], "at most 12 fit"),
        (["--param", "colour=mauve"], "must be one of"),
        (["--param", "nonsense"], "write name=value"),
        (["--quantity", "0"], "at least 1"),
    ],
)
def test_a_bad_order_fails_with_exit_code_2_and_writes_nothing(
    workdir: Path, params: list[str], message: str
) -> None:
    assert microfab("network", "load", "--db", "m.db", cwd=workdir).returncode == 0
    result = microfab(
        "order",
        "place",
        "phone-grip",
        "--customer",
        "c-1",
        "--lat",
        "52.5",
        "--lon",
        "13.4",
        *params,
        "--db",
        "m.db",
        cwd=workdir,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    listed = microfab("order", "list", "--db", "m.db", "--json", cwd=workdir)
    assert json.loads(listed.stdout) == []


def test_an_unknown_product_fails_with_exit_code_2(workdir: Path) -> None:
    assert microfab("network", "load", "--db", "m.db", cwd=workdir).returncode == 0
    result = microfab(
        "order",
        "place",
        "moon-rock",
        "--customer",
        "c",
        "--lat",
        "1",
        "--lon",
        "1",
        "--db",
        "m.db",
        cwd=workdir,
    )
    assert result.returncode == 2
    assert "unknown product 'moon-rock'" in result.stderr


def test_an_operator_key_needs_a_known_factory(workdir: Path) -> None:
    assert microfab("network", "load", "--db", "m.db", cwd=workdir).returncode == 0
    missing = microfab("apikey", "create", "--role", "operator", "--db", "m.db", cwd=workdir)
    assert missing.returncode == 2
    assert "needs --factory" in missing.stderr
    unknown = microfab(
        "apikey", "create", "--role", "operator", "--factory", "paris", "--db", "m.db", cwd=workdir
    )
    assert unknown.returncode == 2
    assert "unknown site 'paris'" in unknown.stderr
    made = microfab(
        "apikey", "create", "--role", "operator", "--factory", "berlin", "--db", "m.db", cwd=workdir
    )
    assert made.returncode == 0
    assert made.stdout.strip().splitlines()[-1].startswith("mfk_")


def test_a_persons_key_names_someone_at_its_factory(workdir: Path) -> None:
    assert microfab("network", "load", "--db", "m.db", cwd=workdir).returncode == 0
    operator = ("apikey", "create", "--role", "operator", "--factory", "berlin")
    stranger = microfab(*operator, "--person", "munich-nobody", "--db", "m.db", cwd=workdir)
    assert stranger.returncode == 2
    assert "--person munich-nobody: not at berlin (people: berlin-early-assembly-1" in (
        stranger.stderr
    )
    planner = ("apikey", "create", "--role", "planner", "--person", "berlin-early-assembly-1")
    refused = microfab(*planner, "--db", "m.db", cwd=workdir)
    assert refused.returncode == 2
    assert "use it with --role operator" in refused.stderr
    made = microfab(*operator, "--person", "berlin-early-assembly-1", "--db", "m.db", cwd=workdir)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().splitlines()[-1].startswith("mfk_")


def test_maintenance_is_booked_in_local_time_listed_and_cancelled(workdir: Path) -> None:
    assert microfab("network", "load", "--db", "m.db", cwd=workdir).returncode == 0

    def book(machine: str, start: str, end: str, *more: str) -> subprocess.CompletedProcess[str]:
        command = ("maintenance", "book", "berlin", machine, "--start", start, "--end", end)
        return microfab(*command, *more, "--db", "m.db", cwd=workdir)

    booked = book(
        "berlin-fdm-1",
        "2027-03-01T09:00",
        "2027-03-01T11:30",
        "--reason",
        "nozzle change",
        "--json",
    )
    assert booked.returncode == 0, booked.stderr
    [window] = json.loads(booked.stdout)
    assert window["start"] == "2027-03-01T08:00:00+00:00"  # 09:00 in Berlin
    assert window["end"] == "2027-03-01T10:30:00+00:00"

    listed = microfab("maintenance", "list", "berlin", "--db", "m.db", cwd=workdir)
    assert listed.returncode == 0, listed.stderr
    assert window["id"] in listed.stdout
    assert "2027-03-01 09:00" in listed.stdout

    overlapping = book("berlin-fdm-1", "2027-03-01T10:00Z", "2027-03-01T12:00Z")
    assert overlapping.returncode == 2
    assert len(overlapping.stderr.strip().splitlines()) == 1
    assert window["id"] in overlapping.stderr

    bad = book("berlin-fdm-1", "monday", "2027-03-01T12:00Z")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: --start 'monday': write an ISO time, e.g. 2026-12-08T09:00 (the factory's "
        "local time) or 2026-12-08T08:00Z"
    ]

    lost_hour = book("berlin-fdm-2", "2027-03-28T02:30", "2027-03-28T05:00")
    assert lost_hour.returncode == 2
    assert lost_hour.stderr.strip().splitlines() == [
        "error: --start '2027-03-28T02:30': there is no such time in Europe/Berlin (the clocks "
        "go forward then)"
    ]

    cancel = ("maintenance", "cancel", "berlin", window["id"], "--db", "m.db", "--json")
    cancelled = microfab(*cancel, cwd=workdir)
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)[0]["cancelled_at"] is not None
    listed = microfab("maintenance", "list", "berlin", "--db", "m.db", "--json", cwd=workdir)
    assert json.loads(listed.stdout) == []
