"""A customer's uploaded model becomes G-code: the order line leads to the upload, which
PrusaSlicer slices with the machine's profile (the real slicer, as a printer would get it)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trimesh

from microfab.bootstrap import Services, build_services
from microfab.clock import ManualClock
from microfab.execution.model import TaskState
from microfab.execution.programs import JobPrograms
from microfab.machines.base import MachineJob
from microfab.network.loader import demo_document, normal_form
from microfab.network.model import Location, SlicerConfig
from microfab.network.service import install_network
from microfab.orders.model import Destination
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.settings import Settings, sqlite_url
from microfab.store.uow import open_store

from . import octoprint_peer as peer

pytestmark = pytest.mark.peers

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def shop(tmp_path: Path) -> Services:
    if shutil.which("prusa-slicer") is None:
        peer.missing("prusa-slicer is not installed: run scripts/peers")
    settings = Settings(database_url=sqlite_url(tmp_path / "shop.db"))
    clock = ManualClock(MONDAY)
    store = open_store(settings.database_url)
    with store.unit_of_work() as uow:
        install_network(uow, normal_form(demo_document(), "<demo>"), clock.now())
        uow.commit()
    return build_services(settings, clock=clock, store=store)


def test_an_uploaded_model_is_sliced_for_the_printer_its_task_is_on(
    shop: Services, tmp_path: Path
) -> None:
    model: bytes = trimesh.creation.cylinder(radius=12, height=18).export(file_type="stl")
    upload = shop.uploads.add("cust-1", "puck.stl", model).upload
    line = LineRequest("custom-print", 2, {"colour": "blue"}, "pla", upload_id=upload.id)
    berlin = Destination(Location(52.52, 13.40), "Berlin")
    order = shop.orders.place(PlaceOrder("cust-1", (line,), berlin, None)).order
    shop.controller(seed=1, failure_rate=0).step()
    with shop.uow() as uow:
        printing = next(t for t in uow.tasks.for_order(order.id) if t.process == "fdm")
    assert printing.state is TaskState.RUNNING
    programs = JobPrograms(shop.uow, shop.network, folder=tmp_path / "gcode")
    job = MachineJob(printing.id, printing.minutes, printing.setup_family)
    gcode = programs.gcode_for(job, SlicerConfig())
    text = gcode.read_text(errors="replace")
    assert "; estimated printing time" in text
    assert "G1 " in text, "a real toolpath, not the dwell-only program"
    assert (tmp_path / "gcode" / f"{printing.id}.stl").read_bytes() == model
    assert programs.gcode_for(job, SlicerConfig()) == gcode, "a resend sends the same file"
