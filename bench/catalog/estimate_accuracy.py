"""Print-time and filament estimates of microfab beside PrusaSlicer 2.5, on held-out parts.

Two disjoint corpora are drawn from the shipped printable templates with random valid parameters
(``corpus.draw``): the calibration corpus (seed 1), the only one ``calibrate.py`` may fit the
estimator's constants on, and the held-out corpus (seed 2), which the bar is scored on. Both
sides get the same STL and the same flattened profile (``mk3s_pla_020.ini``: Original Prusa i3
MK3S, Prusament PLA, 0.20mm QUALITY). Needs Debian's ``prusa-slicer``. Writes
``bench/results/catalog_estimate_accuracy.json``::

    python bench/catalog/estimate_accuracy.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from corpus import PROFILE, Part, draw, gcode, slicer_figures

from microfab.catalog.printing import estimate_print
from microfab.catalog.profiles import PrinterProfile

RESULT = Path(__file__).resolve().parents[1] / "results" / "catalog_estimate_accuracy.json"
CALIBRATION_SEED, HELD_OUT_SEED = 1, 2
PARTS = 40
"""Per corpus: ten of each of the four printable templates."""


def main() -> int:
    profile = PrinterProfile.from_ini(PROFILE)
    calibration = draw(CALIBRATION_SEED, PARTS, profile)
    held_out = draw(HELD_OUT_SEED, PARTS, profile)
    keys = {json.dumps([p.template, p.params], sort_keys=True) for p in calibration}
    assert not any(json.dumps([p.template, p.params], sort_keys=True) in keys for p in held_out)
    report: dict[str, Any] = {"profile": PROFILE.name}
    for label, seed, parts in (
        ("held_out", HELD_OUT_SEED, held_out),
        ("calibration", CALIBRATION_SEED, calibration),
    ):
        rows = [measure(part, profile) for part in parts]
        report[label] = {"seed": seed, "summary": summarise(rows), "parts": rows}
        print(label, json.dumps(report[label]["summary"], indent=2))
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return 0


def measure(part: Part, profile: PrinterProfile) -> dict[str, Any]:
    started = time.perf_counter()
    ours = estimate_print(part.solid, profile)
    ours_ms = (time.perf_counter() - started) * 1000
    path, slicer_ms = gcode(part.solid)
    theirs = slicer_figures(path)
    row = {
        "template": part.template,
        "params": part.params,
        "prusaslicer_minutes": round(theirs["seconds"] / 60, 2),
        "microfab_minutes": round(ours.minutes, 2),
        "time_error": round(ours.seconds / theirs["seconds"] - 1, 4),
        "prusaslicer_g": theirs["grams"],
        "microfab_g": round(ours.grams, 2),
        "mass_error": round(ours.grams / theirs["grams"] - 1, 4),
        "microfab_ms": round(ours_ms, 1),
        "prusaslicer_ms": round(slicer_ms, 1) if slicer_ms else None,
    }
    print(f"{part.template:18} {row['time_error']:+.3f} {row['mass_error']:+.3f}", flush=True)
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def quantiles(key: str, subset: list[dict[str, Any]]) -> dict[str, float]:
        errors = sorted(abs(r[key]) for r in subset)
        return {
            "median_abs": round(statistics.median(errors), 4),
            "p90_abs": round(errors[int(0.9 * (len(errors) - 1) + 0.5)], 4),
            "max_abs": round(errors[-1], 4),
            "mean_signed": round(statistics.fmean(r[key] for r in subset), 4),
        }

    sliced = [r["prusaslicer_ms"] for r in rows if r["prusaslicer_ms"]]
    templates = sorted({r["template"] for r in rows})
    return {
        "parts": len(rows),
        "print_time": quantiles("time_error", rows),
        "filament_mass": quantiles("mass_error", rows),
        "print_time_by_template": {
            t: quantiles("time_error", [r for r in rows if r["template"] == t]) for t in templates
        },
        "microfab_ms_median": round(statistics.median(r["microfab_ms"] for r in rows), 1),
        "prusaslicer_ms_median": round(statistics.median(sliced), 1) if sliced else None,
    }


if __name__ == "__main__":
    sys.exit(main())
