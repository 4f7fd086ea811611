"""Turning a part into G-code with PrusaSlicer's command line: the one place that calls it.

``prusa-slicer --export-gcode --load PROFILE -o OUT.gcode PART.stl`` takes 0.5–2 s per part here.
PrusaSlicer 2.5 cannot pick vendor presets by name on the command line, so a profile is one flat
ini (printer, filament and print settings together); microfab ships one for an Original Prusa
MK3S with Prusament PLA at 0.20 mm (``bench/catalog/flatten_profile.py`` made it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from microfab.catalog.errors import SlicerFailed

SHIPPED_PROFILE = "mk3s_pla_020.ini"
TIMEOUT_S = 300.0
_TIME = re.compile(r"^; estimated printing time \(normal mode\) = (.+)$", re.MULTILINE)
_GRAMS = re.compile(r"^; total filament used \[g\] = ([0-9.]+)$", re.MULTILINE)
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True)
class Sliced:
    """The G-code file and what PrusaSlicer says it will take."""

    gcode: Path
    seconds: float | None
    grams: float | None


def shipped_profile() -> Path:
    """The flattened MK3S / PLA / 0.20 mm profile that comes with microfab."""
    return Path(
        str(resources.files("microfab.catalog").joinpath("slicer_profiles", SHIPPED_PROFILE))
    )


def slice_part(
    model: Path,
    output: Path,
    profile: Path | None = None,
    program: str = "prusa-slicer",
    copies: int = 1,
    timeout_s: float = TIMEOUT_S,
) -> Sliced:
    """Slice ``model`` (STL or 3MF) into ``output``; ``SlicerFailed`` says what went wrong."""
    executable = shutil.which(program)
    if executable is None:
        raise SlicerFailed(
            f"{program} is not installed (or not on PATH): install PrusaSlicer "
            "(Debian: apt-get install prusa-slicer), or remove `slicer` from the machine's driver"
        )
    profile = profile or shipped_profile()
    if not profile.is_file():
        raise SlicerFailed(f"the slicer profile {profile} does not exist: name a flat .ini file")
    command = [executable, "--export-gcode", "--load", str(profile), "-o", str(output)]
    if copies > 1:
        command += ["--duplicate", str(copies)]
    output.unlink(missing_ok=True)
    try:
        done = subprocess.run(
            [*command, str(model)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
    except subprocess.TimeoutExpired:
        raise SlicerFailed(f"{program} took more than {timeout_s:.0f} s on {model.name}") from None
    if done.returncode != 0 or not output.is_file():
        raise SlicerFailed(f"{program} could not slice {model.name}: {_last_error(done)}")
    return read_estimate(output)


def read_estimate(gcode: Path) -> Sliced:
    """The print time and filament mass PrusaSlicer wrote into the G-code's closing comments."""
    with gcode.open("rb") as stream:
        stream.seek(max(0, gcode.stat().st_size - 64_000))
        tail = stream.read().decode("utf-8", "replace")
    time, grams = _TIME.search(tail), _GRAMS.search(tail)
    return Sliced(
        gcode,
        duration_seconds(time.group(1)) if time else None,
        float(grams.group(1)) if grams else None,
    )


def duration_seconds(text: str) -> float:
    """``1d 2h 3m 4s`` (any of the parts) in seconds."""
    return float(sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([dhms])", text)))


def _last_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() and "[trace]" not in ln]
    chosen = errors or lines or [f"exit status {done.returncode}"]
    return chosen[-1][-300:]
