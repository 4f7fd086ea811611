"""A network file names each machine's driver; real printers get an address and a key variable."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from microfab.catalog.errors import SlicerFailed
from microfab.catalog.slicer import duration_seconds, shipped_profile, slice_part
from microfab.clock import ManualClock
from microfab.errors import InvalidNetwork, MachineError
from microfab.execution.programs import JobPrograms, dwell_gcode
from microfab.machines.base import MachineJob
from microfab.machines.octoprint import OctoPrintMachine
from microfab.machines.registry import build_machine
from microfab.network.loader import build_network, demo_document, normal_form
from microfab.network.model import DriverLink, SlicerConfig
from tests.unit.conftest import MemoryStore

OCTOPRINT = {"kind": "octoprint", "url": "http://octopi.local:5000/", "api_key_env": "PRINTER_KEY"}


@pytest.fixture
def doc() -> dict[str, Any]:
    document = copy.deepcopy(demo_document())
    document["factories"][2]["machines"][0]["count"] = 1
    return document


def driven(doc: dict[str, Any], driver: object) -> dict[str, Any]:
    doc["factories"][2]["machines"][0]["driver"] = driver
    return doc


def test_a_machine_driven_by_octoprint_gets_its_address_key_variable_and_slicer(
    doc: dict[str, Any],
) -> None:
    driver = {**OCTOPRINT, "slicer": {"profile": "/etc/microfab/mk3s.ini"}}
    network = build_network(driven(doc, driver))
    spec = network.factories[2].machines[0]
    assert spec.driver == "octoprint"
    assert spec.link == DriverLink(
        "http://octopi.local:5000", "PRINTER_KEY", SlicerConfig(profile="/etc/microfab/mk3s.ini")
    )


def test_each_material_may_have_its_own_slicer_profile(doc: dict[str, Any]) -> None:
    slicer = {"profile": "/p/any.ini", "profiles": {"petg": "/p/petg.ini"}}
    spec = build_network(driven(doc, {**OCTOPRINT, "slicer": slicer})).factories[2].machines[0]
    assert spec.link is not None
    assert spec.link.slicer is not None
    assert spec.link.slicer.profile_for("petg") == "/p/petg.ini"
    assert spec.link.slicer.profile_for("pla") == "/p/any.ini"
    assert SlicerConfig().profile_for("pla") is None  # the profile shipped with microfab


def test_a_profile_for_a_material_the_machine_cannot_print_is_refused(
    doc: dict[str, Any],
) -> None:
    driver = {**OCTOPRINT, "slicer": {"profiles": {"resin-tough": "/p/r.ini"}}}
    with pytest.raises(
        InvalidNetwork,
        match=r"machines\[0\]\.driver\.slicer\.profiles\.resin-tough: unknown material of this",
    ):
        build_network(driven(doc, driver), "net.yaml")


def test_a_plain_driver_name_still_reads_and_is_stored_as_before(doc: dict[str, Any]) -> None:
    stored = normal_form(doc, "demo")
    assert stored["factories"][2]["machines"][0]["driver"] == "simulated"
    assert build_network(stored).factories[2].machines[0].link is None


def test_the_stored_network_keeps_the_variable_name_never_a_key(doc: dict[str, Any]) -> None:
    stored = normal_form(driven(doc, OCTOPRINT), "net.yaml")["factories"][2]["machines"][0]
    assert stored["driver"]["api_key_env"] == "PRINTER_KEY"
    assert build_network(normal_form(doc, "x")).factories[2].machines[0].driver == "octoprint"


@pytest.mark.parametrize(
    ("driver", "message"),
    [
        (
            {"kind": "octoprint", "api_key_env": "K"},
            r"net\.yaml: factories\[2\]\.machines\[0\]\.driver\.url: OctoPrint's address",
        ),
        (
            {**OCTOPRINT, "url": "octopi.local"},
            r"factories\[2\]\.machines\[0\]\.driver\.url: 'octopi\.local' is not an address",
        ),
        (
            {"kind": "octoprint", "url": "http://octopi"},
            r"factories\[2\]\.machines\[0\]\.driver\.api_key_env: name the environment variable",
        ),
        (
            {**OCTOPRINT, "api_key_env": "sk-123 456"},
            r"factories\[2\]\.machines\[0\]\.driver\.api_key_env: String should match",
        ),
        (
            {"kind": "octoprnt"},
            r"factories\[2\]\.machines\[0\]\.driver\.kind: unknown driver 'octoprnt' \(known: ",
        ),
        (
            {"kind": "simulated", "url": "http://octopi"},
            r"factories\[2\]\.machines\[0\]\.driver\.url: the simulated driver takes no url",
        ),
        (
            {**OCTOPRINT, "api_key": "abc"},
            r"factories\[2\]\.machines\[0\]\.driver\.api_key: unknown field",
        ),
    ],
)
def test_bad_driver_settings_name_their_path(
    doc: dict[str, Any], driver: object, message: str
) -> None:
    with pytest.raises(InvalidNetwork, match=message):
        build_network(driven(doc, driver), "net.yaml")


def test_one_octoprint_drives_one_printer(doc: dict[str, Any]) -> None:
    driven(doc, OCTOPRINT)["factories"][2]["machines"][0]["count"] = 3
    with pytest.raises(InvalidNetwork, match=r"machines\[0\]\.count: one OctoPrint drives one"):
        build_network(doc, "net.yaml")


def test_an_octoprint_printer_is_not_a_batch_machine(doc: dict[str, Any]) -> None:
    driven(doc, OCTOPRINT)["factories"][2]["machines"][0]["batch_capacity"] = 4
    with pytest.raises(InvalidNetwork, match=r"batch_capacity: an OctoPrint printer runs one"):
        build_network(doc, "net.yaml")


def test_the_registry_builds_an_octoprint_driver(
    doc: dict[str, Any], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRINTER_KEY", "k")
    spec = build_network(driven(doc, OCTOPRINT)).factories[2].machines[0]
    assert isinstance(build_machine(spec, clock, random.Random(1)), OctoPrintMachine)


def test_without_a_slicer_a_job_is_a_wait_of_its_planned_minutes() -> None:
    gcode = dwell_gcode(2.5, "tsk_1")
    assert [ln for ln in gcode.splitlines() if ln.startswith("G4")] == ["G4 P60000"] * 2 + [
        "G4 P30000"
    ]
    assert "M117 microfab tsk_1" in gcode


def test_job_programs_write_each_tasks_file_once(store: MemoryStore, tmp_path: Path) -> None:
    programs = JobPrograms(store.unit_of_work, build_network(demo_document()), folder=tmp_path)
    job = MachineJob("tsk_9", 1.5, "pla")
    path = programs.gcode_for(job, None)
    assert path == tmp_path / "tsk_9.gcode"
    path.write_text("; kept\n")
    assert programs.gcode_for(job, None).read_text() == "; kept\n"


def test_a_missing_slicer_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(SlicerFailed, match=r"no-such-slicer is not installed .*apt-get install"):
        slice_part(tmp_path / "a.stl", tmp_path / "a.gcode", program="no-such-slicer")
    assert isinstance(SlicerFailed("x"), MachineError)


def test_a_missing_profile_is_named(tmp_path: Path) -> None:
    with pytest.raises(SlicerFailed, match=r"profile .*nope\.ini does not exist"):
        slice_part(tmp_path / "a.stl", tmp_path / "a.gcode", tmp_path / "nope.ini", program="sh")


def test_microfab_ships_a_flat_profile_and_reads_prusaslicers_durations() -> None:
    assert "bed_shape" in shipped_profile().read_text()
    assert duration_seconds("1d 2h 3m 4s") == 93784
    assert duration_seconds("15m 52s") == 952
