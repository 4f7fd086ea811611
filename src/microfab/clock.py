"""Where time comes from: the ``Clock`` port and its implementations.

Live networks read the wall clock; tests set a manual clock; the demo and the digital twin read
SimPy's clock (``microfab.simulation.runner.SimClock``), which either runs as fast as the work
allows or at a fixed multiple of wall time (``--speed 600``: ten network minutes a second).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current network time (always timezone-aware, UTC)."""

    def now(self) -> datetime: ...


class WallClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; the discrete-event simulation sets it."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            if when < self._now:
                raise ValueError(f"time cannot go back from {self._now} to {when}")
            self._now = when

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)
