"""Reading a network file (YAML) into a checked ``Network``.

Every problem becomes one ``InvalidNetwork`` whose message names the file, the path inside it
and the reason, so a planner can fix the file without reading code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from microfab.catalog.model import (
    ComponentUse,
    LinearModel,
    Operation,
    Parameter,
    ParameterKind,
    ProductTemplate,
)
from microfab.errors import InvalidNetwork, MicrofabError
from microfab.network.model import (
    FACTORY_OBJECTIVE,
    OPEN_REFERENCE,
    BatchMeasure,
    Component,
    DriverLink,
    EmissionFactors,
    Lane,
    Location,
    MachineSpec,
    Material,
    Network,
    Operator,
    Process,
    Region,
    Shift,
    Site,
    SiteKind,
    SlicerConfig,
)
from microfab.network.schema import (
    DRIVER_KINDS,
    MachineFile,
    NetworkFile,
    ProductFile,
    SiteFile,
    parse_days,
)
from microfab.scheduling.model import Criterion, Objective
from microfab.validation import first_problem

DEMO_NETWORK = "demo.yaml"


def demo_document() -> dict[str, Any]:
    """The demo network shipped with microfab, as a document."""
    text = resources.files("microfab.network").joinpath("data", DEMO_NETWORK).read_text("utf-8")
    return read_yaml(text, f"<microfab>/{DEMO_NETWORK}")


def load_network_file(path: Path) -> tuple[Network, dict[str, Any]]:
    """Read, validate and build the network in ``path``; also return its normal form."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InvalidNetwork(f"{path}: cannot read the file ({exc.strerror})") from None
    document = read_yaml(text, str(path))
    return build_network(document, str(path)), normal_form(document, str(path))


def read_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidNetwork(f"{source}: {where}malformed YAML: {problem}") from None
    if not isinstance(document, dict):
        raise InvalidNetwork(f"{source}: the file must hold a mapping with name, factories, ...")
    return document


def normal_form(document: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The document with defaults filled in, as stored in the database."""
    return _validate(document, source).dump()


def build_network(document: Mapping[str, Any], source: str = "<network>") -> Network:
    """Validate ``document`` and build the domain model from it."""
    spec = _validate(document, source)
    problems = list(_cross_check(spec))
    if problems:
        path, reason = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InvalidNetwork(f"{source}: {path}: {reason}{more}")
    try:
        network = _build(spec)
    except MicrofabError as exc:
        raise InvalidNetwork(f"{source}: {exc.message}") from None
    unstaffed = list(_never_staffed(network))
    if unstaffed:
        more = f" (and {len(unstaffed) - 1} more)" if len(unstaffed) > 1 else ""
        raise InvalidNetwork(f"{source}: {unstaffed[0]}{more}")
    return network


def _never_staffed(network: Network) -> Iterator[str]:
    """Machines with closed hours whose open hours never meet a shift of anyone skilled in
    their process, where a product has an attended step of it: that step could never run."""
    attended = {
        Process(op.process) for p in network.products.values() for op in p.routing if op.attended
    }
    for site in network.factories:
        start = datetime.combine(OPEN_REFERENCE, time(0), site.tz).astimezone(UTC)
        end = start + timedelta(days=14)
        for machine in site.machines:
            if not machine.closed_hours or machine.process not in attended:
                continue
            closed = site.closed_calendar(OPEN_REFERENCE, 15)[machine.id]
            shifts = site.shift_windows(machine.process, start, 15)
            if not any(_open_during(closed, max(b, start), min(e, end)) for b, e in shifts):
                yield (
                    f"{site.id}: machine {machine.id} is closed whenever someone skilled in "
                    f"{machine.process.value} is on shift, so its attended steps could never "
                    "run; change its closed hours or the shifts"
                )


def _open_during(
    closed: Iterable[tuple[datetime, datetime]], begin: datetime, end: datetime
) -> bool:
    """Whether some of ``[begin, end)`` lies outside every ``closed`` stretch (in order)."""
    free = begin
    for b, e in closed:
        if b > free and free < end:
            return True
        free = max(free, e)
    return free < end


def _validate(document: Mapping[str, Any], source: str) -> NetworkFile:
    try:
        return NetworkFile.model_validate(document)
    except ValidationError as exc:
        raise InvalidNetwork(f"{source}: {first_problem(exc)}") from None


def _cross_check(spec: NetworkFile) -> Iterator[tuple[str, str]]:
    yield from _duplicates(spec)
    materials = {m.id for m in spec.materials}
    regions = [r.id for r in spec.regions]
    sites = {s.id for s in [*spec.factories, *spec.central_plants]}
    plants = {s.id for s in spec.central_plants}
    for i, product in enumerate(spec.products):
        yield from _check_product(f"products[{i}]", product, materials, spec)
    for group, members in (("factories", spec.factories), ("central_plants", spec.central_plants)):
        for i, site in enumerate(members):
            yield from _check_site(f"{group}[{i}]", site, materials, regions, spec)
    for i, plant in enumerate(spec.central_plants):
        if plant.objective is not None:
            yield (
                f"central_plants[{i}].objective",
                "central plants are not planned here (they make standard components): "
                "give objectives to factories",
            )
    for i, lane in enumerate(spec.lanes):
        if lane.origin not in sites:
            yield f"lanes[{i}].origin", str(_unknown("site", lane.origin, sorted(sites)))
        if lane.destination not in sites and lane.destination not in regions:
            known = sorted([*sites, *regions])
            yield (
                f"lanes[{i}].destination",
                str(_unknown("site or region", lane.destination, known)),
            )
    for i, component in enumerate(spec.components):
        if component.supplied_by not in plants:
            yield (
                f"components[{i}].supplied_by",
                str(_unknown("central plant", component.supplied_by, sorted(plants))),
            )
    for mode in {lane.mode for lane in spec.lanes} - set(spec.emission_factors.per_tonne_km):
        yield "emission_factors.per_tonne_km", f"no factor for mode {mode.value!r}, used by a lane"


def _unknown(kind: str, value: str, known: list[str]) -> str:
    return f"unknown {kind} {value!r} (known: {', '.join(known)})"


def _duplicates(spec: NetworkFile) -> Iterator[tuple[str, str]]:
    groups: dict[str, list[str]] = {
        "regions": [r.id for r in spec.regions],
        "materials": [m.id for m in spec.materials],
        "components": [c.sku for c in spec.components],
        "products": [p.id for p in spec.products],
        "sites": [s.id for s in [*spec.factories, *spec.central_plants]],
        "machines": [
            mid for s in [*spec.factories, *spec.central_plants] for mid in _machine_ids(s)
        ],
    }
    for group, ids in groups.items():
        seen: set[str] = set()
        for identifier in ids:
            if identifier in seen:
                yield group, f"id {identifier!r} is used twice; ids must be unique"
            seen.add(identifier)


def _machine_ids(site: SiteFile) -> Iterator[str]:
    for machine in site.machines:
        yield from _machine_ids_of(machine)


def _check_product(
    path: str, product: ProductFile, materials: set[str], spec: NetworkFile
) -> Iterator[tuple[str, str]]:
    names = [p.name for p in product.parameters]
    if product.from_upload and product.geometry is not None:
        yield f"{path}.geometry", "a product made from uploads (from_upload) has no geometry"
    for j, material in enumerate(product.materials):
        if material not in materials:
            yield f"{path}.materials[{j}]", _unknown("material", material, sorted(materials))
    for j, use in enumerate(product.components):
        skus = sorted(c.sku for c in spec.components)
        if use.sku not in skus:
            yield f"{path}.components[{j}].sku", _unknown("component", use.sku, skus)
    for name in product.material_per_unit.per_parameter:
        if name not in names:
            yield f"{path}.material_per_unit", _unknown("parameter", name, names)
    for j, parameter in enumerate(product.parameters):
        try:
            _parameter(parameter.model_dump()).check(parameter.default)
        except MicrofabError as exc:
            yield f"{path}.parameters[{j}].default", exc.message
    for j, operation in enumerate(product.routing):
        for name in operation.minutes_per_unit.per_parameter:
            if name not in names:
                yield f"{path}.routing[{j}].minutes_per_unit", _unknown("parameter", name, names)
        try:
            operation.setup_family.format(material="m", **dict.fromkeys(names, "v"))
        except (KeyError, IndexError, ValueError) as exc:
            yield f"{path}.routing[{j}].setup_family", f"refers to an unknown parameter {exc}"


def _check_site(
    path: str, site: SiteFile, materials: set[str], regions: list[str], spec: NetworkFile
) -> Iterator[tuple[str, str]]:
    if site.region not in regions:
        yield f"{path}.region", _unknown("region", site.region, regions)
    try:
        ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield f"{path}.timezone", f"unknown time zone {site.timezone!r} (e.g. Europe/Berlin)"
    for j, machine in enumerate(site.machines):
        yield from _check_driver(f"{path}.machines[{j}]", machine)
        yield from _check_batch(f"{path}.machines[{j}]", machine, spec)
        for k, material in enumerate(machine.materials):
            if material not in materials:
                where = f"{path}.machines[{j}].materials[{k}]"
                yield where, _unknown("material", material, sorted(materials))
    stockable = materials | {c.sku for c in spec.components}
    for sku in site.stock:
        if sku not in stockable:
            yield f"{path}.stock.{sku}", _unknown("material or component", sku, sorted(stockable))


def _check_batch(path: str, machine: MachineFile, spec: NetworkFile) -> Iterator[tuple[str, str]]:
    """A run filled by plate or chamber needs places to split, a size to split, and parts
    whose size is known: a product without geometry would take one place whatever its size."""
    if machine.batch_by == "pieces":
        return
    unmeasured = [
        p.id
        for p in spec.products
        if p.geometry is None
        and not p.from_upload
        and any(o.process == machine.process for o in p.routing)
    ]
    if unmeasured:
        yield (
            f"{path}.batch_by",
            f"product {unmeasured[0]!r} has no geometry to measure against the "
            f"{machine.batch_by} (no catalog template): count pieces on this machine, "
            "leaving out batch_by",
        )
    if machine.batch_capacity < 2:
        yield (
            f"{path}.batch_by",
            f"a machine batched by {machine.batch_by} makes several pieces a run: give "
            "batch_capacity, the places its run is split into (2 or more)",
        )
    if machine.build_volume_mm is None:
        yield (
            f"{path}.batch_by",
            f"a machine batched by {machine.batch_by} needs build_volume_mm: the size it splits",
        )


def _check_driver(path: str, machine: MachineFile) -> Iterator[tuple[str, str]]:
    driver = machine.driver
    if driver.kind not in DRIVER_KINDS:
        yield f"{path}.driver.kind", _unknown("driver", driver.kind, list(DRIVER_KINDS))
    elif driver.kind == "octoprint":
        if driver.url is None:
            yield f"{path}.driver.url", "OctoPrint's address is missing, e.g. http://octopi.local"
        if driver.api_key_env is None:
            yield (
                f"{path}.driver.api_key_env",
                "name the environment variable that holds the OctoPrint API key "
                "(the key itself never goes into the file)",
            )
        if machine.count != 1:
            yield f"{path}.count", "one OctoPrint drives one printer: list each printer on its own"
        if machine.batch_capacity != 1:
            yield (
                f"{path}.batch_capacity",
                "an OctoPrint printer runs one print job at a time: leave out batch_capacity",
            )
        for material in driver.slicer.profiles if driver.slicer else ():
            if material not in machine.materials:
                where = f"{path}.driver.slicer.profiles.{material}"
                yield where, _unknown("material of this machine", material, machine.materials)
    else:
        given = [n for n in ("url", "api_key_env", "slicer") if getattr(driver, n) is not None]
        for name in given:
            yield f"{path}.driver.{name}", f"the {driver.kind} driver takes no {name}"


def _build(spec: NetworkFile) -> Network:
    return Network(
        name=spec.name,
        currency=spec.currency,
        margin=spec.margin,
        regions=tuple(Region(r.id, r.name, Location(r.lat, r.lon)) for r in spec.regions),
        sites=tuple(
            [_site(s, SiteKind.MICRO_FACTORY) for s in spec.factories]
            + [_site(s, SiteKind.CENTRAL_PLANT) for s in spec.central_plants]
        ),
        lanes=tuple(Lane(**lane.model_dump()) for lane in spec.lanes),
        materials={m.id: Material(**m.model_dump()) for m in spec.materials},
        components={c.sku: Component(**c.model_dump()) for c in spec.components},
        products={p.id: _product(p) for p in spec.products},
        emission_factors=EmissionFactors(
            dict(spec.emission_factors.per_tonne_km), dict(spec.emission_factors.sources)
        ),
    )


def _site(site: SiteFile, kind: SiteKind) -> Site:
    return Site(
        id=site.id,
        name=site.name,
        kind=kind,
        location=Location(site.lat, site.lon),
        region_id=site.region,
        timezone=site.timezone,
        grid_gco2_per_kwh=site.grid_gco2_per_kwh,
        energy_cents_per_kwh=site.energy_cents_per_kwh,
        labour_cents_per_hour=site.labour_cents_per_hour,
        max_backlog_hours=site.max_backlog_hours,
        objective=_objective(site.objective),
        machines=tuple(m for machine in site.machines for m in _machines(machine)),
        operators=tuple(
            Operator(
                o.id,
                o.name,
                frozenset(Process(s) for s in o.skills),
                tuple(Shift(parse_days(s.days), s.start, s.end) for s in o.shifts),
            )
            for o in site.operators
        ),
        stock=dict(site.stock),
    )


def _objective(spec: dict[str, int] | list[str] | None) -> Objective:
    if spec is None:
        return FACTORY_OBJECTIVE
    if isinstance(spec, list):
        return Objective(lexicographic=tuple(Criterion(c) for c in spec))
    return Objective(weights={Criterion(c): w for c, w in spec.items()})


def _machines(machine: MachineFile) -> Iterator[MachineSpec]:
    for machine_id in _machine_ids_of(machine):
        yield MachineSpec(
            id=machine_id,
            process=Process(machine.process),
            model=machine.model,
            materials=frozenset(machine.materials),
            power_kw=machine.power_kw,
            driver=machine.driver.kind,
            build_volume_mm=machine.build_volume_mm,
            speed_factor=machine.speed_factor,
            failure_rate_per_hour=machine.failure_rate_per_hour,
            repair_minutes=machine.repair_minutes,
            changeover_minutes=machine.changeover_minutes,
            batch_capacity=machine.batch_capacity,
            batch_by=BatchMeasure(machine.batch_by),
            cents_per_hour=machine.cents_per_hour,
            driver_options=dict(machine.driver_options),
            link=_link(machine),
            closed_hours=tuple(Shift(parse_days(c.days), c.start, c.end) for c in machine.closed),
        )


def _link(machine: MachineFile) -> DriverLink | None:
    driver = machine.driver
    if driver.url is None or driver.api_key_env is None:
        return None
    slicer = driver.slicer
    return DriverLink(
        url=driver.url,
        api_key_env=driver.api_key_env,
        slicer=SlicerConfig(slicer.program, slicer.profile, dict(slicer.profiles))
        if slicer
        else None,
        timeout_s=driver.timeout_s,
    )


def _machine_ids_of(machine: MachineFile) -> list[str]:
    if machine.count == 1:
        return [machine.id]
    return [f"{machine.id}-{n}" for n in range(1, machine.count + 1)]


def _parameter(raw: Mapping[str, Any]) -> Parameter:
    return Parameter(
        name=raw["name"],
        kind=ParameterKind(raw["kind"]),
        default=raw["default"],
        description=raw.get("description", ""),
        unit=raw.get("unit"),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        choices=tuple(raw.get("choices", ())),
        max_length=raw.get("max_length"),
        charset=raw.get("charset"),
        step=raw.get("step"),
    )


def _product(product: ProductFile) -> ProductTemplate:
    return ProductTemplate(
        id=product.id,
        name=product.name,
        description=product.description,
        version=product.version,
        parameters=tuple(_parameter(p.model_dump()) for p in product.parameters),
        routing=tuple(
            Operation(
                name=o.name,
                process=o.process,
                setup_minutes=o.setup_minutes,
                minutes_per_unit=LinearModel(
                    o.minutes_per_unit.base, o.minutes_per_unit.per_parameter
                ),
                setup_family=o.setup_family,
                attended=o.attended,
                uses_material=o.uses_material,
            )
            for o in product.routing
        ),
        materials=tuple(product.materials),
        material_per_unit=LinearModel(
            product.material_per_unit.base, product.material_per_unit.per_parameter
        ),
        unit_mass_kg=product.unit_mass_kg,
        components=tuple(ComponentUse(c.sku, c.quantity) for c in product.components),
        geometry=product.geometry,
        from_upload=product.from_upload,
    )
