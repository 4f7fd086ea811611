"""``microfab catalog list|render|estimate`` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microfab.cli.catalog import catalog_app

runner = CliRunner()


def test_list_shows_every_shipped_template() -> None:
    result = runner.invoke(catalog_app, ["list"])
    assert result.exit_code == 0, result.output
    for template_id in ("phone-grip", "custom-insole", "name-sign", "tote-bag"):
        assert template_id in result.stdout


@pytest.mark.parametrize(
    ("template_id", "suffix", "magic"),
    [
        ("phone-grip", ".stl", b"\x00"),
        ("phone-grip", ".3mf", b"PK"),
        ("name-sign", ".svg", b"<svg"),
        ("name-sign", ".dxf", b"  0"),
        ("window-crank-knob", ".png", b"\x89PNG"),
    ],
)
def test_render_writes_the_format_the_suffix_names(
    tmp_path: Path, template_id: str, suffix: str, magic: bytes
) -> None:
    out = tmp_path / f"part{suffix}"
    result = runner.invoke(catalog_app, ["render", template_id, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert magic in out.read_bytes()[:200]


def test_render_refuses_a_bad_parameter_with_exit_code_2(tmp_path: Path) -> None:
    result = runner.invoke(
        catalog_app,
        ["render", "custom-insole", "--param", "foot_length_mm=400", "-o", str(tmp_path / "i.stl")],
    )
    assert result.exit_code == 2
    assert "'foot_length_mm' is 400 mm; the largest allowed is 320 mm" in result.stderr


def test_estimate_prints_checks_and_minutes_as_json() -> None:
    result = runner.invoke(
        catalog_app,
        ["estimate", "mounting-bracket", "-p", "thickness_mm=5", "--machine", "fdm", "--json"],
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["printable"] is True
    assert answer["params"]["thickness_mm"] == 5.0
    assert answer["estimate"]["minutes"] > 10
    assert answer["estimate"]["material_g"] > 2
