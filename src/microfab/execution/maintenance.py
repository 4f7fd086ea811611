"""Planned maintenance: windows when a machine takes no work, as planners book them.

A planner books a window on one machine of a factory (``MaintenanceBook.book``); from the next
controller step the factory's plan keeps the machine free then (the window is an unavailable
stretch of the machine in the scheduling problem), quotes and knock-on delays fit work around
it, and the floor starts no work on the machine that would still run when the window begins.
Work already running when it begins finishes first: the window is the time set aside, and the
technician starts when the machine is done. A cancelled window frees the machine again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from microfab.clock import Clock
from microfab.errors import Conflict, InvalidInput, NotFound
from microfab.execution.model import Maintenance
from microfab.ids import IdFactory
from microfab.network.model import Network
from microfab.storage import UnitOfWorkFactory

LONGEST = timedelta(days=14)
"""The longest window; a machine out of service for longer leaves the network file instead."""

MAX_REASON = 500

FURTHEST = timedelta(days=366)
"""How far ahead a window may start (a later date is taken for a typo)."""

CALENDAR_DAYS = 28
"""How far ahead machines' weekly closed hours are laid out: as far as a re-plan looks."""

Closed = dict[str, list[tuple[datetime, datetime]]]
"""Each machine's maintenance windows still ahead, ``[start, end)`` in UTC, in start order."""


@dataclass(frozen=True)
class BookMaintenance:
    factory_id: str
    machine_id: str
    start: datetime
    end: datetime
    reason: str = ""


class MaintenanceBook:
    """Booking, listing and cancelling maintenance windows."""

    def __init__(
        self, uow: UnitOfWorkFactory, network: Network, clock: Clock, ids: IdFactory
    ) -> None:
        self._uow = uow
        self._network = network
        self._clock = clock
        self._ids = ids

    def book(self, command: BookMaintenance) -> Maintenance:
        """A new window; ``InvalidInput`` for a machine not at the factory or bad times,
        ``Conflict`` when it overlaps another window of the machine."""
        now = self._clock.now()
        self._check(command, now)
        with self._uow() as uow:
            uow.maintenance.lock(command.machine_id)
            for other in uow.maintenance.ahead(now, command.factory_id):
                if other.machine_id == command.machine_id and other.overlaps(
                    command.start, command.end
                ):
                    raise Conflict(
                        f"{command.machine_id} has maintenance {other.id} from "
                        f"{other.start.isoformat()} to {other.end.isoformat()}; cancel it "
                        "or book a window that does not overlap it"
                    )
            window = Maintenance(
                self._ids("mnt"),
                command.factory_id,
                command.machine_id,
                command.start.astimezone(UTC),
                command.end.astimezone(UTC),
                command.reason.strip(),
                now,
            )
            uow.maintenance.add(window)
            uow.commit()
        return window

    def ahead(self, factory_id: str) -> list[Maintenance]:
        """The factory's windows not cancelled and not yet over, by start."""
        self._network.factory(factory_id)
        with self._uow() as uow:
            return uow.maintenance.ahead(self._clock.now(), factory_id)

    def cancel(self, factory_id: str, maintenance_id: str) -> Maintenance:
        """Cancel a window still ahead or under way; the machine takes work again."""
        with self._uow() as uow:
            window = uow.maintenance.get(maintenance_id)
            self._network.factory(factory_id)
            if window.factory_id != factory_id:
                raise NotFound(f"no maintenance {maintenance_id!r} at factory {factory_id!r}")
            window.cancel(self._clock.now())
            uow.maintenance.save(window)
            uow.commit()
        return window

    def _check(self, command: BookMaintenance, now: datetime) -> None:
        site = self._network.factory(command.factory_id)
        machines = [m.id for m in site.machines]
        if command.machine_id not in machines:
            raise InvalidInput(
                f"machine_id: {command.factory_id} has no machine {command.machine_id!r}; "
                f"its machines: {', '.join(machines)}"
            )
        for name, moment in (("start", command.start), ("end", command.end)):
            if moment.tzinfo is None:
                raise InvalidInput(f"{name}: give a time zone, e.g. 2026-12-08T10:00:00Z")
        if command.end <= command.start:
            raise InvalidInput("end: must be after start")
        if command.end <= now:
            raise InvalidInput(f"end: the window is over already (now is {now.isoformat()})")
        if command.start - now > FURTHEST:
            raise InvalidInput(
                f"start: at most {FURTHEST.days} days ahead (now is {now.isoformat()})"
            )
        if command.end - command.start > LONGEST:
            raise InvalidInput(
                f"end: a window lasts at most {LONGEST.days} days; a machine out of service "
                "for longer should leave the network file"
            )
        if len(command.reason) > MAX_REASON:
            raise InvalidInput(f"reason: at most {MAX_REASON} characters")


def closed_machines(
    windows: Iterable[Maintenance], network: Network | None = None, now: datetime | None = None
) -> Closed:
    """Each machine's maintenance ``windows`` and, given the ``network`` and ``now``, the
    weekly hours it is closed (``closed`` in the network file) from the day before ``now``'s
    for ``CALENDAR_DAYS``; in start order (a window may overlap closed hours; those already
    over keep nothing free). The closed hours come from each site's calendar for the day, so a
    step pays for laying them out once a day."""
    closed: Closed = {}
    for window in windows:
        closed.setdefault(window.machine_id, []).append((window.start, window.end))
    booked = set(closed)
    if network is not None and now is not None:
        for site in network.sites:  # central plants' closed hours count in their quotes
            day = now.astimezone(site.tz).date()
            for machine_id, hours in site.closed_calendar(day, CALENDAR_DAYS).items():
                closed.setdefault(machine_id, []).extend(hours)
    for machine_id in booked:
        closed[machine_id].sort()
    return closed


def minutes_before(windows: Sequence[tuple[datetime, datetime]], now: datetime) -> float:
    """How many minutes of work a machine with these windows may start now: until the next
    window begins; none while one is on; without limit when none is ahead."""
    starts = [start for start, end in windows if end > now]
    if not starts:
        return float("inf")
    return max(0.0, (min(starts) - now) / timedelta(minutes=1))
