"""The network's plain domain model: where things are made and how they travel.

Pure dataclasses; no I/O. A ``Network`` is loaded once (from a YAML file or the store) and read
by every service as an immutable snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

from microfab.catalog.model import ProductTemplate
from microfab.errors import NotFound
from microfab.scheduling.model import Criterion, Objective, joined_spans

EARTH_RADIUS_KM = 6371.0

Skill = TypeVar("Skill")


class Process(StrEnum):
    """What a machine or a work cell does."""

    FDM = "fdm"
    SLA = "sla"
    SLS = "sls"
    CNC_MILL = "cnc_mill"
    LASER_CUT = "laser_cut"
    TEXTILE_CUT = "textile_cut"
    SEWING = "sewing"
    ASSEMBLY = "assembly"


class SiteKind(StrEnum):
    MICRO_FACTORY = "micro_factory"
    CENTRAL_PLANT = "central_plant"


class Mode(StrEnum):
    """How goods travel along a lane."""

    PARCEL = "parcel"
    ROAD = "road"
    RAIL = "rail"
    SEA = "sea"
    AIR = "air"


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float

    def distance_km(self, other: Location) -> float:
        """Great-circle distance (haversine)."""
        phi1, phi2 = math.radians(self.lat), math.radians(other.lat)
        dphi = phi2 - phi1
        dlmb = math.radians(other.lon - self.lon)
        a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class SlicerConfig:
    """Slice each job's part with PrusaSlicer and a flat profile: the material's own, else the
    machine's, else (None) the one shipped with microfab, which is for PLA."""

    program: str = "prusa-slicer"
    profile: str | None = None
    profiles: Mapping[str, str] = field(default_factory=dict)

    def profile_for(self, material: str) -> str | None:
        return self.profiles.get(material, self.profile)


@dataclass(frozen=True)
class DriverLink:
    """How a driver reaches a real machine: its address and the variable that holds its API key.

    The key itself never sits in the network file (nor in the database that stores the file).
    """

    url: str
    api_key_env: str
    slicer: SlicerConfig | None = None
    timeout_s: float = 10.0


class BatchMeasure(StrEnum):
    """What fills a batch machine's run: pieces, the build plate's area (resin printers lay
    parts side by side on it) or the chamber's volume (SLS nests them in the powder)."""

    PIECES = "pieces"
    PLATE = "plate"
    CHAMBER = "chamber"


@dataclass(frozen=True)
class MachineSpec:
    """A machine as the network file describes it; its live state lives with its driver."""

    id: str
    process: Process
    model: str
    materials: frozenset[str]
    power_kw: float
    driver: str = "simulated"
    build_volume_mm: tuple[float, float, float] | None = None
    speed_factor: float = 1.0
    failure_rate_per_hour: float = 0.01
    repair_minutes: float = 60.0
    changeover_minutes: float = 0.0
    """Idle time to switch from one setup family to another (filament, resin, stock)."""
    batch_capacity: int = 1
    """Places for pieces of one setup family made together in one run (an SLS chamber, a resin
    platform); a run lasts as long as its longest task, and an order line that needs more
    places than this runs alone."""
    batch_by: BatchMeasure = BatchMeasure.PIECES
    """How many of the places a piece takes: one each, or its share of the build plate's
    area or of the chamber's volume (``piece_places``)."""
    cents_per_hour: float = 0.0
    driver_options: Mapping[str, str] = field(default_factory=dict)
    link: DriverLink | None = None
    closed_hours: tuple[Shift, ...] = ()
    """Weekly hours when the machine takes no work, in the site's local time."""

    def can_run(self, process: Process, material: str | None) -> bool:
        return self.process == process and (material is None or material in self.materials)

    def piece_places(self, size_mm: tuple[float, float, float] | None) -> int:
        """The places of a run one piece of ``size_mm`` (its bounding box as it is made) takes:
        one, or on a machine batched by plate or chamber as many places as its footprint or
        volume covers of the plate's area or the chamber's volume split into
        ``batch_capacity`` places (at most all of them). One where the size is unknown."""
        if self.batch_capacity < 2 or self.batch_by is BatchMeasure.PIECES:
            return 1
        if size_mm is None or self.build_volume_mm is None:
            return 1
        dims = 2 if self.batch_by is BatchMeasure.PLATE else 3
        share = math.prod(size_mm[:dims]) / math.prod(self.build_volume_mm[:dims])
        places = math.ceil(round(share * self.batch_capacity, 9))
        return min(max(places, 1), self.batch_capacity)

    def changeover_from(self, loaded: str | None, family: str) -> float:
        """The minutes this machine, holding ``loaded`` (None: nothing known), takes to change
        to ``family`` before it starts work of it."""
        if loaded is None or loaded == family:
            return 0.0
        return self.changeover_minutes


@dataclass(frozen=True)
class Shift:
    """Working hours on some weekdays (0 = Monday), in the site's local time."""

    weekdays: frozenset[int]
    start: time
    end: time

    def window_on(self, day: datetime) -> tuple[datetime, datetime] | None:
        """This shift's [start, end) on the local calendar day of ``day``, if it works then."""
        if day.weekday() not in self.weekdays:
            return None
        # fold=0: a time the clocks repeat is its first pass, whatever pass ``day`` is in
        begin = day.replace(
            hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0, fold=0
        )
        finish = day.replace(
            hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0, fold=0
        )
        if finish <= begin:
            finish += timedelta(days=1)
        return begin, finish

    def utc_window(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """``window_on`` the local calendar ``day`` in ``tz``, in UTC."""
        window = self.window_on(datetime.combine(day, time(12), tz))
        return None if window is None else (window[0].astimezone(UTC), window[1].astimezone(UTC))

    def covers(self, local: datetime) -> bool:
        """Whether the shift is on at ``local`` (a shift may start the day before)."""
        return self.ends_after(local) is not None

    def ends_after(self, local: datetime) -> datetime | None:
        """When the shift on at ``local`` ends (local time); None when it is not on then.

        Compared as instants, not wall-clock readings: in the hour the clocks repeat in
        autumn, 02:30 the second time round comes after a shift that ended at 02:45 the
        first time."""
        instant = local.astimezone(UTC)
        for day in (local, local - timedelta(days=1)):
            window = self.window_on(day)
            if window and window[0].astimezone(UTC) <= instant < window[1].astimezone(UTC):
                return window[1]
        return None


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    skills: frozenset[Process]
    shifts: tuple[Shift, ...]

    def on_until(self, at: datetime, tz: ZoneInfo) -> datetime | None:
        """When this person, on shift at ``at``, goes off (UTC); None when they are off. Shifts
        that meet or overlap are one stretch (looked at up to a week ahead)."""
        moment = at.astimezone(tz)
        off: datetime | None = None
        for _ in range(8):
            ends = [e for s in self.shifts if (e := s.ends_after(moment)) is not None]
            if not ends:
                break
            off = moment = max(ends)
        return off.astimezone(UTC) if off is not None else None


FACTORY_OBJECTIVE = Objective(
    weights=MappingProxyType(
        {Criterion.TARDINESS: 20, Criterion.CHANGEOVER: 2, Criterion.MAKESPAN: 1}
    )
)
"""What a factory's plan aims at unless its network file says otherwise: lateness first, then
changeovers, then finishing early."""


OPEN_REFERENCE = date(2026, 1, 5)
"""A Monday whose fortnight (no clock change in Europe or North America) measures how long a
machine with closed hours stays open at a stretch."""


@dataclass(frozen=True)
class Site:
    """A micro-factory or a central plant.

    ``objective`` is what its plans aim at: a weighted sum of weighted tardiness, changeover
    minutes and makespan, or those criteria in lexicographic order.
    """

    id: str
    name: str
    kind: SiteKind
    location: Location
    region_id: str
    timezone: str
    grid_gco2_per_kwh: float
    energy_cents_per_kwh: float
    labour_cents_per_hour: float
    machines: tuple[MachineSpec, ...] = ()
    operators: tuple[Operator, ...] = ()
    stock: Mapping[str, float] = field(default_factory=dict)
    max_backlog_hours: float = 48.0
    objective: Objective = FACTORY_OBJECTIVE

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def machines_for(self, process: Process, material: str | None = None) -> list[MachineSpec]:
        return [m for m in self.machines if m.can_run(process, material)]

    def can_make(self, product: ProductTemplate, material: str) -> bool:
        """Every operation of the product has a machine here, and attended ones a skilled person."""
        for operation in product.routing:
            process = Process(operation.process)
            uses = material if operation.uses_material else None
            if not self.machines_for(process, uses):
                return False
            if operation.attended and not self.operators_for(process):
                return False
        return True

    def operators_for(self, process: Process) -> list[Operator]:
        return [o for o in self.operators if process in o.skills]

    def shift_windows(
        self, process: Process, earliest: datetime, days: int = 8
    ) -> list[tuple[datetime, datetime]]:
        """Stretches (UTC, by start) when someone skilled in ``process`` is on shift, from
        ``earliest`` on. One person's shifts that meet or overlap are one stretch, as the
        floor has it (``Operator.on_until``); different people's are not joined, since work
        stays with the person who starts it."""
        first = earliest.astimezone(self.tz).date()
        return [w for w in self._stretches(process, first, days) if w[1] > earliest]

    def _stretches(
        self, process: Process, first: date, days: int
    ) -> list[tuple[datetime, datetime]]:
        """Everyone's stretches for ``process`` starting from the local day before ``first``
        to ``days`` days after it, sorted (cached)."""
        key = (process, first, days)
        if key not in self._stretch_cache:
            self._stretch_cache[key] = sorted(
                stretch
                for person in self.operators_for(process)
                for stretch in person_stretches(
                    self.tz, person, first - timedelta(days=1), days + 1
                )
            )
        return self._stretch_cache[key]

    @cached_property
    def _stretch_cache(self) -> dict[tuple[Process, date, int], list[tuple[datetime, datetime]]]:
        return {}

    def attended_start(self, process: Process, earliest: datetime, minutes: float) -> datetime:
        """The earliest start at or after ``earliest`` with a skilled person on shift.

        The work must fit in the shift window; work longer than every window starts at the
        beginning of the next one (it runs over). With nobody skilled, ``earliest`` is returned.
        """
        windows = self.shift_windows(process, earliest)
        need = timedelta(minutes=minutes)
        for begin, end in windows:
            start = max(begin, earliest)
            if start + need <= end:
                return start
        longer = [max(b, earliest) for b, e in windows if e - max(b, earliest) > timedelta(0)]
        return min(longer, default=earliest)

    def on_shift(self, process: Process, at: datetime) -> int:
        """How many people skilled in ``process`` are on shift at ``at``."""
        return sum(1 for o in self.people_on_shift(at) if process in o.skills)

    def people_on_shift(self, at: datetime) -> list[Operator]:
        local = at.astimezone(self.tz)
        return [o for o in self.operators if any(s.covers(local) for s in o.shifts)]

    def can_add(self, attending: Sequence[Process], process: Process, at: datetime) -> bool:
        """Whether the people on shift at ``at`` can take on work of ``process`` beside the
        ``attending`` work without leaving any of it they attend unattended.

        Work nobody on shift can attend (a run going on past its person's shift) does not
        count against the new work: it needs nobody who is there.
        """
        skills = [o.skills for o in self.people_on_shift(at)]
        before = assign_people(skills, attending)
        after = assign_people(skills, [*attending, process])
        return after.count(None) == before.count(None)

    def can_attend(self, person: Operator, process: Process, at: datetime, minutes: float) -> bool:
        """Whether ``person`` can attend ``minutes`` of ``process`` work from ``at``: skilled
        in it, on shift, and the work done before their shift ends, or, if it is longer than
        any shift of anyone skilled in it, from whenever they are on (it runs over, as
        ``attended_start`` has it)."""
        if process not in person.skills:
            return False
        until = person.on_until(at, self.tz)
        if until is None:
            return False
        return at + timedelta(minutes=minutes) <= until or minutes > self.longest_shift(process)

    def longest_shift(self, process: Process) -> int:
        """The longest stretch anyone skilled in ``process`` works, in minutes (0 for nobody):
        shifts that meet count as one, as in ``shift_windows``."""
        return self._longest_shifts.get(process, 0)

    @cached_property
    def _longest_shifts(self) -> dict[Process, int]:
        longest: dict[Process, int] = {}
        for person in self.operators:
            stretches = person_stretches(self.tz, person, OPEN_REFERENCE, 15)
            most = max((_minutes_between(*s) for s in stretches), default=0)
            for process in person.skills:
                longest[process] = max(longest.get(process, 0), most)
        return longest

    def longest_open(self, machine: MachineSpec) -> float:
        """The longest stretch, in minutes, between the machine's weekly closed hours (in a
        fortnight of January): work longer than that can never run on it (inf when it has
        none)."""
        if not machine.closed_hours:
            return math.inf
        if machine.id not in self._longest_open:
            start = datetime.combine(OPEN_REFERENCE, time(0), self.tz).astimezone(UTC)
            end = start + timedelta(days=14)
            free, longest = start, 0.0
            for begin, finish in self.closed_calendar(OPEN_REFERENCE, 15)[machine.id]:
                if begin > free:
                    longest = max(longest, (min(begin, end) - free) / timedelta(minutes=1))
                free = max(free, finish)
            self._longest_open[machine.id] = max(longest, (end - free) / timedelta(minutes=1))
        return self._longest_open[machine.id]

    @cached_property
    def _longest_open(self) -> dict[str, float]:
        return {}

    def closed_calendar(
        self, day: date, days: int
    ) -> Mapping[str, tuple[tuple[datetime, datetime], ...]]:
        """The closed hours (UTC, in order) of each machine that has some, starting from the
        local calendar day before ``day`` up to ``days`` days after it (cached per day)."""
        key = (day, days)
        if key not in self._calendar_cache:
            self._calendar_cache[key] = {
                m.id: tuple(
                    w
                    for offset in range(-1, days)
                    for w in self._closed_on(m, day + timedelta(days=offset))
                )
                for m in self.machines
                if m.closed_hours
            }
        return self._calendar_cache[key]

    @cached_property
    def _calendar_cache(
        self,
    ) -> dict[tuple[date, int], Mapping[str, tuple[tuple[datetime, datetime], ...]]]:
        return {}

    def _closed_on(self, machine: MachineSpec, day: date) -> list[tuple[datetime, datetime]]:
        """The machine's closed hours starting on local calendar ``day``, in UTC (cached)."""
        key = (machine.id, day)
        if key not in self._closed_cache:
            windows = (hours.utc_window(day, self.tz) for hours in machine.closed_hours)
            self._closed_cache[key] = sorted(w for w in windows if w is not None)
        return self._closed_cache[key]

    @cached_property
    def _closed_cache(self) -> dict[tuple[str, date], list[tuple[datetime, datetime]]]:
        return {}

    def shift_ends(self, start: datetime, end: datetime) -> list[datetime]:
        """When a shift of anyone here ends after ``start`` and before ``end``, in order."""
        days = max(1, math.ceil((end - start) / timedelta(days=1)) + 1)
        skills = {p for o in self.operators for p in o.skills}
        ends = {w[1] for p in skills for w in self.shift_windows(p, start, days)}
        return sorted(e for e in ends if start < e < end)


def person_stretches(
    tz: ZoneInfo, person: Operator, first: date, days: int
) -> list[tuple[datetime, datetime]]:
    """The stretches (UTC, in order) ``person`` works, from their shifts starting on the local
    days ``first`` to ``days`` days later; shifts that meet or overlap make one stretch."""
    return joined_spans(
        w
        for offset in range(days)
        for shift in person.shifts
        if (w := shift.utc_window(first + timedelta(days=offset), tz)) is not None
    )


def _minutes_between(begin: datetime, end: datetime) -> int:
    return round((end - begin) / timedelta(minutes=1))


def assign_people(people: Sequence[Collection[Skill]], work: Sequence[Skill]) -> list[int | None]:
    """For each piece of ``work`` (the skill it needs) the index of the person of ``people``
    (their skills) who takes it, as many pieces staffed as can be; None where nobody is left.

    People skilled in several processes count once: two sewers who also assemble cannot sew
    and assemble four things at a time. A matching by augmenting paths: each piece takes a free
    skilled person, or one whose piece another skilled person can take over.
    """
    holder: dict[int, int] = {}  # person -> piece of work

    def assign(piece: int, seen: set[int]) -> bool:
        for person, skills in enumerate(people):
            if work[piece] not in skills or person in seen:
                continue
            seen.add(person)
            if person not in holder or assign(holder[person], seen):
                holder[person] = piece
                return True
        return False

    for piece in range(len(work)):
        assign(piece, set())
    taken: list[int | None] = [None] * len(work)
    for person, piece in holder.items():
        taken[piece] = person
    return taken


def staff_runs(
    people: Sequence[tuple[str, Collection[Skill]]],
    runs: Sequence[tuple[str | None, Skill]],
    gone: Collection[str] = (),
) -> list[str | None]:
    """For each run under way (the person it names, the skill it needs) the id of the person
    of ``people`` (on shift: id, skills) who attends it. A run keeps the person it names if
    they are among ``people``, skilled in it and named by no earlier run; a run whose person
    is ``gone`` (off shift) goes on with nobody (``Site.can_add``); the others, naming nobody
    or someone taken or unskilled, are staffed by ``assign_people`` among the people left;
    None where nobody is left."""
    skills = dict(people)
    staffed: list[str | None] = [None] * len(runs)
    for k, (named, skill) in enumerate(runs):
        if named in skills and skill in skills[named] and named not in staffed:
            staffed[k] = named
    left = [(i, s) for i, s in people if i not in staffed]
    open_runs = [k for k, (named, _) in enumerate(runs) if staffed[k] is None and named not in gone]
    taken = assign_people([s for _, s in left], [runs[k][1] for k in open_runs])
    for k, who in zip(open_runs, taken, strict=True):
        if who is not None:
            staffed[k] = left[who][0]
    return staffed


@dataclass(frozen=True)
class Region:
    """A demand region: customers are assigned to the nearest region centre."""

    id: str
    name: str
    centre: Location


@dataclass(frozen=True)
class Lane:
    """A transport link from a site to a region (delivery) or to another site (supply)."""

    origin: str
    destination: str
    mode: Mode
    transit_hours: float
    cents_per_kg: float
    cents_per_shipment: float = 0.0
    km_per_hour: float = 0.0
    distance_km: float | None = None

    def transit_time(self, distance_km: float) -> timedelta:
        """Fixed handling time plus, for door-to-door lanes, the distance at road speed."""
        moving = distance_km / self.km_per_hour if self.km_per_hour > 0 else 0.0
        return timedelta(hours=self.transit_hours + moving)


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    unit: str
    cents_per_unit: float
    kgco2e_per_unit: float
    kg_per_unit: float
    density_g_cm3: float | None = None
    """For parts estimated from their geometry: how much one cm³ of the material weighs."""


@dataclass(frozen=True)
class Component:
    """A standard part made by a central plant and kept in stock at micro-factories."""

    sku: str
    name: str
    supplied_by: str
    cents: float
    kgco2e: float
    mass_kg: float


@dataclass(frozen=True)
class EmissionFactors:
    """kg CO2e per tonne-km by mode; sources are named in the network file."""

    per_tonne_km: Mapping[Mode, float]
    sources: Mapping[str, str] = field(default_factory=dict)

    def transport_kg(self, mode: Mode, mass_kg: float, distance_km: float) -> float:
        return self.per_tonne_km[mode] * (mass_kg / 1000.0) * distance_km


@dataclass(frozen=True)
class Network:
    name: str
    currency: str
    regions: tuple[Region, ...]
    sites: tuple[Site, ...]
    lanes: tuple[Lane, ...]
    materials: Mapping[str, Material]
    components: Mapping[str, Component]
    products: Mapping[str, ProductTemplate]
    emission_factors: EmissionFactors
    margin: float = 0.35

    def site(self, site_id: str) -> Site:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise NotFound(f"unknown site {site_id!r}; known: {', '.join(s.id for s in self.sites)}")

    def factory(self, factory_id: str) -> Site:
        """The micro-factory ``factory_id`` (central plants are not factories one can run)."""
        for site in self.factories:
            if site.id == factory_id:
                return site
        known = ", ".join(s.id for s in self.factories)
        raise NotFound(f"no factory {factory_id!r}; known: {known}")

    @property
    def factories(self) -> tuple[Site, ...]:
        return tuple(s for s in self.sites if s.kind is SiteKind.MICRO_FACTORY)

    @property
    def central_plants(self) -> tuple[Site, ...]:
        return tuple(s for s in self.sites if s.kind is SiteKind.CENTRAL_PLANT)

    def product(self, product_id: str) -> ProductTemplate:
        try:
            return self.products[product_id]
        except KeyError:
            known = ", ".join(sorted(self.products))
            raise NotFound(f"unknown product {product_id!r}; known: {known}") from None

    def machine(self, machine_id: str) -> tuple[Site, MachineSpec]:
        for site in self.sites:
            for machine in site.machines:
                if machine.id == machine_id:
                    return site, machine
        raise NotFound(f"unknown machine {machine_id!r}")

    def nearest_region(self, location: Location) -> Region:
        return min(self.regions, key=lambda r: r.centre.distance_km(location))

    def lanes_from(self, origin: str, destination: str) -> list[Lane]:
        return [ln for ln in self.lanes if ln.origin == origin and ln.destination == destination]

    def delivery_lane(self, origin: str, destination: Location) -> Lane | None:
        """The fastest lane from a site to the region that holds ``destination``."""
        region = self.nearest_region(destination)
        lanes = self.lanes_from(origin, region.id)
        return min(lanes, key=lambda ln: ln.transit_hours, default=None)
