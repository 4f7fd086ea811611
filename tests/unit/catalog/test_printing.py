"""The FDM estimate: the firmware's motion planning, PrusaSlicer's cooling and path rules."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from manifold3d import CrossSection, Manifold

from microfab.catalog import printing
from microfab.catalog.geometry import Solid, on_bed
from microfab.catalog.printing import estimate_print
from microfab.catalog.profiles import PrinterProfile

if TYPE_CHECKING:
    from conftest import Make

MK3S = PrinterProfile.from_ini(Path(__file__).parents[3] / "bench" / "catalog" / "mk3s_pla_020.ini")
STOP = math.inf


def block(x: float, y: float, z: float) -> Solid:
    return Solid(on_bed(Manifold.cube((x, y, z))))


def test_a_reversal_and_a_right_angle_are_taken_at_the_jerk() -> None:
    east, west, north = np.array([[1.0, 0.0]]), np.array([[-1.0, 0.0]]), np.array([[0.0, 1.0]])
    assert printing._turns(east, west)[0] == pytest.approx(1.0)  # not 2: an axis reverses
    assert printing._turns(east, north)[0] == pytest.approx(1.0)
    slight = np.array([[math.cos(0.1), math.sin(0.1)]])
    assert printing._turns(east, slight)[0] == pytest.approx(math.sin(0.1), rel=1e-3)


def test_a_straight_move_accelerates_from_the_jerk_to_its_feed_rate_and_back() -> None:
    seconds = printing._planned(np.array([100.0]), np.array([STOP, STOP]), 80.0, 1000.0, 8.0)
    ramps = 2 * (80 - 8) / 1000
    cruise = (100 - 2 * (80**2 - 8**2) / 2000) / 80
    assert seconds == pytest.approx(ramps + cruise)


def test_a_straight_line_of_short_segments_takes_as_long_as_one_move() -> None:
    one = printing._planned(np.array([60.0]), np.array([STOP, STOP]), 80.0, 1000.0, 8.0)
    pieces = np.full(120, 0.5)
    turns = np.zeros(121)
    turns[0] = turns[-1] = STOP
    assert printing._planned(pieces, turns, 80.0, 1000.0, 8.0) == pytest.approx(one)


def test_cooling_caps_the_fastest_extrusions_first_and_never_below_the_minimum() -> None:
    lengths = {80.0: 400.0, 25.0: 100.0}  # 5 s + 4 s at their feed rates
    assert printing._cooling_cap(lengths, wanted=8.0, lowest=15.0) == math.inf
    assert printing._cooling_cap(lengths, wanted=10.0, lowest=15.0) == pytest.approx(400 / 6)
    assert printing._cooling_cap(lengths, wanted=30.0, lowest=15.0) == pytest.approx(500 / 30)
    assert printing._cooling_cap(lengths, wanted=40.0, lowest=15.0) == 15.0


def test_small_layers_are_slowed_down_to_cool_and_large_ones_are_not() -> None:
    no_cooling = replace(MK3S, slowdown_below_layer_time=0.0)
    pin = Solid(on_bed(Manifold.cylinder(20.0, 6.0, 6.0, 64)))
    assert estimate_print(pin, MK3S).seconds > 1.5 * estimate_print(pin, no_cooling).seconds
    plate = block(120, 80, 2)
    assert estimate_print(plate, MK3S).seconds == pytest.approx(
        estimate_print(plate, no_cooling).seconds
    )


def test_travels_depend_on_the_largest_island_and_the_hops_between_all_of_them() -> None:
    big = CrossSection.square((40.0, 40.0))
    for corner in ((100.0, 0.0), (0.0, 100.0)):  # the small island listed first, then last
        layer = printing._Layer()
        printing._travels(layer, big + CrossSection.square((2.0, 2.0)).translate(corner))
        assert layer.reach_mm == pytest.approx(40.0)
        assert layer.hops_mm == pytest.approx(math.dist((20, 20), (corner[0] + 1, corner[1] + 1)))
        assert layer.islands == 2


def test_bridges_keep_their_speed_when_a_layer_is_slowed_down_to_cool() -> None:
    layer = printing._Layer()
    stops = np.array([STOP, STOP])
    for feature, speed in (("perimeter", 45.0), ("bridge", 25.0)):
        path = printing._Path(feature, np.array([50.0]), stops, speed, 1000.0, 0.08)
        layer.paths.append(path)
    spent = printing._layer_seconds(layer, MK3S)
    assert spent["bridge"] == pytest.approx(layer.paths[1].seconds(MK3S))
    assert spent["perimeter"] == pytest.approx(layer.paths[0].seconds(MK3S, MK3S.min_print_speed))


def test_solid_layers_over_sparse_infill_are_bridged_and_a_thin_plate_has_neither() -> None:
    thick = estimate_print(block(30, 30, 6), MK3S).features
    assert thick["sparse infill"] > 0
    assert thick["bridge"] > 0
    thin = estimate_print(block(30, 30, 1.6), MK3S).features
    assert "sparse infill" not in thin
    assert "bridge" not in thin


def test_the_top_skin_grows_into_the_infill_below_an_exposed_step() -> None:
    step = Solid(on_bed(Manifold.cube((40.0, 40.0, 6.0)) + Manifold.cube((20.0, 40.0, 10.0))))
    layers = list(printing.layers(step, MK3S))
    top = [p for p in layers[29].paths if p.feature == "top solid infill"]  # z = 6 mm
    spacing = printing._flow(MK3S.extrusion_width, MK3S.layer_height)[0]
    inset = MK3S.external_perimeter_extrusion_width / 2 + 1.25 * spacing  # the infill's edge
    width = 20 - inset + printing.EXTERNAL_INFILL_MARGIN  # the exposed half and the margin
    lines = printing._flow(MK3S.top_infill_extrusion_width, MK3S.layer_height)[0]
    expected = width * (40 - 2 * inset) / lines
    assert sum(p.length for p in top) == pytest.approx(expected, rel=0.05)


def test_a_small_part_gets_skirt_loops_until_they_hold_the_minimum_filament() -> None:
    first = next(printing.layers(Solid(on_bed(Manifold.cylinder(5.0, 3.0, 3.0, 64))), MK3S))
    skirt = [p for p in first.paths if p.feature == "skirt"]
    area = printing._flow(MK3S.first_layer_extrusion_width, MK3S.first_layer_height)[1]
    assert len(skirt) >= 2
    assert sum(p.length for p in skirt) * area / MK3S.filament_area >= MK3S.min_skirt_length


@pytest.mark.parametrize(
    ("template", "prusaslicer_seconds", "prusaslicer_grams"),
    [
        ("phone-grip", 1553, 6.00),
        ("window-crank-knob", 2517, 4.53),
        ("mounting-bracket", 3404, 6.94),
    ],
)
def test_the_default_parts_are_within_six_percent_of_prusaslicer(
    make: Make, template: str, prusaslicer_seconds: float, prusaslicer_grams: float
) -> None:
    """PrusaSlicer 2.5.0 (Debian) on the same STL with ``mk3s_pla_020.ini``."""
    solid = make(template)
    assert isinstance(solid, Solid)
    estimate = estimate_print(solid, MK3S)
    assert estimate.seconds == pytest.approx(prusaslicer_seconds, rel=0.06)
    assert estimate.grams == pytest.approx(prusaslicer_grams, rel=0.05)


def test_the_profile_reads_the_printer_limits_and_the_retraction_from_the_slicer_ini() -> None:
    assert (MK3S.max_acceleration, MK3S.max_acceleration_z, MK3S.jerk) == (1250.0, 200.0, 8.0)
    assert (MK3S.max_jerk_z, MK3S.max_jerk_e) == (0.4, 4.5)
    assert (MK3S.wipe, MK3S.retract_lift, MK3S.min_skirt_length) == (True, 0.4, 4.0)
    assert MK3S.support_material_speed == 50.0
