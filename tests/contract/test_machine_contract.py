"""What execution relies on from every machine driver, checked on each driver with its real peer.

The simulated driver runs on a manual clock; the OctoPrint driver on a real OctoPrint with its
virtual printer (jobs are timed waits there, so each lasts the seconds the test asks for).
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest

from microfab.clock import ManualClock
from microfab.errors import MachineError
from microfab.execution.programs import JobPrograms
from microfab.machines.base import Machine, MachineJob, MachineState, MachineStatus
from microfab.machines.registry import build_machine
from microfab.machines.simulated import SimulatedMachine
from microfab.memory_store import MemoryData, MemoryUnitOfWork
from microfab.network.loader import build_network, demo_document
from tests.integration import octoprint_peer as peer
from tests.integration.test_octoprint_driver import KEY_VARIABLE, network_with_printer

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
Until = Callable[[MachineStatus], bool]


class Rig(Protocol):
    def machine(self) -> Machine:
        """A new driver for the same machine, as after a restart of microfab."""
        ...

    def job(self, seconds: float) -> MachineJob: ...

    def now(self) -> datetime: ...

    def wait(self, machine: Machine, until: Until) -> MachineStatus: ...


class SimulatedRig:
    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.spec = build_network(demo_document()).site("berlin").machines[0]

    def machine(self) -> Machine:
        return SimulatedMachine(self.spec, self.clock, random.Random(1), 0.0)

    def job(self, seconds: float) -> MachineJob:
        return MachineJob(f"tsk_{secrets.token_hex(4)}", seconds / 60, "pla")

    def now(self) -> datetime:
        return self.clock.now()

    def wait(self, machine: Machine, until: Until) -> MachineStatus:
        for _ in range(3600):
            status = machine.status()
            if until(status):
                return status
            self.clock.advance(timedelta(seconds=1))
        pytest.fail("the simulated machine never got there")


class OctoPrintRig(SimulatedRig):
    def __init__(self, server: peer.OctoPrint, folder: Path) -> None:
        super().__init__()
        network = network_with_printer(server.url, None)
        self.spec = network.site("berlin").machines[0]
        data = MemoryData()
        self.programs = JobPrograms(lambda: MemoryUnitOfWork(data), network, folder=folder)

    def machine(self) -> Machine:
        return build_machine(self.spec, self.clock, random.Random(1), programs=self.programs)

    def wait(self, machine: Machine, until: Until) -> MachineStatus:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = machine.status()
            if until(status):
                return status
            time.sleep(0.1)
        pytest.fail("the OctoPrint printer never got there")


@pytest.fixture(params=["simulated", pytest.param("octoprint", marks=pytest.mark.peers)])
def rig(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Rig]:
    if request.param == "simulated":
        yield SimulatedRig()
        return
    server: peer.OctoPrint = request.getfixturevalue("octoprint")
    peer.operational(server)
    monkeypatch.setenv(KEY_VARIABLE, server.api_key)
    yield OctoPrintRig(server, tmp_path)


def reported(status: MachineStatus) -> bool:
    return status.report is not None


def test_an_idle_machine_runs_a_job_and_reports_it_once_until_acknowledged(rig: Rig) -> None:
    machine = rig.machine()
    assert machine.status().state is MachineState.IDLE
    job = rig.job(seconds=1.5)
    machine.start(job)
    running = machine.status()
    assert (running.state, running.job_id) == (MachineState.BUSY, job.id)
    report = rig.wait(machine, reported).report
    assert report is not None
    assert (report.job_id, report.finished) == (job.id, True)
    assert machine.status().report == report
    machine.acknowledge("tsk_someone_else")
    assert machine.status().report == report
    machine.acknowledge(job.id)
    assert machine.status().report is None
    assert machine.status().state is MachineState.IDLE


def test_a_busy_machine_refuses_a_second_job(rig: Rig) -> None:
    machine = rig.machine()
    first = rig.job(seconds=1)
    machine.start(first)
    with pytest.raises(MachineError):
        machine.start(rig.job(seconds=1))
    report = rig.wait(machine, reported).report
    assert report is not None
    assert report.job_id == first.id


def test_a_restarted_driver_follows_the_job_the_store_says_is_running(rig: Rig) -> None:
    job = rig.job(seconds=1.5)
    rig.machine().start(job)
    restarted = rig.machine()
    restarted.resume(job, rig.now())
    assert restarted.status().job_id == job.id
    report = rig.wait(restarted, reported).report
    assert report is not None
    assert (report.job_id, report.finished) == (job.id, True)
