"""Fit the FDM estimator's measured constants on the calibration corpus only.

The constants in ``microfab.catalog.printing`` that are not the profile's or PrusaSlicer's own
rules are measured here, in PrusaSlicer 2.5's G-code for the calibration corpus (seed 1; the
held-out corpus, seed 2, is never read): how long gyroid lines are for a region's area and
outline, how long and how bent their segments are, how many retracting travels a layer makes
for its islands and pieces of infill, and how far they go. Each is a measurement or a least
squares fit of G-code quantities against the model's own geometry, not a fit of the time error.
Prints the constants to paste into ``printing.py``::

    python bench/catalog/calibrate.py
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from corpus import PROFILE, draw, gcode

from microfab.catalog import printing
from microfab.catalog.profiles import PrinterProfile

SEED, PARTS = 1, 40
"""The calibration corpus: the same draw as ``estimate_accuracy.CALIBRATION_SEED``."""


@dataclass
class GcodeFigures:
    """What one part's G-code does, in the quantities the model predicts."""

    gyroid_mm: float = 0.0
    runs: list[tuple[list[float], list[float]]] = field(default_factory=list)
    """Gyroid runs: their segment lengths and the turns between them."""
    unretracts: int = 0
    travel_mm: float = 0.0


def read_gcode(path: Path) -> GcodeFigures:
    figures = GcodeFigures()
    x = y = 0.0
    feature, wiping = "", False
    last: tuple[float, float] | None = None
    for line in path.read_text("utf-8").splitlines():
        if line.startswith(";TYPE:"):
            feature, last = line[6:], None
            if feature == "Internal infill":
                figures.runs.append(([], []))
        elif line.startswith(";WIPE_"):
            wiping = line == ";WIPE_START"
        elif line.startswith("G1 "):
            words = {w[0]: float(w[1:]) for w in line.split(";")[0].split()[1:]}
            nx, ny, e = words.get("X", x), words.get("Y", y), words.get("E", 0.0)
            dx, dy = nx - x, ny - y
            length = math.hypot(dx, dy)
            x, y = nx, ny
            if length == 0:
                figures.unretracts += e > 0 and "Z" not in words
                continue
            if e <= 0:
                figures.travel_mm += 0.0 if wiping else length
                if last is not None and feature == "Internal infill":
                    figures.runs.append(([], []))
                last = None
                continue
            if feature != "Internal infill":
                continue
            direction = (dx / length, dy / length)
            figures.gyroid_mm += length
            figures.runs[-1][0].append(length)
            if last is not None:
                figures.runs[-1][1].append(_turn(last, direction))
            last = direction
    return figures


def _turn(before: tuple[float, float], after: tuple[float, float]) -> float:
    return max(
        abs(b - a) if a * b >= 0 else max(abs(a), abs(b))
        for a, b in zip(before, after, strict=True)
    )


@dataclass
class ModelFigures:
    """The model's geometry for one part, before any fitted constant applies."""

    wave: float = 0.0
    outline: float = 0.0
    layers: int = 0
    islands: int = 0
    fills: int = 0
    hops_mm: float = 0.0
    reach: list[tuple[int, int, float]] = field(default_factory=list)


def read_model(part_solid: object, profile: PrinterProfile) -> ModelFigures:
    figures = ModelFigures()
    for layer in printing.layers(part_solid, profile):  # type: ignore[arg-type]
        figures.layers += 1
        figures.islands += layer.islands
        figures.fills += layer.fills
        figures.hops_mm += layer.hops_mm
        figures.reach.append((layer.islands, layer.fills, layer.reach_mm))
        for path in layer.paths:
            if isinstance(path, printing._Gyroid):
                figures.wave += path.wave
                figures.outline += path.outline
    return figures


def non_negative_fit(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least squares with every coefficient ≥ 0: a term that would come out negative (a
    retraction that saves one) is dropped and the rest refitted."""
    keep = list(range(design.shape[1]))
    while True:
        fit = np.linalg.lstsq(design[:, keep], target, rcond=None)[0]
        if (fit >= 0).all():
            coefficients = np.zeros(design.shape[1])
            coefficients[keep] = fit
            return coefficients
        keep.pop(int(np.argmin(fit)))


def gyroid_turn(runs: list[tuple[list[float], list[float]]], profile: PrinterProfile) -> float:
    """The one turn at every junction that takes the model's uniform gyroid as long, at the
    infill speed, as the slicer's real gyroid runs planned move by move."""
    accel = min(profile.infill_acceleration, profile.max_acceleration)
    speed = profile.infill_speed
    real = 0.0
    for lengths, turns in runs:
        vertices = np.array([math.inf, *turns, math.inf])
        real += printing._planned(np.array(lengths), vertices, speed, accel, profile.jerk)
    length = sum(sum(lengths) for lengths, _ in runs)

    def model(turn: float) -> float:
        printing.GYROID_TURN = turn
        wave = length / printing.GYROID_LENGTH_FACTOR  # so that its length is the slicer's
        return printing._Gyroid(wave, 0.0, len(runs), speed, accel, 0.0).seconds(profile)

    low, high = 1e-3, 2.0
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if model(middle) < real else (low, middle)
    return (low + high) / 2


def main() -> int:
    profile = PrinterProfile.from_ini(PROFILE)
    pairs = []
    for part in draw(SEED, PARTS, profile):
        path, _ = gcode(part.solid)
        pairs.append((read_model(part.solid, profile), read_gcode(path)))
        print(".", end="", flush=True)
    print()
    ours = [m for m, _ in pairs]
    theirs = [g for _, g in pairs]

    design = np.array([[m.wave, m.outline] for m in ours])
    length, anchor = np.linalg.lstsq(design, [g.gyroid_mm for g in theirs], rcond=None)[0]
    runs = [run for g in theirs for run in g.runs if run[0]]
    segment = sum(sum(lengths) for lengths, _ in runs) / sum(len(lengths) for lengths, _ in runs)
    printing.GYROID_SEGMENT = segment
    turn = gyroid_turn(runs, profile)

    counts = np.array([[m.layers, m.islands, m.fills] for m in ours], dtype=float)
    retractions = non_negative_fit(counts, np.array([g.unretracts for g in theirs], float))
    per_layer, per_island, per_fill = (float(v) for v in retractions)
    reach_sum = sum(
        (per_layer + per_island * c + per_fill * f) * r for m in ours for c, f, r in m.reach
    )
    hops = sum(m.hops_mm for m in ours)
    reach = (sum(g.travel_mm for g in theirs) - hops) / reach_sum

    print(f"GYROID_LENGTH_FACTOR = {length:.3f}")
    print(f"GYROID_ANCHOR = {anchor:.3f}")
    print(f"GYROID_SEGMENT = {segment:.3f}")
    print(f"GYROID_TURN = {turn:.3f}")
    print(f"RETRACTIONS_PER_LAYER = {per_layer:.2f}")
    print(f"RETRACTIONS_PER_ISLAND = {per_island:.2f}")
    print(f"RETRACTIONS_PER_FILL = {per_fill:.2f}")
    print(f"TRAVEL_REACH = {reach:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
