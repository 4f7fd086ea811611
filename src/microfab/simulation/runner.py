"""Driving the network through time with SimPy.

The controller runs as a SimPy process that sleeps until the next thing is due (a machine
finishing, a parcel arriving, a shift starting) or until an order arrives. With a plain
``Environment`` simulated time jumps from event to event, as fast as the work allows; with a
``RealtimeEnvironment`` it follows the wall clock at ``speed`` times real time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta

import simpy
import simpy.rt

from microfab.errors import MicrofabError
from microfab.execution.controller import NetworkController
from microfab.orders.service import OrderService
from microfab.simulation.demand import DemandGenerator

log = logging.getLogger(__name__)

CONTROL_INTERVAL = timedelta(minutes=2)
"""The controller looks at the network at most this often, like a PLC scan cycle. Events in
between are handled together at the next look: a run of the demo network takes about 700 steps
a simulated day instead of about 1,900 (one per event), and a machine waits at most this long
for its next task. Outcomes keep their exact times: machines report when a job really ended."""


class SimClock:
    """Network time read from a SimPy environment: ``start`` plus the simulated seconds."""

    def __init__(self, env: simpy.Environment, start: datetime) -> None:
        self._env = env
        self._start = start

    @property
    def start(self) -> datetime:
        return self._start

    def now(self) -> datetime:
        return self._start + timedelta(seconds=float(self._env.now))

    def seconds_until(self, when: datetime) -> float:
        return max(0.0, (when - self._start).total_seconds() - float(self._env.now))


POLL_WALL_SECONDS = 0.25
"""At real-time speeds, orders placed through the API are picked up within this wall time."""


def max_idle(speed: float | None) -> timedelta:
    """How long the controller may sleep when nothing is due: a quarter of a wall second at
    ``speed``, or five network minutes when running as fast as possible."""
    if speed is None:
        return timedelta(minutes=5)
    return timedelta(seconds=max(1.0, POLL_WALL_SECONDS * speed))


def environment(speed: float | None) -> simpy.Environment:
    """As fast as possible without a speed; otherwise ``speed`` simulated seconds per second."""
    if speed is None:
        return simpy.Environment()
    return simpy.rt.RealtimeEnvironment(factor=1.0 / speed, strict=False)


@dataclass
class RunCounts:
    placed: int = 0
    rejected: int = 0
    steps: int = 0


class NetworkRun:
    def __init__(
        self,
        env: simpy.Environment,
        clock: SimClock,
        controller: NetworkController,
        orders: OrderService,
        demand: DemandGenerator | None,
        max_idle: timedelta,
        observe_every: timedelta = timedelta(minutes=10),
        interval: timedelta = CONTROL_INTERVAL,
    ) -> None:
        self._env = env
        self._clock = clock
        self._controller = controller
        self._orders = orders
        self._demand = demand
        self._max_idle = max(max_idle, interval)
        self._interval = interval
        self._observe_every = observe_every
        self._poke = env.event()
        self.counts = RunCounts()

    def run(self, until: datetime | None, observe: Callable[[], None] | None = None) -> None:
        """Run until network time ``until`` (forever when None; stop with KeyboardInterrupt).

        ``observe`` is called every ``observe_every`` of network time, e.g. to redraw a view.
        """
        self._env.process(self._control())
        if self._demand is not None:
            self._env.process(self._arrivals(self._demand))
        if observe is not None:
            self._env.process(self._observer(observe))
        limit = None if until is None else (until - self._clock.start).total_seconds()
        self._env.run(until=limit)

    def _control(self) -> Generator[simpy.Event, object, None]:
        while True:
            self._controller.step()
            self.counts.steps += 1
            yield self._env.timeout(self._interval.total_seconds())
            delay = self._max_idle - self._interval
            wake = self._controller.next_wakeup()
            if wake is not None:
                delay = min(delay, wake - self._clock.now())
            if delay > timedelta(0):
                self._poke = self._env.event()
                yield self._env.timeout(delay.total_seconds()) | self._poke

    def _arrivals(self, demand: DemandGenerator) -> Generator[simpy.Event, object, None]:
        for arrival in demand.arrivals(self._clock.now()):
            yield self._env.timeout(self._clock.seconds_until(arrival.at))
            try:
                self._orders.place(arrival.command)
            except MicrofabError as exc:
                self.counts.rejected += 1
                log.warning("demo order rejected: %s", exc.message)
                continue
            self.counts.placed += 1
            if not self._poke.triggered:
                self._poke.succeed()

    def _observer(self, observe: Callable[[], None]) -> Generator[simpy.Event, object, None]:
        while True:
            observe()
            yield self._env.timeout(self._observe_every.total_seconds())
