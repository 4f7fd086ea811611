"""The OctoPrint driver against a real OctoPrint and its virtual printer, G-code from PrusaSlicer.

One OctoPrint serves the whole session (``tests/conftest.py``; it takes 2–11 s to start); every
job has its own task id, so its file and print history on OctoPrint are its own.
"""

from __future__ import annotations

import copy
import random
import secrets
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from microfab.bootstrap import build_services
from microfab.catalog.registry import Registry
from microfab.catalog.service import CatalogService
from microfab.clock import ManualClock
from microfab.errors import MachineError
from microfab.execution.model import Job, Task, TaskState
from microfab.execution.programs import JobPrograms
from microfab.machines.base import JobReport, Machine, MachineJob, MachineState
from microfab.machines.octoprint import file_name
from microfab.machines.registry import build_machine
from microfab.memory_store import MemoryData, MemoryUnitOfWork
from microfab.network.loader import build_network, demo_document, normal_form
from microfab.network.model import Location, MachineSpec, Network, SlicerConfig
from microfab.network.service import install_network
from microfab.orders.model import Destination, Order, OrderLine, OrderState
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.settings import Settings
from microfab.store import open_store
from tests.integration import octoprint_peer as peer

pytestmark = pytest.mark.peers

KEY_VARIABLE = "MICROFAB_TEST_OCTOPRINT_KEY"
TEMPLATES = Path(__file__).parent / "peer_templates"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TINY_TAB = {
    "id": "tiny-tab",
    "name": "Tiny tab",
    "unit_mass_kg": 0.001,
    "materials": ["pla"],
    "material_per_unit": {"base": 0.0001},
    "routing": [
        {"name": "print", "process": "fdm", "minutes_per_unit": {"base": 2}, "uses_material": True}
    ],
    "geometry": "tiny-tab",
}


def network_with_printer(url: str, slicer: dict[str, Any] | None) -> Network:
    return build_network(document_with_printer(url, slicer), "test.yaml")


def document_with_printer(url: str, slicer: dict[str, Any] | None) -> dict[str, Any]:
    """The demo network, with its first Berlin printer behind ``url`` (as a network file says)."""
    document = copy.deepcopy(demo_document())
    document["products"].append(TINY_TAB)
    machine = document["factories"][0]["machines"][0]
    machine["count"] = 1
    machine["driver"] = {"kind": "octoprint", "url": url, "api_key_env": KEY_VARIABLE}
    if slicer is not None:
        machine["driver"]["slicer"] = slicer
    return document


class Plant:
    """A store holding one order line per task, and the driver of the OctoPrint printer."""

    def __init__(self, network: Network, folder: Path) -> None:
        self.network = network
        self.spec: MachineSpec = network.site("berlin").machines[0]
        self.data = MemoryData()
        catalog = CatalogService(Registry([TEMPLATES], entry_points_enabled=False))
        self.programs = JobPrograms(self.uow, network, lambda: catalog, folder)
        self.clock = ManualClock(T0)

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.data)

    def driver(self) -> Machine:
        """A new driver, as after a restart of microfab."""
        return build_machine(self.spec, self.clock, random.Random(1), programs=self.programs)

    def task(self, product: str = "tiny-tab", minutes: float = 2.0) -> MachineJob:
        suffix = secrets.token_hex(4)
        line = OrderLine(product, 1, "pla", {})
        order = Order(
            f"ord_{suffix}",
            "peer",
            (line,),
            Destination(self.network.site("berlin").location),
            T0,
            T0 + timedelta(days=2),
            100,
            0.1,
        )
        job = Job(f"job_{suffix}", order.id, 0, "berlin", product, 1, "pla", T0)
        task = Task(
            f"tsk_{suffix}",
            job.id,
            order.id,
            "berlin",
            0,
            "print",
            "fdm",
            self.spec.id,
            "pla",
            False,
            minutes,
            T0,
            T0 + timedelta(minutes=minutes),
        )
        with self.uow() as uow:
            uow.orders.add(order)
            uow.tasks.add_job(job)
            uow.tasks.add(task)
            uow.commit()
        return MachineJob(task.id, minutes, "pla")


def wait_for_report(machine: Machine, seconds: float = 90.0) -> JobReport:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        report = machine.status().report
        if report is not None:
            return report
        time.sleep(0.25)
    pytest.fail(f"no report from {machine.id} within {seconds:.0f} s")


@pytest.fixture
def plant(octoprint: peer.OctoPrint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Plant:
    """A printer without a slicer: its jobs are timed waits of their planned minutes."""
    peer.operational(octoprint)
    monkeypatch.setenv(KEY_VARIABLE, octoprint.api_key)
    return Plant(network_with_printer(octoprint.url, None), tmp_path)


@pytest.fixture
def slicing_plant(
    octoprint: peer.OctoPrint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Plant:
    if shutil.which("prusa-slicer") is None:
        peer.missing("prusa-slicer is not installed: run scripts/peers")
    peer.operational(octoprint)
    monkeypatch.setenv(KEY_VARIABLE, octoprint.api_key)
    return Plant(network_with_printer(octoprint.url, {}), tmp_path)


def prints_of(server: peer.OctoPrint, job: MachineJob) -> dict[str, Any]:
    with server.client() as client:
        prints: dict[str, Any] = client.get(f"/api/files/local/{file_name(job)}").json()["prints"]
    return prints


def test_a_part_sliced_with_prusaslicer_is_printed_and_reported_once(
    slicing_plant: Plant, octoprint: peer.OctoPrint
) -> None:
    machine = slicing_plant.driver()
    job = slicing_plant.task()
    machine.start(job)
    assert machine.status().state is MachineState.BUSY
    report = wait_for_report(machine)
    assert (report.job_id, report.finished) == (job.id, True)
    assert machine.status().report == report  # again, until it is acknowledged
    machine.acknowledge(job.id)
    status = machine.status()
    assert (status.state, status.report) == (MachineState.IDLE, None)
    gcode = slicing_plant.programs.gcode_for(job, SlicerConfig())
    assert "; generated by PrusaSlicer" in gcode.read_text()[:200]
    with octoprint.client() as client:
        uploaded = client.get(f"/downloads/files/local/{file_name(job)}").content
    assert uploaded == gcode.read_bytes()


def test_a_printer_fault_fails_the_job_and_leaves_the_printer_down(
    plant: Plant, octoprint: peer.OctoPrint
) -> None:
    job = plant.task(minutes=0.1)
    gcode = plant.programs.gcode_for(job, None)
    gcode.write_text("G4 P300\n!!DEBUG:trigger_fatal_error_marlin\nG4 P5000\n")
    machine = plant.driver()
    machine.start(job)
    report = wait_for_report(machine)
    assert (report.job_id, report.finished) == (job.id, False)
    assert report.reason
    assert machine.status().state is MachineState.DOWN
    with pytest.raises(MachineError, match="down"):
        machine.start(plant.task())


def test_a_job_resumed_after_a_restart_is_followed_not_printed_again(
    plant: Plant, octoprint: peer.OctoPrint
) -> None:
    job = plant.task(minutes=0.035)
    plant.driver().start(job)
    after_restart = plant.driver()
    after_restart.resume(job, T0)
    assert after_restart.status().job_id == job.id
    report = wait_for_report(after_restart)
    assert (report.job_id, report.finished) == (job.id, True)
    again = plant.driver()
    again.resume(job, T0)
    assert wait_for_report(again, 5).finished
    assert prints_of(octoprint, job)["success"] == 1


def test_a_job_claimed_but_never_sent_is_sent_on_resume(
    plant: Plant, octoprint: peer.OctoPrint
) -> None:
    job = plant.task(minutes=0.02)
    machine = plant.driver()
    machine.resume(job, T0)
    assert machine.status().state is MachineState.BUSY
    assert wait_for_report(machine).finished
    assert prints_of(octoprint, job)["success"] == 1


def test_an_unreachable_octoprint_is_an_offline_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, "unused")
    plant = Plant(network_with_printer(f"http://127.0.0.1:{peer.free_port()}", None), tmp_path)
    machine = plant.driver()
    assert machine.status().state is MachineState.OFFLINE
    with pytest.raises(MachineError, match="offline"):
        machine.start(plant.task())


def test_an_order_goes_through_the_controller_to_octoprint_as_sliced_gcode(
    octoprint: peer.OctoPrint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if shutil.which("prusa-slicer") is None:
        peer.missing("prusa-slicer is not installed: run scripts/peers")
    peer.operational(octoprint)
    monkeypatch.setenv(KEY_VARIABLE, octoprint.api_key)
    monkeypatch.setenv("MICROFAB_TEMPLATE_PATH", str(TEMPLATES))
    document = document_with_printer(octoprint.url, {})
    for site in document["factories"][1:]:  # only Berlin prints, on its OctoPrint printer
        site["machines"] = [m for m in site["machines"] if m["process"] != "fdm"]
    store = open_store(f"sqlite:///{tmp_path / 'microfab.db'}")
    clock = ManualClock(T0)
    with store.unit_of_work() as uow:
        install_network(uow, normal_form(document, "test.yaml"), T0)
        uow.commit()
    services = build_services(Settings(gcode_dir=tmp_path / "gcode"), clock=clock, store=store)
    try:
        berlin = Destination(Location(52.52, 13.40), "Berlin")
        line = LineRequest("tiny-tab", 1, {}, "pla")
        order = services.orders.place(PlaceOrder("peer", (line,), berlin)).order
        controller = services.controller(seed=1, failure_rate=0.0)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            controller.step()
            with store.unit_of_work() as uow:
                tasks = uow.tasks.for_order(order.id)
            if tasks and all(t.state is TaskState.FINISHED for t in tasks):
                break
            clock.advance(timedelta(seconds=30))
            time.sleep(0.25)
        with store.unit_of_work() as uow:
            shipped = uow.orders.get(order.id).state
    finally:
        services.close()
    assert [t.state for t in tasks] == [TaskState.FINISHED]
    assert shipped is OrderState.SHIPPED
    assert tasks[0].machine_id == "berlin-fdm"
    job = MachineJob(tasks[0].id, tasks[0].minutes, tasks[0].setup_family)
    assert prints_of(octoprint, job)["success"] == 1
    with octoprint.client() as client:
        uploaded = client.get(f"/downloads/files/local/{file_name(job)}").text
    assert "; generated by PrusaSlicer" in uploaded[:200]
