"""Printability checks and estimates, and generation under a time and memory limit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from microfab.catalog.dfm import check
from microfab.catalog.errors import GenerationLimit, NotManufacturable
from microfab.catalog.estimate import estimate
from microfab.catalog.geometry import Solid
from microfab.catalog.limits import IsolatedBuilder, Limits
from microfab.catalog.profiles import PROFILES, CncProfile, LaserProfile, PrinterProfile
from microfab.catalog.registry import Registry
from microfab.catalog.service import Candidate, CatalogService
from microfab.errors import InvalidParameter

if TYPE_CHECKING:
    from conftest import Make

MK3S = PrinterProfile()
XL = replace(MK3S, name="Prusa XL", bed_mm=(360.0, 360.0, 360.0))


def test_an_insole_too_long_for_the_printer_says_both_sizes(make: Make) -> None:
    insole = make("custom-insole", foot_length_mm=280)
    report = check(insole, MK3S)
    assert [f.message for f in report.problems] == [
        "the part is 95 × 280 × 18 mm; the machine holds at most 250 × 210 × 210 mm "
        "(Prusa MK3S, 0.2 mm, PLA)"
    ]
    assert check(insole, XL).ok


def test_a_part_turned_a_quarter_on_the_bed_fits(make: Make) -> None:
    assert check(make("custom-insole", foot_length_mm=240, foot_width_mm=80), MK3S).ok


def test_features_thinner_than_one_and_a_half_nozzle_widths_are_refused(make: Make) -> None:
    thin = make("mounting-bracket", thickness_mm=2, width_mm=15, holes=1, screw="M3")
    coarse = replace(MK3S, nozzle_diameter=1.6)
    messages = [f.message for f in check(thin, coarse).problems]
    assert len(messages) == 1
    assert "thinner than 2.4 mm, which the nozzle cannot make" in messages[0]


def test_holes_across_a_wall_are_a_support_note_not_a_problem(make: Make) -> None:
    report = check(make("mounting-bracket", screw="M6", width_mm=40, hole_spacing_mm=20), MK3S)
    assert report.ok
    assert report.notes[0].code == "needs-support"


def test_a_sign_larger_than_the_laser_bed_is_refused(make: Make) -> None:
    small_bed = replace(LaserProfile(), bed_mm=(400.0, 300.0))
    problems = check(make("name-sign", width_mm=500), small_bed).problems
    assert problems[0].message.startswith("the part is 500 × 120 mm; the machine holds at most")


def test_a_bigger_part_takes_longer_and_more_filament(make: Make) -> None:
    small = estimate(make("mounting-bracket"), MK3S)
    big = estimate(make("mounting-bracket", flange_mm=80, width_mm=60, thickness_mm=6), MK3S)
    assert 10 < small.minutes < big.minutes
    assert small.material_g is not None
    assert big.material_g is not None
    assert 2 < small.material_g < big.material_g


def test_laser_time_grows_with_cutting_and_cnc_time_with_removed_volume(make: Make) -> None:
    plain = estimate(make("name-sign", text="Al", holes=False), LaserProfile())
    holes = estimate(make("name-sign", text="Al", holes=True), LaserProfile())
    wide = estimate(make("name-sign", text="Al", holes=True, width_mm=600), LaserProfile())
    assert plain.minutes < holes.minutes < wide.minutes
    stubby = estimate(make("window-crank-knob", length_mm=15), CncProfile())
    tall = estimate(make("window-crank-knob", length_mm=60), CncProfile())
    assert stubby.minutes < tall.minutes
    cut = estimate(make("tote-bag"), PROFILES["textile_cut"])
    assert cut.sheet_area_m2 is not None
    assert cut.sheet_area_m2 > 0.5


def test_the_profile_reads_a_prusaslicer_ini(tmp_path: Path) -> None:
    ini = tmp_path / "printer.ini"
    ini.write_text(
        "bed_shape = 0x0,250x0,250x210,0x210\nmax_print_height = 210\nfill_density = 20%\n"
        "perimeters = 3\nmachine_max_acceleration_extruding = 1250,1250\n",
        "utf-8",
    )
    profile = PrinterProfile.from_ini(ini)
    assert (profile.fill_density, profile.perimeters, profile.bed_mm) == (
        0.2,
        3,
        (250.0, 210.0, 210.0),
    )


def test_the_same_parameters_are_built_once(registry: Registry) -> None:
    service = CatalogService(registry)
    grip = registry.get("phone-grip")
    values = grip.validate({"name": "Ada"})
    first = service.preview(grip, values, thumbnail=False)
    second = service.preview(grip, dict(reversed(values.items())), thumbnail=False)
    assert first.geometry is second.geometry
    assert (service.cache.hits, service.cache.misses) == (1, 1)


def test_a_design_no_candidate_can_make_is_refused_with_the_reason(registry: Registry) -> None:
    service = CatalogService(registry)
    insole = registry.get("custom-insole")
    with pytest.raises(NotManufacturable, match="cannot be made: the part is 95 × 265 × 18 mm"):
        service.preview(insole, insole.validate({}), [Candidate("fdm", MK3S)])


def test_a_slow_or_greedy_template_is_stopped_at_its_limit(tmp_path: Path) -> None:
    (tmp_path / "greedy.py").write_text(GREEDY, "utf-8")
    builder = IsolatedBuilder(Limits(seconds=2.0, memory_mb=600), [tmp_path])
    try:
        with pytest.raises(GenerationLimit, match="took longer than 2 s"):
            builder.build("greedy", {"mode": "slow"})
        with pytest.raises(GenerationLimit, match="more than 600 MB of memory"):
            builder.build("greedy", {"mode": "hungry"})
        with pytest.raises(InvalidParameter, match="no such mode"):
            builder.build("greedy", {"mode": "other"})
        solid = builder.build("phone-grip", {"name": "Ada", "style": "embossed", "colour": "red"})
        assert isinstance(solid, Solid)
    finally:
        builder.close()


GREEDY = """
import time
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.template import Kind, Template
from microfab.errors import InvalidParameter


def build(values):
    if values["mode"] == "slow":
        time.sleep(30)
    if values["mode"] == "hungry":
        return bytearray(2_000_000_000)
    raise InvalidParameter("no such mode")


TEMPLATE = Template(
    id="greedy", name="Greedy", version=1, kind=Kind.SOLID,
    parameters=(Parameter("mode", ParameterKind.TEXT, "slow"),),
    build=build, processes=("fdm",), materials=("pla",),
)
"""
