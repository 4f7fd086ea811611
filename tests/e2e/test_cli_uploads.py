"""Uploading a model, quoting and ordering it from the command line, run as a subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import trimesh

from tests.e2e.conftest import microfab

pytestmark = pytest.mark.slow

WHERE = ("--lat", "52.5", "--lon", "13.4")


def loaded(workdir: Path) -> Path:
    assert microfab("network", "load", "--db", "m.db", cwd=workdir).returncode == 0
    return workdir


def write_box(workdir: Path, size: float, name: str = "part.stl") -> Path:
    path = workdir / name
    path.write_bytes(trimesh.creation.box((size, size, size / 2)).export(file_type="stl"))
    return path


def one_error_line(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_upload_is_quoted_ordered_and_shown_with_its_estimate(workdir: Path) -> None:
    loaded(workdir)
    box = write_box(workdir, 30)
    added = microfab("upload", "add", str(box), "--customer", "c-1", "--db", "m.db", "--json",
                     cwd=workdir)  # fmt: skip
    assert added.returncode == 0, added.stderr
    upload = json.loads(added.stdout)
    assert upload["id"].startswith("upl_")
    assert upload["estimate"]["source"] == "upload"
    quoted = microfab("order", "quote", "custom-print", *WHERE, "--upload", upload["id"],
                      "--param", "colour=red", "--db", "m.db", "--json", cwd=workdir)  # fmt: skip
    assert quoted.returncode == 0, quoted.stderr
    quote = json.loads(quoted.stdout)
    assert quote["lines"][0]["estimate"] == upload["estimate"]
    placed = microfab("order", "place", "custom-print", "--customer", "c-1", *WHERE,
                      "--upload", upload["id"], "--db", "m.db", "--json", cwd=workdir)  # fmt: skip
    assert placed.returncode == 0, placed.stderr
    order = json.loads(placed.stdout)
    assert order["lines"][0]["upload_id"] == upload["id"]
    shown = microfab("order", "show", order["id"], "--db", "m.db", cwd=workdir)
    assert shown.returncode == 0, shown.stderr
    assert f"custom-print from {upload['id']}" in shown.stdout
    assert "estimate: fdm on Prusa MK4:" in shown.stdout


def test_a_template_order_shows_its_estimate(workdir: Path) -> None:
    loaded(workdir)
    placed = microfab("order", "place", "phone-grip", "--customer", "c-1", *WHERE,
                      "--param", "name=Ada", "--db", "m.db", cwd=workdir)  # fmt: skip
    assert placed.returncode == 0, placed.stderr
    assert "estimate: fdm on Prusa MK4:" in placed.stdout
    assert "phone-grip v1 #" in placed.stdout


def test_an_unknown_upload_id_fails_with_one_line(workdir: Path) -> None:
    loaded(workdir)
    result = microfab("order", "place", "custom-print", "--customer", "c-1", *WHERE,
                      "--upload", "upl_nope", "--db", "m.db", cwd=workdir)  # fmt: skip
    one_error_line(result, "lines[0]: there is no upload 'upl_nope' of customer c-1")


def test_an_upload_no_printer_holds_fails_with_one_line(workdir: Path) -> None:
    loaded(workdir)
    box = write_box(workdir, 500, "huge.stl")
    result = microfab("upload", "add", str(box), "--customer", "c-1", "--db", "m.db",
                      cwd=workdir)  # fmt: skip
    one_error_line(result, "this design cannot be made: the part is 500 × 500 × 250 mm")


def test_a_missing_file_fails_with_one_line(workdir: Path) -> None:
    loaded(workdir)
    result = microfab("upload", "add", "nowhere.stl", "--customer", "c-1", "--db", "m.db",
                      cwd=workdir)  # fmt: skip
    one_error_line(result, "cannot read nowhere.stl")
