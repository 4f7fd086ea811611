"""Print-time and filament estimates of microfab beside PrusaSlicer 2.5, on the same parts.

Every part comes from a shipped template with varied parameters; both sides get the same STL and
the same flattened profile (``mk3s_pla_020.ini``: Original Prusa i3 MK3S, Prusament PLA,
0.20mm QUALITY). Needs Debian's ``prusa-slicer``. Writes
``bench/results/catalog_estimate_accuracy.json``::

    python bench/catalog/estimate_accuracy.py
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from manifold3d import Manifold

from microfab.catalog.geometry import Solid, on_bed
from microfab.catalog.printing import estimate_print
from microfab.catalog.profiles import PrinterProfile
from microfab.catalog.registry import Registry

HERE = Path(__file__).resolve().parent
PROFILE = HERE / "mk3s_pla_020.ini"
RESULT = HERE.parent / "results" / "catalog_estimate_accuracy.json"

CORPUS: list[tuple[str, dict[str, Any]]] = [
    *[
        ("phone-grip", {"name": n, "style": s})
        for n, s in [
            ("Ada", "embossed"),
            ("Bo", "engraved"),
            ("Alexandra K", "embossed"),
            ("Mia", "engraved"),
            ("Jürgen", "embossed"),
            ("Zoë & Li", "embossed"),
            ("Ångström", "engraved"),
            ("Maximilian", "embossed"),
            ("Team 42", "engraved"),
            ("Ole", "embossed"),
        ]
    ],
    *[
        (
            "window-crank-knob",
            {"shaft_diameter_mm": d, "length_mm": length, "thread": t, "symbol": s},
        )
        for d, length, t, s in [
            (8, 30, "M6", "arrows"),
            (4, 15, "none", "dot"),
            (16, 60, "M8", "star"),
            (6, 25, "M4", "window"),
            (10, 45, "M5", "none"),
            (12, 35, "M6", "arrows"),
            (5, 20, "M4", "star"),
            (14, 50, "none", "window"),
        ]
    ],
    *[
        (
            "mounting-bracket",
            {
                "flange_mm": f,
                "width_mm": w,
                "thickness_mm": t,
                "holes": h,
                "hole_spacing_mm": sp,
                "screw": sc,
            },
        )
        for f, w, t, h, sp, sc in [
            (40, 30, 4, 2, 16, "M4"),
            (25, 20, 3, 1, 10, "M3"),
            (60, 40, 5, 2, 20, "M5"),
            (80, 60, 6, 3, 18, "M6"),
            (30, 50, 2.5, 3, 14, "M3"),
            (50, 25, 4, 1, 10, "M4"),
            (100, 80, 8, 4, 18, "M5"),
            (35, 35, 3.5, 2, 15, "M4"),
            (70, 45, 7, 2, 22, "M6"),
            (45, 15, 2, 1, 8, "M3"),
        ]
    ],
    *[
        (
            "custom-insole",
            {"foot_length_mm": length, "foot_width_mm": w, "arch_height_mm": a, "side": s},
        )
        for length, w, a, s in [
            (200, 70, 5, "left"),
            (215, 80, 12, "right"),
            (225, 85, 18, "left"),
            (240, 95, 25, "right"),
            (210, 75, 30, "left"),
            (235, 90, 8, "right"),
            (220, 100, 15, "left"),
            (230, 110, 20, "right"),
        ]
    ],
]


def main() -> int:
    registry = Registry(entry_points_enabled=False)
    profile = PrinterProfile.from_ini(PROFILE)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for template_id, params in CORPUS:
            template = registry.get(template_id)
            solid = lay_flat(template.build(template.validate(params)))  # type: ignore[arg-type]
            started = time.perf_counter()
            ours = estimate_print(solid, profile)
            ours_ms = (time.perf_counter() - started) * 1000
            theirs = prusaslicer(solid, Path(tmp))
            rows.append(
                {
                    "template": template_id,
                    "params": params,
                    "prusaslicer_minutes": round(theirs["seconds"] / 60, 2),
                    "microfab_minutes": round(ours.minutes, 2),
                    "time_error": round(ours.seconds / theirs["seconds"] - 1, 4),
                    "prusaslicer_g": theirs["grams"],
                    "microfab_g": round(ours.grams, 2),
                    "mass_error": round(ours.grams / theirs["grams"] - 1, 4),
                    "microfab_ms": round(ours_ms, 1),
                    "prusaslicer_ms": round(theirs["ms"], 1),
                }
            )
            print(f"{template_id:18} {rows[-1]['time_error']:+.3f} {rows[-1]['mass_error']:+.3f}")
    summary = summarise(rows)
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(
        json.dumps(
            {"profile": PROFILE.name, "summary": summary, "parts": rows},
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        "utf-8",
    )
    print(json.dumps(summary, indent=2))
    return 0


def lay_flat(solid: Solid) -> Solid:
    """Long side along x, the bed's longer side, as an operator would place it."""
    x, y, _ = solid.size_mm
    if y > x:
        return Solid(on_bed(Manifold.rotate(solid.manifold, (0.0, 0.0, 90.0))))
    return solid


def prusaslicer(solid: Solid, folder: Path) -> dict[str, float]:
    stl, gcode = folder / "part.stl", folder / "part.gcode"
    stl.write_bytes(solid.mesh.export(file_type="stl"))
    started = time.perf_counter()
    subprocess.run(
        ["prusa-slicer", "--export-gcode", "--load", str(PROFILE), "-o", str(gcode), str(stl)],
        check=True,
        capture_output=True,
    )
    elapsed = (time.perf_counter() - started) * 1000
    text = gcode.read_text("utf-8")
    found = re.search(r"estimated printing time \(normal mode\) = (.*)", text)
    grams = re.search(r"filament used \[g\] = ([\d.]+)", text)
    assert found
    assert grams
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    seconds = sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([dhms])", found.group(1)))
    return {"seconds": float(seconds), "grams": float(grams.group(1)), "ms": elapsed}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def quantiles(key: str) -> dict[str, float]:
        errors = sorted(abs(r[key]) for r in rows)
        return {
            "median_abs": round(statistics.median(errors), 4),
            "p90_abs": round(errors[int(0.9 * (len(errors) - 1) + 0.5)], 4),
            "max_abs": round(errors[-1], 4),
            "mean_signed": round(statistics.fmean(r[key] for r in rows), 4),
        }

    return {
        "parts": len(rows),
        "print_time": quantiles("time_error"),
        "filament_mass": quantiles("mass_error"),
        "microfab_ms_median": statistics.median(r["microfab_ms"] for r in rows),
        "prusaslicer_ms_median": statistics.median(r["prusaslicer_ms"] for r in rows),
    }


if __name__ == "__main__":
    sys.exit(main())
