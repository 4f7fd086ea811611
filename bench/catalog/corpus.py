"""Parts to measure estimates on, and PrusaSlicer 2.5's G-code for them.

A corpus is drawn from every shipped template that can be printed, in turn, with random valid
parameters: numbers uniform over their range (on their step, else 0.5 mm), integers and choices
uniform, names of random length from the template's characters. A draw that the template
refuses, or that fails the printability checks on the profile's printer, is drawn again. The
seed fixes the corpus; two seeds give disjoint corpora (checked by the callers).

Slicing goes through Debian's ``prusa-slicer``; the G-code is kept in a cache folder keyed by
the STL and the profile, so re-running a bench after changing the estimator does not re-slice.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manifold3d import Manifold

from microfab.catalog.dfm import check
from microfab.catalog.geometry import Solid, on_bed
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.profiles import PrinterProfile
from microfab.catalog.registry import Registry
from microfab.catalog.template import Kind, Template
from microfab.errors import InvalidParameter

HERE = Path(__file__).resolve().parent
PROFILE = HERE / "mk3s_pla_020.ini"
CACHE = Path("/tmp/microfab-prusaslicer-cache")
NAME_LETTERS = string.ascii_letters + "ÄÖÜäöüßéèçñøåŁł"


@dataclass(frozen=True)
class Part:
    template: str
    params: dict[str, Any]
    solid: Solid


def printable_templates(registry: Registry) -> list[Template]:
    return sorted(
        (t for t in registry.all() if t.kind is Kind.SOLID and "fdm" in t.processes),
        key=lambda t: t.id,
    )


def draw(seed: int, count: int, profile: PrinterProfile) -> list[Part]:
    """``count`` parts, the printable templates in turn, parameters drawn with ``seed``."""
    rng = random.Random(seed)
    templates = printable_templates(Registry(entry_points_enabled=False))
    parts: list[Part] = []
    while len(parts) < count:
        template = templates[len(parts) % len(templates)]
        params = {p.name: _value(p, rng) for p in template.parameters}
        try:
            solid = lay_flat(template.build(template.validate(params)))  # type: ignore[arg-type]
        except InvalidParameter:
            continue
        if check(solid, profile).ok:
            parts.append(Part(template.id, params, solid))
    return parts


def _value(parameter: Parameter, rng: random.Random) -> Any:
    match parameter.kind:
        case ParameterKind.NUMBER:
            assert parameter.minimum is not None
            assert parameter.maximum is not None
            step = parameter.step or 0.5
            low, high = parameter.minimum / step, parameter.maximum / step
            return round(rng.randint(int(low + 0.999), int(high)) * step, 6)
        case ParameterKind.INTEGER:
            assert parameter.minimum is not None
            assert parameter.maximum is not None
            return rng.randint(int(parameter.minimum), int(parameter.maximum))
        case ParameterKind.CHOICE | ParameterKind.COLOUR:
            return rng.choice(parameter.choices)
        case ParameterKind.BOOLEAN:
            return rng.random() < 0.5
        case ParameterKind.TEXT:
            length = rng.randint(1, parameter.max_length or 12)
            letters = [rng.choice(NAME_LETTERS) for _ in range(length)]
            if length > 4 and rng.random() < 0.3:
                letters[rng.randint(1, length - 2)] = " "
            return "".join(letters)
    raise AssertionError(parameter.kind)


def lay_flat(solid: Solid) -> Solid:
    """Long side along x, the bed's longer side, as an operator would place it."""
    x, y, _ = solid.size_mm
    if y > x:
        return Solid(on_bed(Manifold.rotate(solid.manifold, (0.0, 0.0, 90.0))))
    return solid


def gcode(solid: Solid, profile: Path = PROFILE, cache: Path = CACHE) -> tuple[Path, float]:
    """PrusaSlicer's G-code for ``solid`` (from the cache when there) and the ms slicing took
    (0 when cached)."""
    stl = solid.mesh.export(file_type="stl")
    key = hashlib.sha256(stl + profile.read_bytes()).hexdigest()[:20]
    out = cache / f"{key}.gcode"
    if out.exists():
        return out, 0.0
    cache.mkdir(parents=True, exist_ok=True)
    source = cache / f"{key}.stl"
    source.write_bytes(stl)
    started = time.perf_counter()
    subprocess.run(
        ["prusa-slicer", "--export-gcode", "--load", str(profile), "-o", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    source.unlink()
    return out, (time.perf_counter() - started) * 1000


def slicer_figures(path: Path) -> dict[str, float]:
    """PrusaSlicer's own estimate (normal mode) and filament mass, from its G-code footer."""
    text = path.read_text("utf-8")
    found = re.search(r"estimated printing time \(normal mode\) = (.*)", text)
    grams = re.search(r"filament used \[g\] = ([\d.]+)", text)
    assert found
    assert grams
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    seconds = sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([dhms])", found.group(1)))
    return {"seconds": float(seconds), "grams": float(grams.group(1))}
