"""Where time comes from: the ``Clock`` port and its implementations.

Live networks read the wall clock; the demo and the digital twin read a simulated clock that
either runs as fast as the work allows or at a fixed multiple of wall time (``--speed 600``
means ten simulated minutes per wall second).
"""

from __future__ import annotations

import threading
import time
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


class AcceleratedClock:
    """Network time that runs ``speed`` times faster than the wall clock from ``start``."""

    def __init__(self, start: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start
        self._speed = speed
        self._wall_start = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._wall_start
        return self._start + timedelta(seconds=elapsed * self._speed)

    def wall_seconds_until(self, when: datetime) -> float:
        """How long to sleep on the wall clock until the network time reaches ``when``."""
        return max(0.0, (when - self.now()).total_seconds() / self._speed)
