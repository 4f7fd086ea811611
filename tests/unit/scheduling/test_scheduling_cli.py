"""``microfab schedule solve|gantt`` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from microfab.cli.schedule import schedule_app

runner = CliRunner()
TITLE = "{http://www.w3.org/2000/svg}title"
TEXT = "{http://www.w3.org/2000/svg}text"


def test_solve_prints_the_json_summary(benchmarks: Path) -> None:
    ft06 = str(benchmarks / "jssp" / "ft06.txt")
    result = runner.invoke(schedule_app, ["solve", ft06, "--json", "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["makespan"] == summary["lower_bound"] == 55
    assert summary["status"] == "optimal"
    assert set(summary) >= {"makespan", "lower_bound", "status", "seconds"}


def test_solve_rejects_a_bad_file_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.fjs"
    bad.write_text("1 2 1\n1 1 7 4\n")
    result = runner.invoke(schedule_app, ["solve", str(bad), "--format", "fjsp"])
    assert result.exit_code == 2
    assert "bad.fjs:2: machine 7 is outside 1..2" in result.stderr


def test_gantt_writes_a_self_contained_page(tmp_path: Path, benchmarks: Path) -> None:
    page = tmp_path / "ft06.html"
    ft06 = str(benchmarks / "jssp" / "ft06.txt")
    result = runner.invoke(schedule_app, ["gantt", ft06, "-o", str(page), "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert "<svg" in html
    assert "<script" not in html
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert all(f">m{k}<" in html for k in range(6))


def test_gantt_writes_an_svg_image_with_a_bar_per_operation(
    tmp_path: Path, benchmarks: Path
) -> None:
    image = tmp_path / "ft06.svg"
    ft06 = str(benchmarks / "jssp" / "ft06.txt")
    result = runner.invoke(schedule_app, ["gantt", ft06, "-o", str(image), "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    svg = ElementTree.fromstring(image.read_text(encoding="utf-8"))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    bars = [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if r.find(TITLE) is not None]
    assert len(bars) == 36  # ft06: six jobs of six operations
    assert any("makespan 55" in (t.text or "") for t in svg.iter(TEXT))


def test_gantt_refuses_a_file_it_cannot_draw_before_solving(
    tmp_path: Path, benchmarks: Path
) -> None:
    ft06 = str(benchmarks / "jssp" / "ft06.txt")
    result = runner.invoke(schedule_app, ["gantt", ft06, "-o", str(tmp_path / "ft06.png")])
    assert result.exit_code == 2
    assert "--output ft06.png: name the file .html (a page), .svg (an image) or .json" in (
        result.stderr
    )
    assert not (tmp_path / "ft06.png").exists()


def test_an_output_file_that_cannot_be_written_is_refused_before_solving(
    tmp_path: Path, benchmarks: Path
) -> None:
    ft06 = str(benchmarks / "jssp" / "ft06.txt")
    cases = [
        (["solve", ft06, "-o", str(tmp_path / "none" / "x.json")], "does not exist"),
        (["solve", ft06, "-o", str(tmp_path)], "name the file .json"),
        (["solve", ft06, "-o", str(tmp_path / "x.svg")], "name the file .json"),
        (["gantt", ft06, "-o", str(tmp_path / "none" / "x.svg")], "does not exist"),
        (["solve", ft06, "--time-limit", "inf"], "--time-limit inf: give a number of seconds"),
        (["solve", ft06, "--time-limit", "1", "-o", "/proc/x.json"], "cannot write it"),
        (["gantt", ft06, "--time-limit", "1", "-o", "/proc/x.svg"], "cannot write it"),
    ]
    (tmp_path / "folder.json").mkdir()
    cases.append((["solve", ft06, "-o", str(tmp_path / "folder.json")], "is a folder"))
    for args, reason in cases:
        result = runner.invoke(schedule_app, args)
        assert result.exit_code == 2, args
        assert reason in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output + result.stderr


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--workers", "0"], "Invalid value for '--workers': Input should be greater than"),
        (["--format", "xyz"], "Invalid value for '--format': 'xyz' is not one of 'jssp', 'fjsp'"),
        (["--time-limit", "soon"], "Invalid value for '--time-limit'"),
        (["--colour"], "No such option: --colour"),
    ],
)
def test_a_mistyped_option_is_one_line_and_exit_code_2(
    args: list[str],
    reason: str,
    benchmarks: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through the ``microfab`` command itself: Typer's runner would show its usage box."""
    from microfab.cli.main import run

    ft06 = str(benchmarks / "jssp" / "ft06.txt")
    monkeypatch.setattr("sys.argv", ["microfab", "schedule", "solve", ft06, *args])
    with pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert reason in lines[0]
    assert lines[0].endswith("(see 'microfab schedule solve --help')")


def test_gantt_json_is_the_rows_the_api_serves(tmp_path: Path, benchmarks: Path) -> None:
    ft06 = str(benchmarks / "jssp" / "ft06.txt")
    rows_file = tmp_path / "ft06.json"
    result = runner.invoke(schedule_app, ["gantt", ft06, "-o", str(rows_file), "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(rows_file.read_text())
    assert [row["machine"] for row in data["rows"]] == [f"m{k}" for k in range(6)]
    assert sum(len(row["bars"]) for row in data["rows"]) == 36
