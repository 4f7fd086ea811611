"""Machine drivers by name: the network file says ``driver: simulated`` and this builds it.

Drivers are looked up in one table, not registered by import side effects; a driver whose
extra is not installed fails with a message that names the extra.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from microfab.clock import Clock
from microfab.errors import InvalidNetwork
from microfab.machines.base import Machine, Programs
from microfab.machines.simulated import SimulatedMachine
from microfab.network.model import MachineSpec

DriverFactory = Callable[
    [MachineSpec, Clock, random.Random, float | None, Programs | None], Machine
]


def _simulated(
    spec: MachineSpec,
    clock: Clock,
    rng: random.Random,
    failure_rate: float | None,
    programs: Programs | None,
) -> Machine:
    return SimulatedMachine(spec, clock, rng, failure_rate)


def _octoprint(
    spec: MachineSpec,
    clock: Clock,
    rng: random.Random,
    failure_rate: float | None,
    programs: Programs | None,
) -> Machine:
    from microfab.machines.octoprint import connect  # httpx loads only for real printers

    return connect(spec, clock, programs)


DRIVERS: dict[str, DriverFactory] = {"simulated": _simulated, "octoprint": _octoprint}


def build_machine(
    spec: MachineSpec,
    clock: Clock,
    rng: random.Random,
    failure_rate: float | None = None,
    programs: Programs | None = None,
) -> Machine:
    """The driver the network file names for ``spec``; ``programs`` makes real machines' files."""
    try:
        factory = DRIVERS[spec.driver]
    except KeyError:
        raise InvalidNetwork(
            f"machine {spec.id}: unknown driver {spec.driver!r} (known: {', '.join(DRIVERS)})"
        ) from None
    return factory(spec, clock, rng, failure_rate, programs)
