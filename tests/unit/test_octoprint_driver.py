"""The OctoPrint driver's decisions, against a small stand-in for OctoPrint's REST API.

The real OctoPrint is in tests/integration/test_octoprint_driver.py; this stand-in makes the rare
cases cheap: a refused upload, a file without a print record, a lost connection.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from microfab.catalog.errors import SlicerFailed
from microfab.clock import ManualClock
from microfab.errors import MachineError
from microfab.machines.base import MachineJob, MachineState
from microfab.machines.octoprint import OctoPrintMachine, connect, file_name
from microfab.network.model import DriverLink, MachineSpec, Network, SlicerConfig

LINK = DriverLink("http://octopi.test", "OCTOPRINT_KEY")
JOB = MachineJob("tsk_1", minutes=30, setup_family="pla")


class FakeOctoPrint:
    """OctoPrint's job, files and connection endpoints, as far as the driver uses them."""

    def __init__(self) -> None:
        self.state = "Operational"
        self.current: str | None = None
        self.files: dict[str, dict[str, Any]] = {}
        self.error = ""
        self.reachable = True
        self.refuse_upload = 0
        self.connects = 0
        self.uploads: list[str] = []

    def finish(self, success: bool, ago_s: float = 0.0) -> None:
        assert self.current is not None
        last = {"date": time.time() - ago_s, "success": success}
        self.files[self.current]["prints"] = {"last": last}
        self.state = "Operational" if success else "Offline after error"

    def handle(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("connection refused", request=request)
        assert request.headers["X-Api-Key"] == "secret"
        path = request.url.path
        if path == "/api/job":
            return httpx.Response(200, json=self._job())
        if path == "/api/connection":
            self.connects += 1
            return httpx.Response(204)
        if path == "/api/files/local" and request.method == "POST":
            return self._upload(request.read())
        name = path.removeprefix("/api/files/local/")
        if name in self.files:
            return httpx.Response(200, json={"name": name, **self.files[name]})
        return httpx.Response(404, json={"error": "File not found"})

    def _job(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "job": {"file": {"name": self.current}},
            "progress": {"completion": 40.0 if self.state == "Printing" else None},
            "error": self.error,
        }

    def _upload(self, body: bytes) -> httpx.Response:
        if self.refuse_upload:
            return httpx.Response(self.refuse_upload, json={"error": "Printer is not operational"})
        found = re.search(rb'filename="([^"]+)"', body)
        assert found is not None
        name = found.group(1).decode()
        self.files[name] = {}
        self.uploads.append(name)
        self.current, self.state = name, "Printing"
        return httpx.Response(201, json={"done": True})


class FilePrograms:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.failure: str | None = None

    def gcode_for(self, job: MachineJob, slicer: SlicerConfig | None) -> Path:
        if self.failure:
            raise SlicerFailed(self.failure)
        path = self.folder / f"{job.id}.gcode"
        path.write_text("G4 P10\n")
        return path


@pytest.fixture
def octoprint() -> FakeOctoPrint:
    return FakeOctoPrint()


@pytest.fixture
def programs(tmp_path: Path) -> FilePrograms:
    return FilePrograms(tmp_path)


@pytest.fixture
def printer(network: Network) -> MachineSpec:
    return network.site("berlin").machines[0]


@pytest.fixture
def machine(
    printer: MachineSpec, clock: ManualClock, octoprint: FakeOctoPrint, programs: FilePrograms
) -> OctoPrintMachine:
    client = httpx.Client(
        base_url=LINK.url,
        headers={"X-Api-Key": "secret"},
        transport=httpx.MockTransport(octoprint.handle),
    )
    return OctoPrintMachine(printer, LINK, clock, client, programs)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Operational", MachineState.IDLE),
        ("Printing", MachineState.BUSY),
        ("Paused", MachineState.BUSY),
        ("Error", MachineState.DOWN),
        ("Error: Thermal Runaway", MachineState.DOWN),
        ("Offline after error", MachineState.DOWN),
        ("Detecting serial connection", MachineState.OFFLINE),
    ],
)
def test_octoprint_states_become_machine_states(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint, text: str, state: MachineState
) -> None:
    octoprint.state, octoprint.current = text, "someone-elses.gcode"
    status = machine.status()
    assert status.state is state
    assert status.job_id is None  # a print microfab did not start is not its job


def test_a_finished_print_is_reported_once_until_acknowledged(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint, clock: ManualClock
) -> None:
    machine.start(JOB)
    assert octoprint.uploads == [file_name(JOB)]
    clock.advance(timedelta(minutes=30))
    busy = machine.status()
    assert (busy.state, busy.job_id, busy.progress) == (MachineState.BUSY, JOB.id, 0.4)
    octoprint.finish(success=True, ago_s=60)
    report = machine.status().report
    assert report is not None
    assert (report.job_id, report.finished) == (JOB.id, True)
    assert report.at == pytest.approx(clock.now() - timedelta(minutes=1), abs=timedelta(seconds=5))
    assert machine.status().report == report
    machine.acknowledge(JOB.id)
    assert machine.status().report is None


def test_a_failed_print_is_a_failed_report_with_octoprints_error(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint
) -> None:
    machine.start(JOB)
    octoprint.finish(success=False)
    octoprint.error = "Thermal Runaway, system stopped!"
    status = machine.status()
    assert status.state is MachineState.DOWN
    assert status.report is not None
    assert not status.report.finished
    assert "Thermal Runaway" in status.report.reason


def test_an_idle_printer_without_a_record_of_the_job_is_given_a_moment_then_fails_it(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine.start(JOB)
    octoprint.state = "Operational"  # the record of the print may be a moment behind
    status = machine.status()
    assert (status.state, status.job_id, status.report) == (MachineState.BUSY, JOB.id, None)
    monkeypatch.setattr("microfab.machines.octoprint.GRACE_S", 0.0)
    report = machine.status().report
    assert report is not None
    assert not report.finished
    assert "never finished" in report.reason


def test_an_unreachable_octoprint_is_offline_and_the_job_is_kept(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint
) -> None:
    machine.start(JOB)
    octoprint.reachable = False
    status = machine.status()
    assert (status.state, status.job_id, status.report) == (MachineState.OFFLINE, JOB.id, None)
    octoprint.reachable = True
    octoprint.finish(success=True)
    report = machine.status().report
    assert report is not None
    assert report.finished


def test_a_job_cannot_start_on_an_unreachable_printer(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint
) -> None:
    octoprint.reachable = False
    with pytest.raises(MachineError, match="offline"):
        machine.start(JOB)


def test_a_refused_upload_is_a_machine_error_and_leaves_the_printer_free(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint
) -> None:
    octoprint.refuse_upload = 409
    with pytest.raises(MachineError, match=r"refused the job \(409\): Printer is not operational"):
        machine.start(JOB)
    octoprint.refuse_upload = 0
    machine.start(JOB)
    assert machine.status().job_id == JOB.id


def test_a_slicing_failure_is_a_machine_error_and_nothing_is_uploaded(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint, programs: FilePrograms
) -> None:
    programs.failure = "prusa-slicer is not installed"
    with pytest.raises(MachineError, match="prusa-slicer is not installed"):
        machine.start(JOB)
    assert octoprint.uploads == []


def test_a_resumed_job_that_never_reached_octoprint_is_sent_once(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint, clock: ManualClock
) -> None:
    machine.resume(JOB, clock.now())
    assert machine.status().state is MachineState.BUSY
    assert machine.status().job_id == JOB.id
    assert octoprint.uploads == [file_name(JOB)]


def test_a_resumed_job_whose_file_has_no_print_record_fails_rather_than_prints_again(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint, clock: ManualClock
) -> None:
    octoprint.files[file_name(JOB)] = {}  # OctoPrint restarted in the middle of the print
    machine.resume(JOB, clock.now())
    report = machine.status().report
    assert report is not None
    assert not report.finished
    assert "no record" in report.reason
    assert octoprint.uploads == []


def test_a_resumed_job_that_ended_while_microfab_was_stopped_is_reported(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint, clock: ManualClock
) -> None:
    octoprint.files[file_name(JOB)] = {"prints": {"last": {"date": time.time(), "success": True}}}
    machine.resume(JOB, clock.now() - timedelta(minutes=40))
    report = machine.status().report
    assert report is not None
    assert report.finished
    assert octoprint.uploads == []


def test_a_printer_that_is_simply_offline_is_connected_but_not_after_an_error(
    machine: OctoPrintMachine, octoprint: FakeOctoPrint
) -> None:
    octoprint.state = "Offline"
    assert machine.status().state is MachineState.OFFLINE
    assert octoprint.connects == 1
    octoprint.state = "Offline after error"
    machine.status()
    assert octoprint.connects == 1


def test_the_api_key_comes_from_the_variable_the_network_file_names(
    printer: MachineSpec, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = replace(printer, driver="octoprint", link=LINK)
    monkeypatch.delenv("OCTOPRINT_KEY", raising=False)
    with pytest.raises(MachineError, match="environment variable OCTOPRINT_KEY is empty"):
        connect(spec, clock, None)
    monkeypatch.setenv("OCTOPRINT_KEY", "secret")
    assert connect(spec, clock, None).id == printer.id
