"""Use cases of the catalog: build a product's geometry, check it, estimate it, preview it.

``CatalogService.preview`` is what a customer's "show me" does: checked parameters, the geometry
(from the cache when the same parameters were seen), the printability checks on every candidate
machine, the estimates on those that can make it, and a PNG thumbnail.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from microfab.catalog.cache import LruCache, cache_key
from microfab.catalog.dfm import DfmReport, check
from microfab.catalog.errors import NotManufacturable
from microfab.catalog.estimate import Estimate, estimate
from microfab.catalog.exports import Labels, export
from microfab.catalog.geometry import Geometry, Solid
from microfab.catalog.limits import IsolatedBuilder
from microfab.catalog.model import LineEstimate, ParamValue, ProcessEstimate, ProductTemplate
from microfab.catalog.profiles import (
    PROFILES,
    CncProfile,
    LaserProfile,
    PrinterProfile,
    Profile,
)
from microfab.catalog.registry import Registry
from microfab.catalog.template import Template
from microfab.errors import NotFound
from microfab.network.model import Network


@dataclass(frozen=True)
class Candidate:
    """A kind of machine a part may go to: its profile, sized to the real machine."""

    process: str
    profile: Profile


@dataclass(frozen=True)
class MachineCheck:
    candidate: Candidate
    report: DfmReport
    estimate: Estimate | None


@dataclass(frozen=True)
class Preview:
    template: Template
    values: dict[str, ParamValue]
    geometry: Geometry
    checks: tuple[MachineCheck, ...]
    build_ms: float
    thumbnail_png: bytes = field(repr=False, default=b"")

    @property
    def thumbnail_base64(self) -> str:
        return base64.b64encode(self.thumbnail_png).decode("ascii")


class CatalogService:
    """Templates, their geometry (cached) and what can be said about it before an order."""

    def __init__(
        self,
        registry: Registry | None = None,
        builder: IsolatedBuilder | None = None,
        cache_size: int = 256,
    ) -> None:
        self.registry = registry or Registry.from_environment()
        self.builder = builder
        self.cache: LruCache[Geometry] = LruCache(cache_size)
        self.estimates: LruCache[LineEstimate] = LruCache(cache_size * 4)

    def template(self, template_id: str) -> Template:
        return self.registry.get(template_id)

    def template_of(self, product: ProductTemplate) -> Template:
        """The geometry template a network product names."""
        if product.geometry is None:
            raise NotFound(f"product {product.id!r} has no geometry template to preview")
        return self.registry.get(product.geometry)

    def geometry(self, template: Template, values: Mapping[str, ParamValue]) -> Geometry:
        """The geometry for checked ``values``; built once per (template, version, values)."""
        key = cache_key(template.id, template.version, values)
        if self.builder is not None:
            builder = self.builder
            return self.cache.get_or_make(key, lambda: builder.build(template.id, values))
        return self.cache.get_or_make(key, lambda: template.build(values))

    def preview(
        self,
        template: Template,
        values: Mapping[str, ParamValue],
        candidates: Iterable[Candidate] | None = None,
        thumbnail: bool = True,
        colour: str | None = None,
    ) -> Preview:
        """Geometry, checks and estimates; ``NotManufacturable`` if no candidate can make it."""
        started = time.perf_counter()
        geometry = self.geometry(template, values)
        built = (time.perf_counter() - started) * 1000
        candidates = list(candidates or default_candidates(template))
        checks = tuple(_check(geometry, c) for c in candidates)
        if checks and not any(c.report.ok for c in checks):
            raise NotManufacturable(refusal(checks))
        png = export(geometry, ".png", Labels(template.id, colour=colour)) if thumbnail else b""
        return Preview(template, dict(values), geometry, checks, built, png)

    def estimate_design(
        self,
        template: Template,
        values: Mapping[str, ParamValue],
        candidates: Iterable[Candidate],
    ) -> LineEstimate:
        """The estimate an order line is made with, built once per design and machine kinds.

        The geometry is checked on every candidate; each process needs one that can make it
        (``NotManufacturable`` names what stops it), and is estimated on the first that can.
        """
        chosen = tuple(candidates)
        kinds = ";".join(f"{c.process}/{c.profile.name}/{_bed(c.profile)}" for c in chosen)
        key = cache_key(template.id, template.version, values) + "|" + kinds

        def make() -> LineEstimate:
            geometry = self.geometry(template, values)
            checks = _until_one_passes(geometry, chosen)
            digest = params_hash(template.id, template.version, values)
            return line_estimate(
                "template", template.id, template.version, digest, geometry, checks
            )

        return self.estimates.get_or_make(key, make)


def params_hash(template_id: str, version: int, values: Mapping[str, ParamValue]) -> str:
    """A short, stable digest of a design's parameters (the cache key's)."""
    return hashlib.sha256(cache_key(template_id, version, values).encode()).hexdigest()[:16]


def check_on(geometry: Geometry, candidates: Iterable[Candidate]) -> tuple[MachineCheck, ...]:
    """The printability checks (and estimates where it passes) on every candidate."""
    return tuple(_check(geometry, c) for c in candidates)


def line_estimate(
    source: str,
    design: str,
    version: int,
    digest: str,
    geometry: Geometry,
    checks: tuple[MachineCheck, ...],
) -> LineEstimate:
    """One estimate per process, from the first candidate of the process that can make it."""
    processes: list[ProcessEstimate] = []
    for process in dict.fromkeys(c.candidate.process for c in checks):
        mine = tuple(c for c in checks if c.candidate.process == process)
        passed = next((c for c in mine if c.estimate is not None), None)
        if passed is None or passed.estimate is None:
            raise NotManufacturable(refusal(mine))
        found = passed.estimate
        processes.append(
            ProcessEstimate(
                process,
                passed.candidate.profile.name,
                found.minutes,
                material_g=found.material_g,
                sheet_area_m2=found.sheet_area_m2,
                material_cm3=found.material_cm3,
            )
        )
    size = tuple(round(float(s), 2) for s in geometry.size_mm)
    x, y, z = (*size, 0.0, 0.0, 0.0)[:3]
    return LineEstimate(source, design, version, digest, (x, y, z), tuple(processes))


def _until_one_passes(
    geometry: Geometry, candidates: tuple[Candidate, ...]
) -> tuple[MachineCheck, ...]:
    """Checks per process until a candidate passes: the checks cost 10-120 ms each."""
    checks: list[MachineCheck] = []
    passed: set[str] = set()
    for candidate in candidates:
        if candidate.process not in passed:
            checks.append(_check(geometry, candidate))
            if checks[-1].estimate is not None:
                passed.add(candidate.process)
    return tuple(checks)


def _bed(profile: Profile) -> str:
    bed = getattr(profile, "bed_mm", None)
    return "x".join(f"{b:g}" for b in bed) if bed else "-"


def candidates(network: Network, processes: Iterable[str], material: str | None) -> list[Candidate]:
    """One candidate per kind of machine in the network's factories that could make the part."""
    wanted = set(processes)
    seen: dict[tuple[str, str, object], Candidate] = {}
    for site in network.factories:
        for machine in site.machines:
            if machine.process.value not in wanted or machine.process.value not in PROFILES:
                continue
            if material is not None and machine.materials and material not in machine.materials:
                continue
            key = (machine.process.value, machine.model, machine.build_volume_mm)
            if key not in seen:
                seen[key] = candidate_for(*key)
    return list(seen.values())


def default_candidates(template: Template) -> list[Candidate]:
    """The default profile of every process the template can be made by."""
    return [Candidate(p, PROFILES[p]) for p in template.processes if p in PROFILES]


def candidate_for(process: str, model: str, build_volume: tuple[float, ...] | None) -> Candidate:
    """A default profile named after and sized to a real machine of the network."""
    profile = PROFILES[process]
    if build_volume is not None and isinstance(profile, PrinterProfile | CncProfile):
        x, y, z = build_volume
        return Candidate(process, replace(profile, name=model, bed_mm=(x, y, z)))
    if build_volume is not None and isinstance(profile, LaserProfile):
        x, y = build_volume[0], build_volume[1]
        return Candidate(process, replace(profile, name=model, bed_mm=(x, y)))
    return Candidate(process, replace(profile, name=model))


def _check(geometry: Geometry, candidate: Candidate) -> MachineCheck:
    report = check(geometry, candidate.profile)
    kinds_match = isinstance(geometry, Solid) == (candidate.process in ("fdm", "cnc_mill"))
    if not kinds_match:
        return MachineCheck(candidate, report, None)
    return MachineCheck(
        candidate, report, estimate(geometry, candidate.profile) if report.ok else None
    )


def refusal(checks: tuple[MachineCheck, ...]) -> str:
    """What stops the part on the machine it comes closest to fitting."""
    best = min(checks, key=lambda c: len(c.report.problems))
    reasons = "; ".join(f.message for f in best.report.problems)
    return f"this design cannot be made: {reasons}"
