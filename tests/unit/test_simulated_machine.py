import random
from datetime import timedelta

import pytest

from microfab.clock import ManualClock
from microfab.errors import MachineError
from microfab.machines.base import MachineJob, MachineState
from microfab.machines.registry import build_machine
from microfab.machines.simulated import SimulatedMachine
from microfab.network.model import MachineSpec, Network

JOB = MachineJob("tsk_1", minutes=45, setup_family="pla-red")


@pytest.fixture
def printer(network: Network) -> MachineSpec:
    return network.site("berlin").machines[0]


def test_a_job_runs_for_its_minutes_then_reports_finished(
    printer: MachineSpec, clock: ManualClock
) -> None:
    machine = SimulatedMachine(printer, clock, random.Random(1), failure_rate_per_hour=0)
    machine.start(JOB)
    clock.advance(timedelta(minutes=20))
    status = machine.status()
    assert status.state is MachineState.BUSY
    assert status.progress == pytest.approx(20 / 45)
    assert machine.next_change_at() == clock.now() + timedelta(minutes=25)
    clock.advance(timedelta(minutes=30))
    status = machine.status()
    assert status.state is MachineState.IDLE
    assert status.report is not None
    assert status.report.finished
    assert status.report.at == clock.now() - timedelta(minutes=5)


def test_a_report_stays_until_it_is_acknowledged(printer: MachineSpec, clock: ManualClock) -> None:
    machine = SimulatedMachine(printer, clock, random.Random(1), failure_rate_per_hour=0)
    machine.start(JOB)
    clock.advance(timedelta(hours=1))
    assert machine.status().report is not None
    assert machine.status().report is not None
    machine.acknowledge("tsk_1")
    assert machine.status().report is None


def test_a_busy_machine_refuses_a_second_job(printer: MachineSpec, clock: ManualClock) -> None:
    machine = SimulatedMachine(printer, clock, random.Random(1), failure_rate_per_hour=0)
    machine.start(JOB)
    with pytest.raises(MachineError, match="is busy; it can start a job when idle"):
        machine.start(MachineJob("tsk_2", 10, "pla-red"))


def test_a_failing_machine_is_down_for_its_repair_time(
    printer: MachineSpec, clock: ManualClock
) -> None:
    machine = SimulatedMachine(printer, clock, random.Random(1), failure_rate_per_hour=1000)
    machine.start(JOB)
    clock.advance(timedelta(minutes=1))
    status = machine.status()
    assert status.state is MachineState.DOWN
    assert status.report is not None
    assert not status.report.finished
    assert status.report.reason == "simulated machine fault"
    clock.advance(timedelta(minutes=printer.repair_minutes))
    assert machine.status().state is MachineState.IDLE


def test_a_machine_taken_down_fails_its_job_and_is_down_until_then(
    printer: MachineSpec, clock: ManualClock
) -> None:
    machine = SimulatedMachine(printer, clock, random.Random(1), failure_rate_per_hour=0)
    machine.start(JOB)
    clock.advance(timedelta(minutes=10))
    back = clock.now() + timedelta(hours=2)
    machine.take_down(back, "stopped for maintenance")
    status = machine.status()
    assert status.state is MachineState.DOWN
    assert status.report is not None
    assert (status.report.job_id, status.report.finished) == ("tsk_1", False)
    assert status.report.reason == "stopped for maintenance"
    assert machine.next_change_at() == back
    clock.set(back)
    assert machine.status().state is MachineState.IDLE


def test_the_same_seed_fails_the_same_jobs(printer: MachineSpec, clock: ManualClock) -> None:
    def outcomes(seed: int) -> list[bool]:
        machine = SimulatedMachine(printer, clock, random.Random(seed), failure_rate_per_hour=0.8)
        results = []
        for i in range(20):
            machine.resume(MachineJob(f"t{i}", 45, "pla"), clock.now())
            when = machine.next_change_at()
            assert when is not None
            status = machine.status()
            results.append(
                status.state is MachineState.BUSY and when < clock.now() + timedelta(minutes=45)
            )
        return results

    first = outcomes(3)
    assert first == outcomes(3)
    assert any(first), "at 0.8 faults an hour some 45-minute jobs fail"
    assert not all(first)


def test_an_unknown_driver_is_named(printer: MachineSpec, clock: ManualClock) -> None:
    from dataclasses import replace

    from microfab.errors import InvalidNetwork

    with pytest.raises(InvalidNetwork, match="unknown driver 'telepathy'"):
        build_machine(replace(printer, driver="telepathy"), clock, random.Random(1))


def test_a_job_of_another_setup_family_first_waits_for_the_changeover(
    printer: MachineSpec, clock: ManualClock
) -> None:
    assert printer.changeover_minutes == 12
    machine = SimulatedMachine(printer, clock, random.Random(1), failure_rate_per_hour=0)
    machine.start(MachineJob("tsk_1", 30, "pla-red"))
    clock.advance(timedelta(minutes=30))
    machine.start(MachineJob("tsk_2", 30, "pla-red"))
    assert machine.next_change_at() == clock.now() + timedelta(minutes=30)
    clock.advance(timedelta(minutes=30))
    machine.start(MachineJob("tsk_3", 30, "pla-blue"))
    assert machine.next_change_at() == clock.now() + timedelta(minutes=42)
