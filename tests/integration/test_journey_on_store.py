"""The order journey on a real database: the controller's queries on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from microfab.bootstrap import Services, build_services
from microfab.clock import ManualClock
from microfab.errors import IdempotencyMismatch
from microfab.execution.controller import NetworkController
from microfab.execution.model import TaskState
from microfab.ids import random_ids
from microfab.network.loader import demo_document, normal_form
from microfab.network.model import Location
from microfab.network.service import install_network
from microfab.orders.model import Destination, OrderState
from microfab.orders.service import LineRequest, PlaceOrder
from microfab.settings import Settings
from microfab.store import SqlStore

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
COLOGNE = Destination(Location(50.94, 6.96), "Cologne")


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return normal_form(demo_document(), "demo")


@pytest.fixture
def services(store: SqlStore, demo: dict[str, Any]) -> Services:
    with store.unit_of_work() as uow:
        install_network(uow, demo, MONDAY)
        uow.commit()
    clock = ManualClock(MONDAY)
    return build_services(Settings(), clock=clock, ids=random_ids(random.Random(1)), store=store)


def drive(controller: NetworkController, clock: ManualClock, until: datetime) -> None:
    while clock.now() < until:
        controller.step()
        wake = controller.next_wakeup()
        clock.set(min(wake, until) if wake and wake > clock.now() else until)
    controller.step()


def test_orders_are_made_shipped_and_delivered(services: Services) -> None:
    clock = services.clock
    assert isinstance(clock, ManualClock)
    controller = services.controller(seed=4, failure_rate=0.3)
    lines = [
        LineRequest("phone-grip", 2, {"name": "Jürgen", "colour": "blue"}, "petg"),
        LineRequest("name-sign", 1, {"text": "Atelier Ö"}, "plywood-3mm"),
        LineRequest("desk-lamp", 1, {"shade_diameter_mm": 200}, "pla"),
    ]
    ids = [
        services.orders.place(PlaceOrder(f"c{i}", (line,), COLOGNE, f"k{i}")).order.id
        for i, line in enumerate(lines)
    ]
    drive(controller, clock, MONDAY + timedelta(days=2))
    for order_id in ids:
        order = services.orders.get(order_id)
        assert order.state is OrderState.DELIVERED, order.history
        assert order.factory_id == "cologne"
        assert order.delivered_at is not None
    with services.uow() as uow:
        tasks = [t for i in ids for t in uow.tasks.for_order(i)]
        # A failed step's later steps are cancelled when its job is made again.
        ended = (TaskState.FINISHED, TaskState.FAILED, TaskState.CANCELLED)
        assert [t.id for t in tasks if t.state not in ended] == []
        assert any(t.state is TaskState.FINISHED for t in tasks)
        assert uow.runtime.get("network_time") is not None


def test_a_replayed_order_is_the_same_and_a_changed_one_is_refused(services: Services) -> None:
    command = PlaceOrder("c1", (LineRequest("phone-grip", 1, {"name": "Ada"}),), COLOGNE, "same")
    first = services.orders.place(command)
    again = services.orders.place(command)
    assert (first.created, again.created) == (True, False)
    assert again.order.id == first.order.id
    changed = PlaceOrder("c1", (LineRequest("phone-grip", 2, {"name": "Ada"}),), COLOGNE, "same")
    with pytest.raises(IdempotencyMismatch):
        services.orders.place(changed)


def test_a_cancellation_behind_the_controllers_back_is_honoured(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """The controller keeps tasks between steps; a cancel through the service must still win."""
    clock = services.clock
    assert isinstance(clock, ManualClock)
    clock.set(datetime(2026, 3, 2, 22, 30, tzinfo=UTC))  # 23:30 in Cologne: no one on shift
    controller = services.controller(seed=1, failure_rate=0)
    knob = LineRequest("window-crank-knob", 1, {"length_mm": 40}, "brass")
    cancelled = services.orders.place(PlaceOrder("c1", (knob,), COLOGNE)).order
    kept = services.orders.place(PlaceOrder("c2", (knob,), COLOGNE)).order
    controller.step()
    assert services.orders.get(cancelled.id).state is OrderState.SCHEDULED
    services.orders.cancel(cancelled.id)
    clock.set(datetime(2026, 3, 3, 5, 30, tzinfo=UTC))  # 06:30: the early shift is in
    with caplog.at_level(logging.INFO, logger="microfab.execution.controller"):
        controller.step()
    assert "step lost a race and will run again" in caplog.text
    assert services.orders.get(cancelled.id).state is OrderState.CANCELLED
    assert services.orders.get(kept.id).state is OrderState.IN_PRODUCTION
    with services.uow() as uow:
        assert {t.state for t in uow.tasks.for_order(cancelled.id)} == {TaskState.CANCELLED}


def test_an_uploaded_model_is_ordered_made_and_delivered(services: Services) -> None:
    import trimesh  # the catalog's mesh library; imported here to keep collection fast

    clock = services.clock
    assert isinstance(clock, ManualClock)
    data = trimesh.creation.box((30, 20, 10)).export(file_type="stl")
    upload = services.uploads.add("cust-7", "block.stl", data).upload
    line = LineRequest("custom-print", 1, {"colour": "green"}, "pla", upload.id)
    order = services.orders.place(PlaceOrder("cust-7", (line,), COLOGNE, "u-7")).order
    assert order.lines[0].estimate == upload.estimate
    controller = services.controller(seed=2, failure_rate=0)
    drive(controller, clock, clock.now() + timedelta(days=2))
    done = services.orders.get(order.id)
    assert done.state is OrderState.DELIVERED
    assert done.lines[0].upload_id == upload.id
    assert done.lines[0].estimate == upload.estimate
    assert services.uploads.data(upload.id) == data


def test_a_re_prioritised_order_re_plans_its_factory_once(services: Services) -> None:
    clock = services.clock
    assert isinstance(clock, ManualClock)
    controller = services.controller(seed=4, failure_rate=0)
    ids = [
        services.orders.place(
            PlaceOrder(f"c{n}", (LineRequest("phone-grip", 1, {"name": n}, "pla"),), COLOGNE)
        ).order.id
        for n in ("Ada", "Bo", "Cy")
    ]
    assert controller.step().replanned == 1
    clock.advance(timedelta(minutes=1))
    assert controller.step().replanned == 0, "within the re-planning gap"

    changed = services.orders.prioritise(ids[2], 7)
    clock.advance(timedelta(minutes=1))
    replanned = controller.step().replanned
    clock.advance(timedelta(minutes=1))

    assert (replanned, controller.step().replanned) == (1, 0)
    stored = services.orders.get(ids[2])
    assert (stored.priority, stored.prioritised_at) == (7, changed.prioritised_at)
    assert stored.state is OrderState.IN_PRODUCTION or stored.state is OrderState.SCHEDULED
