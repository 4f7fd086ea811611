"""Print time and filament of an FDM part: a layer model that moves like the printer does.

The part is sliced layer by layer (manifold3d). Each layer gets the slicer's paths in summary:
perimeter loops (offsets of the outline, timed segment by segment), solid infill near the top and
bottom skins and sparse infill inside (timed as parallel lines of the region's mean chord), the
skirt, travels with retraction and z-hop. Every move is a trapezoid: it accelerates at the
profile's acceleration to its feed rate and slows for the next corner to the speed the printer's
jerk allows. Layers shorter than the cooling time are slowed down as the slicer does.

Measured on 36 parts from the shipped templates against PrusaSlicer 2.5 with the same profile
(bench/catalog/estimate_accuracy.py): see docs/catalog.md. Ignoring acceleration and cooling
slowdown was 20-40 % low on the small parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manifold3d import CrossSection, JoinType, OpType

from microfab.catalog.geometry import Solid, polyline_length
from microfab.catalog.profiles import PrinterProfile

START_END_SECONDS = 12.0
"""Moves of the start and end G-code the slicer counts: the purge line and the parking."""
INFILL_OVERLAP = 0.25
RETRACTIONS_PER_ISLAND = 3
"""Travels with a retraction per island and layer (PrusaSlicer's G-code: 606 in 200 layers)."""
RETRACT_LIFT = 0.4
GYROID_LENGTH_FACTOR = 1.25
"""Gyroid paths wave across the region: ~25 % longer than straight lines at the same spacing
(PrusaSlicer's G-code for a bracket: 10.7 m of gyroid where straight lines would be 8.6 m)."""
GYROID_SEGMENT = 0.76
"""Mean length of the short straight moves PrusaSlicer writes for gyroid (measured: 14,167 moves,
10.7 m); at each the head turns, and the jerk limit caps its speed near 30 mm/s (measured feed)."""


@dataclass(frozen=True)
class PrintEstimate:
    """Time and material to print one part."""

    seconds: float
    filament_mm: float
    grams: float
    layers: int

    @property
    def minutes(self) -> float:
        return self.seconds / 60


@dataclass
class _Layer:
    """What one layer extrudes and how long its moves take before cooling slowdown."""

    extrude_seconds: float = 0.0
    other_seconds: float = 0.0
    extruded_mm: float = 0.0
    volume_mm3: float = 0.0
    travels: int = 0
    reach_mm: float = 1.0
    nominal_seconds: float = 0.0
    """Extrusion time at the feed rates alone, which is what the slicer's cooling logic uses."""

    def extrude(self, seconds: float, length: float, speed: float, area: float) -> None:
        self.extrude_seconds += seconds
        self.nominal_seconds += length / speed
        self.extruded_mm += length
        self.volume_mm3 += length * area


def estimate_print(solid: Solid, profile: PrinterProfile) -> PrintEstimate:
    """Seconds, filament and grams to print ``solid`` as ``profile`` slices it."""
    heights = _layer_tops(solid.size_mm[2], profile)
    sections = [solid.manifold.slice(top - thickness / 2) for top, thickness in heights]
    seconds, volume = START_END_SECONDS, 0.0
    for index, (_, thickness) in enumerate(heights):
        layer = _layer(index, sections, thickness, profile)
        seconds += _cooled(layer, profile)
        volume += layer.volume_mm3
    filament = volume / profile.filament_area
    return PrintEstimate(
        seconds=seconds,
        filament_mm=filament,
        grams=volume / 1000 * profile.filament_density,
        layers=len(heights),
    )


def _layer_tops(height: float, profile: PrinterProfile) -> list[tuple[float, float]]:
    """(top z, thickness) of every layer."""
    tops = [(profile.first_layer_height, profile.first_layer_height)]
    while tops[-1][0] + profile.layer_height / 2 < height:
        tops.append((tops[-1][0] + profile.layer_height, profile.layer_height))
    return tops


def _layer(index: int, sections: list[CrossSection], thickness: float, p: PrinterProfile) -> _Layer:
    section = sections[index]
    layer = _Layer()
    if section.is_empty():
        return layer
    first = index == 0
    width = p.first_layer_extrusion_width if first else p.extrusion_width
    spacing = width - thickness * (1 - math.pi / 4)
    area = (width - thickness) * thickness + math.pi * thickness**2 / 4
    islands = section.decompose()
    _perimeters(layer, section, p, first, spacing, area)
    inner = section.offset(
        -(
            p.external_perimeter_extrusion_width / 2
            + (p.perimeters - 0.5 - INFILL_OVERLAP) * spacing
        ),
        JoinType.Miter,
    )
    solid_part, sparse_part = _split_infill(index, inner, sections, p)
    angle = 45.0 if index % 2 == 0 else 135.0
    solid_speed = (
        p.first_layer_speed
        if first
        else (p.top_solid_infill_speed if _is_top(index, sections) else p.solid_infill_speed)
    )
    _infill(layer, solid_part, spacing, solid_speed, angle, p, area, first)
    if p.fill_density > 0:
        _gyroid(layer, sparse_part, spacing / p.fill_density, p, area)
    if index < p.skirt_height:
        _skirt(layer, sections[0], p, first, area)
    _travels(layer, islands, p)
    return layer


def _perimeters(
    layer: _Layer,
    section: CrossSection,
    p: PrinterProfile,
    first: bool,
    spacing: float,
    area: float,
) -> None:
    for loop in range(p.perimeters):
        inset = p.external_perimeter_extrusion_width / 2 + loop * spacing
        external = loop == 0
        for ring in section.offset(-inset, JoinType.Miter).to_polygons():
            points = np.asarray(ring, dtype=np.float64)
            if len(points) < 3:
                continue
            length = polyline_length(points)
            speed = p.external_perimeter_speed if external else p.perimeter_speed
            if length < 2 * math.pi * 6.5:
                speed = min(speed, p.small_perimeter_speed)
            if first:
                speed = p.first_layer_speed
            accel = p.first_layer_acceleration if first else p.perimeter_acceleration
            layer.extrude(_ring_seconds(points, speed, accel, p.jerk), length, speed, area)
            layer.travels += 1


def _split_infill(
    index: int, inner: CrossSection, sections: list[CrossSection], p: PrinterProfile
) -> tuple[CrossSection, CrossSection]:
    """(solid, sparse) parts of ``inner``: solid where a skin is within the solid layers."""
    above = sections[index + 1 : index + 1 + p.top_solid_layers]
    below = sections[max(0, index - p.bottom_solid_layers) : index]
    if len(above) < p.top_solid_layers or len(below) < p.bottom_solid_layers:
        return inner, CrossSection()
    covered = CrossSection.batch_boolean([*above, *below], OpType.Intersect)
    sparse = inner ^ covered
    return inner - covered, sparse


def _is_top(index: int, sections: list[CrossSection]) -> bool:
    return index + 1 >= len(sections) or sections[index + 1].area() < 0.5 * sections[index].area()


def _infill(
    layer: _Layer,
    region: CrossSection,
    spacing: float,
    speed: float,
    angle: float,
    p: PrinterProfile,
    area: float,
    first: bool,
) -> None:
    """Solid infill: the exact rectilinear chords of ``region``, joined end to end (zig-zag)."""
    if region.is_empty():
        return
    accel = p.first_layer_acceleration if first else p.infill_acceleration
    chords, runs = _chords(region, spacing, angle)
    if len(chords) == 0:
        return
    diagonal = abs(math.cos(math.radians(angle))) + abs(math.sin(math.radians(angle)))
    reverse = min(speed, p.jerk / (2 * max(abs(math.cos(math.radians(angle))), 0.5 * diagonal)))
    seconds = _trapezoid(chords, speed, accel, reverse).sum()
    seconds += len(chords) * float(_trapezoid(spacing, speed, accel, reverse))  # the joins
    layer.extrude(float(seconds), float(chords.sum()) + len(chords) * spacing, speed, area)
    layer.travels += runs


def _gyroid(
    layer: _Layer, region: CrossSection, spacing: float, p: PrinterProfile, area: float
) -> None:
    """Sparse gyroid infill: wavy lines, slowed by the jerk at each of their small turns."""
    if region.is_empty():
        return
    length = GYROID_LENGTH_FACTOR * region.area() / spacing
    turn = GYROID_SEGMENT / spacing  # radians per segment: the curve bends on a radius ~ spacing
    speed = min(p.infill_speed, p.jerk / turn)
    runs = max(1, len(region.decompose()))
    seconds = length / speed + runs * 2 * speed / p.infill_acceleration
    layer.extrude(seconds, length, speed, area)
    layer.travels += runs


def _chords(region: CrossSection, spacing: float, angle: float) -> tuple[np.ndarray, int]:
    """Lengths of the scan lines ``spacing`` apart at ``angle`` inside ``region``, and how many
    separate zig-zag runs they make (one more for every extra chord on a scan line)."""
    turned = region.rotate(-angle)
    edges = []
    for ring in turned.to_polygons():
        points = np.asarray(ring, dtype=np.float64)
        edges.append(np.stack([points, np.roll(points, -1, axis=0)], axis=1))
    segments = np.concatenate(edges)
    y0, y1 = segments[:, 0, 1], segments[:, 1, 1]
    lo, hi = float(segments[:, :, 1].min()), float(segments[:, :, 1].max())
    scan = np.arange(lo + spacing / 2, hi, spacing)
    if len(scan) == 0:
        return np.zeros(0), 0
    crossing = (np.minimum(y0, y1)[None, :] <= scan[:, None]) & (
        np.maximum(y0, y1)[None, :] > scan[:, None]
    )
    t = (scan[:, None] - y0[None, :]) / np.where(y1 == y0, 1.0, y1 - y0)[None, :]
    x = segments[:, 0, 0][None, :] + t * (segments[:, 1, 0] - segments[:, 0, 0])[None, :]
    x = np.where(crossing, x, np.nan)
    x.sort(axis=1)
    counts = crossing.sum(axis=1)
    chords: list[np.ndarray] = []
    for row, count in zip(x, counts, strict=True):
        pairs = row[: count - count % 2].reshape(-1, 2)
        chords.append(pairs[:, 1] - pairs[:, 0])
    per_line = counts // 2
    runs = 1 + int(np.maximum(np.diff(per_line), 0).sum()) if len(per_line) else 0
    return np.concatenate(chords), runs


def _skirt(
    layer: _Layer, first_section: CrossSection, p: PrinterProfile, first: bool, area: float
) -> None:
    ring = first_section.hull().offset(p.skirt_distance, JoinType.Round, circular_segments=32)
    for polygon in ring.to_polygons():
        points = np.asarray(polygon, dtype=np.float64)
        speed = p.first_layer_speed if first else p.perimeter_speed
        seconds = _ring_seconds(points, speed, p.perimeter_acceleration, p.jerk)
        layer.extrude(seconds, polyline_length(points), speed, area)


def _travels(layer: _Layer, islands: list[CrossSection], p: PrinterProfile) -> None:
    """A travel before every loop and zig-zag run; three per island retract and hop in z."""
    lift = 2 * RETRACT_LIFT / p.travel_speed_z
    retract = 2 * p.retract_length / p.retract_speed
    for island in islands:
        reach = math.sqrt(max(island.area(), 1.0)) / 3
        layer.other_seconds += RETRACTIONS_PER_ISLAND * (retract + lift)
        layer.reach_mm = reach
    move = float(_trapezoid(layer.reach_mm, p.travel_speed, p.default_acceleration, 0.0))
    layer.other_seconds += (layer.travels + len(islands)) * move + lift + retract


def _cooled(layer: _Layer, p: PrinterProfile) -> float:
    """Layer time after the slicer's cooling slowdown.

    The slicer stretches a layer's extrusion feed rates until its nominal time (length over feed
    rate) reaches the cooling time, never below the minimum speed; the moves then still spend
    time accelerating, less at the lower speeds (measured on a knob of 150 small layers:
    PrusaSlicer's estimate is 16.8 s a layer for a 15 s cooling time).
    """
    total = layer.extrude_seconds + layer.other_seconds
    if layer.extruded_mm == 0 or layer.nominal_seconds + layer.other_seconds >= (
        p.slowdown_below_layer_time
    ):
        return total
    wanted = p.slowdown_below_layer_time - layer.other_seconds
    stretched = max(min(wanted, layer.extruded_mm / p.min_print_speed), layer.nominal_seconds)
    ramps = (layer.extrude_seconds - layer.nominal_seconds) * layer.nominal_seconds / stretched
    return stretched + ramps + layer.other_seconds


def _ring_seconds(points: np.ndarray, speed: float, accel: float, jerk: float) -> float:
    """A closed loop: each segment slows at its ends to the junction speed jerk allows."""
    steps = np.roll(points, -1, axis=0) - points
    lengths = np.linalg.norm(steps, axis=1)
    keep = lengths > 1e-6
    steps, lengths = steps[keep], lengths[keep]
    if len(lengths) == 0:
        return 0.0
    directions = steps / lengths[:, None]
    change = np.abs(directions - np.roll(directions, 1, axis=0)).max(axis=1)
    junction = np.minimum(speed, jerk / np.maximum(change, 1e-9))
    ends = np.minimum(junction, np.roll(junction, -1))
    return float(_trapezoid(lengths, speed, accel, ends).sum())


def _trapezoid(
    length: np.ndarray | float, speed: float, accel: float, ends: np.ndarray | float
) -> np.ndarray:
    """Seconds to move ``length`` starting and ending at ``ends``, cruising at ``speed``."""
    length = np.asarray(length, dtype=np.float64)
    ends = np.minimum(np.asarray(ends, dtype=np.float64), speed)
    ramps = (speed**2 - ends**2) / accel
    cruise = (length - ramps) / speed + 2 * (speed - ends) / accel
    peak = np.sqrt(accel * length + ends**2)
    short = 2 * (peak - ends) / accel
    result: np.ndarray = np.where(length >= ramps, cruise, short)
    return result
