"""Print time and filament of an FDM part: the slicer's paths in summary, timed as they move.

The part is sliced layer by layer (manifold3d). Each layer gets the paths PrusaSlicer would lay:
perimeter loops (offsets of the outline), the top skin, bridges over sparse infill or air, solid
infill (the exact rectilinear chords, joined in zig-zags), sparse gyroid, the skirt, and the
travels between them with wipe, retraction and z-hop. Every path is timed as the firmware plans it
(and as PrusaSlicer's estimator replays it): a junction speed from the per-axis jerk at every
corner, never below the safe speed; forward and backward passes so no segment needs more than the
acceleration; trapezoids in between. A layer whose nominal time (length over feed rate) is under
the cooling time has its feed rates capped, the fastest first, as PrusaSlicer's cooling buffer
does, and is timed again at the capped speeds.

Measured against PrusaSlicer 2.5 with the same profile on parts held out from calibration
(bench/catalog/estimate_accuracy.py): see docs/catalog.md.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from manifold3d import CrossSection, JoinType, OpType

from microfab.catalog.geometry import Solid
from microfab.catalog.profiles import PrinterProfile

START_END_SECONDS = 12.0
"""The start and end G-code's moves the slicer times: the 100 mm purge line at 16.7 mm/s (6 s)
and parking, ~6 s (PrusaSlicer's G-code for the MK3S profile)."""
INFILL_OVERLAP = 0.25
EXTERNAL_INFILL_MARGIN = 3.0
"""Top and bottom skins grow this far into the infill (PrusaSlicer's EXTERNAL_INFILL_MARGIN),
and the solid layers under and over them with them."""
SMALL_PERIMETER_MM = 2 * math.pi * 6.5
"""Loops shorter than this print at the small perimeter speed (PrusaSlicer's threshold)."""
WIPE_SPEED_SHARE = 0.8
"""PrusaSlicer wipes at 80 % of the travel speed while it retracts."""
NOT_SLOWED = frozenset({"bridge"})
"""Paths the cooling slowdown leaves at their speed (PrusaSlicer marks bridges for the fan, not
for slowing down: in its G-code for 80 parts every bridge runs at the bridge speed)."""

# Measured on the calibration corpus only (40 parts, seed 1; never the held-out parts the bench
# scores) by bench/catalog/calibrate.py in PrusaSlicer 2.5's G-code for mk3s_pla_020.ini: line
# lengths and counts against the model's own geometry, not the time error. Rerun it after
# changing the model or for another profile. With this profile the least-squares fit of the
# retractions puts them all on the pieces of infill (per island and per layer come out 0).
GYROID_LENGTH_FACTOR = 0.930
"""Gyroid length over (sparse area / line spacing): the waves are longer than straight lines."""
GYROID_ANCHOR = 0.311
"""Gyroid length added per mm of the sparse region's outline: the anchors and the connections
PrusaSlicer lays along the perimeters between line ends."""
GYROID_SEGMENT = 0.671
"""Mean length of the short straight moves PrusaSlicer writes for gyroid, mm."""
GYROID_TURN = 0.241
"""Mean per-axis change of direction at their junctions (largest axis, unit vectors)."""
RETRACTIONS_PER_ISLAND = 0.00
"""Retracting travels per island (and skirt loop) and layer."""
RETRACTIONS_PER_FILL = 2.74
"""Retracting travels per separate piece of infill and layer."""
RETRACTIONS_PER_LAYER = 0.00
"""Retracting travels per layer besides those: the layer change."""
TRAVEL_REACH = 0.706
"""Mean retracting travel over the square root of the largest island's area."""


@dataclass(frozen=True)
class PrintEstimate:
    """Time and material to print one part."""

    seconds: float
    filament_mm: float
    grams: float
    layers: int
    features: dict[str, float] = field(default_factory=dict)
    """Seconds per kind of path (after cooling), to compare with a slicer's breakdown."""

    @property
    def minutes(self) -> float:
        return self.seconds / 60


@dataclass
class _Path:
    """Extrusions of one kind in one layer: polyline segments, ready to time at any feed rate.

    ``turns`` has one entry per vertex (segments + 1): the largest per-axis change of the unit
    direction there, so the jerk allows ``jerk / turn`` mm/s; ``inf`` is a stop.
    """

    feature: str
    lengths: np.ndarray
    turns: np.ndarray
    speed: float
    accel: float
    area: float

    @property
    def length(self) -> float:
        return float(self.lengths.sum())

    def seconds(self, p: PrinterProfile, speed: float | None = None) -> float:
        return _planned(self.lengths, self.turns, speed or self.speed, self.accel, p.jerk)


@dataclass
class _Gyroid:
    """Sparse gyroid in ``chains`` separate runs of short segments: its length follows from the
    region's area over the line spacing (``wave``) and the region's outline."""

    wave: float
    outline: float
    chains: int
    speed: float
    accel: float
    area: float
    feature: str = "sparse infill"

    @property
    def length(self) -> float:
        return GYROID_LENGTH_FACTOR * self.wave + GYROID_ANCHOR * self.outline

    def seconds(self, p: PrinterProfile, speed: float | None = None) -> float:
        v = speed or self.speed
        corner = min(v, max(p.jerk / GYROID_TURN, p.jerk))
        segments = self.length / GYROID_SEGMENT
        per = float(_trapezoid(GYROID_SEGMENT, v, self.accel, corner))
        start = min(v, p.jerk)
        ends = 2 * self.chains * (corner - start) ** 2 / (2 * self.accel * max(corner, 1e-9))
        return segments * per + ends


@dataclass
class _Layer:
    """One layer's paths, and what its travels depend on."""

    paths: list[_Path | _Gyroid] = field(default_factory=list)
    islands: int = 0
    """Separate islands of the part, and skirt loops."""
    fills: int = 0
    """Separate pieces of infill: zig-zag runs of solid infill, pieces of gyroid."""
    reach_mm: float = 0.0
    """Square root of the largest island's area."""
    hops_mm: float = 0.0
    """Travel from island to island."""
    short_travels: int = 0
    """Travels too short to retract: from loop to loop of one contour."""

    @property
    def retractions(self) -> float:
        return (
            RETRACTIONS_PER_LAYER
            + RETRACTIONS_PER_ISLAND * self.islands
            + RETRACTIONS_PER_FILL * self.fills
        )

    @property
    def travel_mm(self) -> float:
        return self.hops_mm + self.retractions * TRAVEL_REACH * self.reach_mm


@dataclass
class _Regions:
    """Where a layer's infill goes, and what of it the next layer may bridge over."""

    top: CrossSection
    bridge: CrossSection
    solid: CrossSection
    sparse: CrossSection


def estimate_print(solid: Solid, profile: PrinterProfile) -> PrintEstimate:
    """Seconds, filament and grams to print ``solid`` as ``profile`` slices it."""
    features: dict[str, float] = {}
    volume, count = 0.0, 0
    for layer in layers(solid, profile):
        for feature, spent in _layer_seconds(layer, profile).items():
            features[feature] = features.get(feature, 0.0) + spent
        volume += sum(path.length * path.area for path in layer.paths)
        count += 1
    return PrintEstimate(
        seconds=START_END_SECONDS + sum(features.values()),
        filament_mm=volume / profile.filament_area,
        grams=volume / 1000 * profile.filament_density,
        layers=count,
        features={k: round(v, 1) for k, v in features.items()},
    )


def layers(solid: Solid, profile: PrinterProfile) -> Iterator[_Layer]:
    """The paths of every layer, bottom up (before cooling slowdown)."""
    heights = _layer_tops(solid.size_mm[2], profile)
    slices = _Slices.of(solid, heights, profile)
    below_sparse = CrossSection()
    for index, (_, thickness) in enumerate(heights):
        layer, below_sparse = _layer(index, slices, thickness, below_sparse, profile)
        yield layer


def _layer_tops(height: float, profile: PrinterProfile) -> list[tuple[float, float]]:
    """(top z, thickness) of every layer."""
    tops = [(profile.first_layer_height, profile.first_layer_height)]
    while tops[-1][0] + profile.layer_height / 2 < height:
        tops.append((tops[-1][0] + profile.layer_height, profile.layer_height))
    return tops


def _flow(width: float, thickness: float) -> tuple[float, float]:
    """(spacing between neighbouring lines, cross-section area) of a line ``width`` wide."""
    spacing = width - thickness * (1 - math.pi / 4)
    return spacing, (width - thickness) * thickness + math.pi * thickness**2 / 4


@dataclass
class _Slices:
    """Every layer's outline, its infill area (inside the perimeters) and its skins: the top
    and bottom surfaces within the infill area, grown by the slicer's margin."""

    sections: list[CrossSection]
    inner: list[CrossSection]
    tops: list[CrossSection]
    bottoms: list[CrossSection]
    outlines: list[bytes]
    """Each section's vertices: layers with equal ones have the same outline (most of a
    prism's), which covers itself, so their booleans can be skipped."""

    @classmethod
    def of(cls, solid: Solid, heights: list[tuple[float, float]], p: PrinterProfile) -> _Slices:
        sections = [solid.manifold.slice(top - thickness / 2) for top, thickness in heights]
        inner = []
        for index, (section, (_, thickness)) in enumerate(zip(sections, heights, strict=True)):
            width = p.first_layer_extrusion_width if index == 0 else p.extrusion_width
            inset = p.external_perimeter_extrusion_width / 2
            inset += (p.perimeters - 0.5 - INFILL_OVERLAP) * _flow(width, thickness)[0]
            inner.append(section.offset(-inset, JoinType.Miter))
        outlines = [
            b"|".join(np.asarray(ring, dtype=np.float64).tobytes() for ring in s.to_polygons())
            for s in sections
        ]

        def exposed(i: int, j: int) -> CrossSection:
            """What of layer ``i``'s infill area layer ``j`` does not cover."""
            if not 0 <= j < len(sections):
                return inner[i]
            return CrossSection() if outlines[j] == outlines[i] else inner[i] - sections[j]

        tops = [_grown(exposed(i, i + 1), inner[i]) for i in range(len(sections))]
        bottoms = [_grown(exposed(i, i - 1), inner[i]) for i in range(len(sections))]
        return cls(sections, inner, tops, bottoms, outlines)


def _layer(
    index: int,
    slices: _Slices,
    thickness: float,
    below_sparse: CrossSection,
    p: PrinterProfile,
) -> tuple[_Layer, CrossSection]:
    section = slices.sections[index]
    layer = _Layer()
    if section.is_empty():
        return layer, CrossSection()
    first = index == 0
    width = p.first_layer_extrusion_width if first else p.extrusion_width
    spacing, area = _flow(width, thickness)
    _perimeters(layer, section, p, first, spacing, area)
    regions = _regions(index, slices, below_sparse, p, spacing)
    angle = 45.0 if index % 2 == 0 else 135.0
    if first:
        inner = slices.inner[0]
        _solid(layer, inner, "first layer", p.first_layer_speed, spacing, area, angle, p, True)
    else:
        top_spacing, top_area = _flow(p.top_infill_extrusion_width, thickness)
        bridge_area = area * p.bridge_flow_ratio
        bridge_width = (bridge_area - math.pi * thickness**2 / 4) / thickness + thickness
        bridge_spacing = _flow(bridge_width, thickness)[0]
        for feature, region, speed, gap, cross in (
            ("bridge", regions.bridge, p.bridge_speed, bridge_spacing, bridge_area),
            ("solid infill", regions.solid, p.solid_infill_speed, spacing, area),
            ("top solid infill", regions.top, p.top_solid_infill_speed, top_spacing, top_area),
        ):
            _solid(layer, region, feature, speed, gap, cross, angle, p, False)
    if p.fill_density > 0 and not regions.sparse.is_empty():
        _gyroid(layer, regions.sparse, spacing / p.fill_density, p, area)
    if index < p.skirt_height:
        _skirt(layer, slices, p, first, area)
    _travels(layer, section)
    return layer, regions.sparse


def _regions(
    index: int, slices: _Slices, below_sparse: CrossSection, p: PrinterProfile, spacing: float
) -> _Regions:
    """Where a layer's infill goes, as PrusaSlicer decides it.

    Solid: the skins of the solid layers above and below (horizontal shells), and wherever a
    layer within that range does not cover this one (vertical shells, so a slope keeps its
    thickness). The top skin is what the next layer does not cover, grown. Solid infill over the
    sparse infill of the layer below (wider than three lines) or over air is a bridge.
    """
    sections, inner = slices.sections, slices.inner[index]
    above = sections[index + 1 : index + 1 + p.top_solid_layers]
    below = sections[max(0, index - p.bottom_solid_layers) : index]
    skins = [
        skin
        for skin in (
            *slices.tops[index : index + p.top_solid_layers],
            *slices.bottoms[max(0, index - p.bottom_solid_layers + 1) : index + 1],
        )
        if not skin.is_empty()
    ]
    window = slices.outlines[index - len(below) : index + 1 + len(above)]
    if not (above and below):
        skins.append(inner)
    elif any(outline != window[0] for outline in window):
        skins.append(inner - CrossSection.batch_boolean([*above, *below], OpType.Intersect))
    empty = CrossSection()
    if not skins:
        return _Regions(top=empty, bridge=empty, solid=empty, sparse=inner)
    solid = (skins[0] if len(skins) == 1 else CrossSection.batch_boolean(skins, OpType.Add)) ^ inner
    sparse = inner - solid
    top = slices.tops[index]
    if not top.is_empty():
        solid = solid - top
    bridge = empty if below_sparse.is_empty() else solid ^ below_sparse
    if not bridge.is_empty():
        opening = 1.5 * spacing
        bridge = bridge.offset(-opening, JoinType.Miter).offset(opening, JoinType.Miter)
    if index > 0 and slices.outlines[index - 1] != slices.outlines[index]:
        bridge = bridge + (solid - sections[index - 1])
    if bridge.is_empty():
        return _Regions(top=top, bridge=bridge, solid=solid, sparse=sparse)
    bridge = bridge ^ solid
    return _Regions(top=top, bridge=bridge, solid=solid - bridge, sparse=sparse)


def _grown(skin: CrossSection, inner: CrossSection) -> CrossSection:
    """A skin grown into the infill by the slicer's margin, within the infill's area."""
    if skin.is_empty():
        return skin
    return skin.offset(EXTERNAL_INFILL_MARGIN, JoinType.Miter) ^ inner


def _perimeters(
    layer: _Layer,
    section: CrossSection,
    p: PrinterProfile,
    first: bool,
    spacing: float,
    area: float,
) -> None:
    accel = min(
        p.first_layer_acceleration if first else p.perimeter_acceleration, p.max_acceleration
    )
    for loop in range(p.perimeters):
        inset = p.external_perimeter_extrusion_width / 2 + loop * spacing
        feature = "external perimeter" if loop == 0 else "perimeter"
        nominal = p.external_perimeter_speed if loop == 0 else p.perimeter_speed
        for ring in section.offset(-inset, JoinType.Miter).to_polygons():
            points = np.asarray(ring, dtype=np.float64)
            if len(points) < 3:
                continue
            lengths, turns = _ring(points)
            speed = nominal
            if lengths.sum() < SMALL_PERIMETER_MM:
                speed = min(speed, p.small_perimeter_speed)
            if first:
                speed = p.first_layer_speed
            layer.paths.append(_Path(feature, lengths, turns, speed, accel, area))
            layer.short_travels += 1


def _solid(
    layer: _Layer,
    region: CrossSection,
    feature: str,
    speed: float,
    spacing: float,
    area: float,
    angle: float,
    p: PrinterProfile,
    first: bool,
) -> None:
    """Rectilinear infill: the exact chords of ``region``, joined end to end (zig-zag)."""
    if region.is_empty():
        return
    chords = _chords(region, spacing, angle)
    if len(chords) == 0:
        return
    if first:
        accel = p.first_layer_acceleration
    elif feature == "bridge":
        accel = p.bridge_acceleration
    else:
        accel = p.infill_acceleration
    lengths = np.empty(2 * len(chords) - 1)
    lengths[0::2] = chords
    lengths[1::2] = spacing
    along = np.array([[math.cos(math.radians(angle)), math.sin(math.radians(angle))]])
    across = along @ np.array([[0.0, 1.0], [-1.0, 0.0]])
    turn = float(np.maximum(_turns(along, across), _turns(across, -along))[0])
    turns = np.full(len(lengths) + 1, turn)
    turns[0] = turns[-1] = np.inf
    accel = min(accel, p.max_acceleration)
    layer.paths.append(_Path(feature, lengths, turns, speed, accel, area))
    layer.fills += _pieces(region, spacing)


def _turns(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The largest per-axis change of direction between rows of unit vectors: the difference
    where an axis keeps its sign, the larger of the two where it reverses (the firmware's
    classic jerk, as PrusaSlicer's estimator replays it). Times the speed, the jerk it needs."""
    same = before * after >= 0
    change = np.where(same, np.abs(after - before), np.maximum(np.abs(before), np.abs(after)))
    result: np.ndarray = change.max(axis=1)
    return result


def _gyroid(
    layer: _Layer, region: CrossSection, spacing: float, p: PrinterProfile, area: float
) -> None:
    """Sparse gyroid infill: wavy lines of short segments, slowed by the jerk at each turn."""
    outline = sum(_ring_length(np.asarray(r)) for r in region.to_polygons())
    pieces = max(1, _pieces(region, spacing * p.fill_density))
    accel = min(p.infill_acceleration, p.max_acceleration)
    layer.paths.append(
        _Gyroid(region.area() / spacing, outline, pieces, p.infill_speed, accel, area)
    )
    layer.fills += pieces


def _pieces(region: CrossSection, spacing: float) -> int:
    """Separate pieces of a region worth a travel: at least three lines wide each way (the
    boolean operations leave slivers the slicer does not fill)."""
    return sum(piece.area() >= (3 * spacing) ** 2 for piece in region.decompose())


def _chords(region: CrossSection, spacing: float, angle: float) -> np.ndarray:
    """Lengths of the scan lines ``spacing`` apart at ``angle`` inside ``region``."""
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
        return np.zeros(0)
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
    return np.concatenate(chords)


def _skirt(layer: _Layer, slices: _Slices, p: PrinterProfile, first: bool, area: float) -> None:
    """Skirt loops round the first layer's hull, as many as ``skirts`` and more until they
    hold ``min_skirt_length`` of filament, on each skirt layer; at the support material speed
    (PrusaSlicer's rule), slower on the first layer."""
    accel = p.first_layer_acceleration if first else p.default_acceleration
    speed = p.first_layer_speed if first else p.support_material_speed
    spacing, first_area = _flow(p.first_layer_extrusion_width, p.first_layer_height)
    hull = CrossSection.batch_boolean(slices.sections[: p.skirt_height], OpType.Add).hull()
    filament, loop = 0.0, 0
    while loop < p.skirts or filament < p.min_skirt_length:
        distance = p.skirt_distance + (loop + 0.5) * spacing
        ring = hull.offset(distance, JoinType.Round, circular_segments=32)
        for polygon in ring.to_polygons():
            lengths, turns = _ring(np.asarray(polygon, dtype=np.float64))
            layer.paths.append(_Path("skirt", lengths, turns, speed, accel, area))
            filament += float(lengths.sum()) * first_area / p.filament_area
        loop += 1
    layer.islands += 1


def _travels(layer: _Layer, section: CrossSection) -> None:
    """Each island's size (travels within it scale with it) and the hops between islands
    (their centres, in the order they are listed)."""
    islands = section.decompose()
    centres = []
    layer.islands += len(islands)
    for island in islands:
        lo_x, lo_y, hi_x, hi_y = island.bounds()
        centres.append(((lo_x + hi_x) / 2, (lo_y + hi_y) / 2))
        layer.reach_mm = max(layer.reach_mm, math.sqrt(max(island.area(), 1.0)))
    layer.hops_mm = sum(math.dist(a, b) for a, b in itertools.pairwise(centres))


@functools.lru_cache(maxsize=8)
def _retraction_seconds(p: PrinterProfile) -> tuple[float, float]:
    """(planned, nominal) seconds of one retracting travel's fixed part: wipe while
    retracting, lift, lower, unretract."""
    wipe_speed = WIPE_SPEED_SHARE * p.travel_speed
    wipe = p.retract_length / p.retract_speed * wipe_speed if p.wipe else 0.0
    e_start = min(p.retract_speed, p.max_jerk_e)
    planned = float(_trapezoid(wipe, wipe_speed, p.default_acceleration, e_start))
    planned += 2 * float(
        _trapezoid(p.retract_lift, p.travel_speed_z, p.max_acceleration_z, p.max_jerk_z)
    )
    e_move = _trapezoid(p.retract_length, p.retract_speed, p.max_acceleration_retracting, e_start)
    planned += float(e_move) * (1 if p.wipe else 2)  # unretract; retract too when not wiping
    nominal = wipe / wipe_speed + 2 * p.retract_lift / p.travel_speed_z
    nominal += p.retract_length / p.retract_speed
    return planned, nominal


def _layer_seconds(layer: _Layer, p: PrinterProfile) -> dict[str, float]:
    """Seconds per kind of path, after the cooling slowdown.

    PrusaSlicer's cooling buffer sums every move's length over its feed rate; when that is
    under the cooling time it caps the feed rate of the extrusions, the fastest first, at the
    speed that makes up the time, never below the minimum print speed (and leaves slower ones
    alone). The printer then spends the planned time at the capped speeds.
    """
    planned, nominal = _retraction_seconds(p)
    travels = layer.retractions + layer.short_travels
    mean = layer.travel_mm / max(travels, 1)
    travel = travels * float(_trapezoid(mean, p.travel_speed, p.default_acceleration, p.jerk))
    fixed = layer.retractions * nominal + layer.travel_mm / p.travel_speed
    lengths: dict[float, float] = {}
    for path in layer.paths:
        if path.feature in NOT_SLOWED or path.speed <= p.min_print_speed:
            fixed += path.length / path.speed
        else:
            lengths[path.speed] = lengths.get(path.speed, 0.0) + path.length
    cap = _cooling_cap(lengths, p.slowdown_below_layer_time - fixed, p.min_print_speed)
    spent = {"travel": travel + layer.retractions * planned}
    for path in layer.paths:
        speed = path.speed if path.feature in NOT_SLOWED else min(path.speed, cap)
        spent[path.feature] = spent.get(path.feature, 0.0) + path.seconds(p, speed)
    return spent


def _cooling_cap(lengths: dict[float, float], wanted: float, lowest: float) -> float:
    """The feed-rate cap that makes extrusions of these lengths (mm by speed) take ``wanted``
    seconds, never below ``lowest`` (``inf``: they take long enough)."""
    if not lengths or sum(n / v for v, n in lengths.items()) >= wanted:
        return math.inf
    speeds = sorted(lengths, reverse=True)
    for count, cap in enumerate([*speeds[1:], lowest], start=1):
        faster = sum(lengths[v] for v in speeds[:count])
        slower = sum(lengths[v] / v for v in speeds[count:])
        if faster / cap + slower >= wanted:
            return max(faster / max(wanted - slower, 1e-9), lowest)
    return lowest


def _ring(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment lengths and vertex turns of a closed loop printed from its first point round."""
    steps = np.diff(points, axis=0, append=points[:1])
    lengths = np.sqrt((steps**2).sum(axis=1))
    keep = lengths > 1e-6
    steps, lengths = steps[keep], lengths[keep]
    if len(lengths) == 0:
        return np.zeros(0), np.full(1, np.inf)
    directions = steps / lengths[:, None]
    before = np.concatenate((directions[-1:], directions[:-1]))
    turns = np.append(_turns(before, directions), np.inf)
    turns[0] = np.inf
    return lengths, turns


def _ring_length(points: np.ndarray) -> float:
    return float(np.sqrt((np.diff(points, axis=0, append=points[:1]) ** 2).sum(axis=1)).sum())


def _planned(
    lengths: np.ndarray, turns: np.ndarray, speed: float, accel: float, jerk: float
) -> float:
    """Seconds for a chain of segments as the firmware plans it.

    The junction speed is what the jerk allows at each vertex, never below the safe speed
    (``min(speed, jerk)``, where a move may start or stop); forward and backward passes lower it
    where the acceleration cannot reach it over the segment before or after (in squared speeds
    the passes are running minima of ``junction² - 2·a·distance``); each segment is then a
    trapezoid between its two junction speeds.
    """
    if len(lengths) == 0:
        return 0.0
    safe = min(speed, jerk)
    junction = np.maximum(np.minimum(speed, jerk / np.maximum(turns, 1e-9)), safe) ** 2
    reach = np.concatenate(([0.0], np.cumsum(2 * accel * lengths)))
    forward = reach + np.minimum.accumulate(junction - reach)
    back_reach = reach[-1] - reach
    backward = back_reach + np.minimum.accumulate((junction - back_reach)[::-1])[::-1]
    w = np.minimum(forward, backward)
    w0, w1 = w[:-1], w[1:]
    v0, v1 = np.sqrt(w0), np.sqrt(w1)
    peak_sq = (2 * accel * lengths + w0 + w1) / 2
    cruise = (2 * speed - v0 - v1) / accel + (
        lengths - (2 * speed**2 - w0 - w1) / (2 * accel)
    ) / speed
    short = (2 * np.sqrt(peak_sq) - v0 - v1) / accel
    return float(np.where(peak_sq >= speed**2, cruise, short).sum())


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
