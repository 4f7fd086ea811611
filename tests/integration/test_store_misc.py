"""Stock, machine records, the network document, API keys and runtime values in the SQL store."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError

from microfab.access import ApiKey, Role
from microfab.clock import ManualClock
from microfab.errors import Conflict, NotFound, OutOfStock
from microfab.execution.maintenance import BookMaintenance, MaintenanceBook
from microfab.execution.model import Maintenance
from microfab.ids import random_ids
from microfab.inventory.model import Replenishment
from microfab.machines.base import MachineState
from microfab.network.loader import build_network, demo_document, normal_form
from microfab.storage import MachineRecord
from microfab.store import SqlStore

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def set_levels(store: SqlStore, site: str, **levels: float) -> None:
    with store.unit_of_work() as uow:
        for sku, quantity in levels.items():
            uow.stock.set_level(site, sku, quantity)
        uow.commit()


def test_stock_levels_are_set_read_and_overwritten(store: SqlStore) -> None:
    set_levels(store, "berlin-1", pla=2.5, petg=1.0)
    set_levels(store, "berlin-1", pla=4.0)
    set_levels(store, "munich-2", pla=9.0)

    with store.unit_of_work() as uow:
        assert uow.stock.level("berlin-1", "pla") == 4.0
        assert uow.stock.level("berlin-1", "nylon") == 0.0
        assert uow.stock.levels("berlin-1") == {"pla": 4.0, "petg": 1.0}
        assert uow.stock.levels("nowhere") == {}


def test_taking_stock_lowers_the_level_down_to_exactly_zero(store: SqlStore) -> None:
    set_levels(store, "berlin-1", pla=1.0)
    with store.unit_of_work() as uow:
        uow.stock.take("berlin-1", "pla", 0.7)
        uow.stock.take("berlin-1", "pla", 0.3 + 1e-12)
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.stock.level("berlin-1", "pla") == pytest.approx(0.0, abs=1e-9)


def test_taking_more_than_there_is_raises_out_of_stock_and_keeps_the_level(
    store: SqlStore,
) -> None:
    set_levels(store, "berlin-1", pla=2.0)
    with store.unit_of_work() as uow:
        with pytest.raises(OutOfStock, match=r"^berlin-1 has 2 of pla, needs 3$"):
            uow.stock.take("berlin-1", "pla", 3)
        with pytest.raises(OutOfStock, match=r"^berlin-1 has 0 of nylon, needs 0\.5$"):
            uow.stock.take("berlin-1", "nylon", 0.5)
        assert uow.stock.level("berlin-1", "pla") == 2.0


def test_two_threads_taking_at_once_never_take_more_than_there_is(store: SqlStore) -> None:
    set_levels(store, "berlin-1", pla=20.0)
    start = threading.Barrier(2)
    taken: list[int] = []

    def take_until_empty() -> None:
        count = 0
        start.wait()
        while True:
            with store.unit_of_work() as uow:
                try:
                    uow.stock.take("berlin-1", "pla", 1.0)
                except OutOfStock:
                    break
                time.sleep(0.002)  # hold the row while the other thread tries to take it
                uow.commit()
            count += 1
        taken.append(count)

    threads = [threading.Thread(target=take_until_empty) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(taken) == 20
    assert len(taken) == 2
    with store.unit_of_work() as uow:
        assert uow.stock.level("berlin-1", "pla") == 0.0


def test_a_machine_record_is_replaced_by_the_next_one(store: SqlStore) -> None:
    paris = ZoneInfo("Europe/Paris")
    first = MachineRecord("printer-1", "berlin-1", MachineState.BUSY, T0, "t1")
    later = MachineRecord(
        "printer-1",
        "berlin-1",
        MachineState.DOWN,
        datetime(2026, 11, 25, 10, tzinfo=paris),
        family="pla-red",  # what it was last set up for
    )
    other = MachineRecord("mill-1", "munich-2", MachineState.IDLE, T0 + timedelta(hours=1))
    with store.unit_of_work() as uow:
        for record in (first, other, later):
            uow.machines.record(record)
        uow.commit()

    with store.unit_of_work() as uow:
        everything = uow.machines.all()
        berlin = uow.machines.all("berlin-1")

    assert everything == [other, later]
    assert berlin == [later]
    assert berlin[0].since.tzinfo is UTC


def test_the_network_document_is_empty_until_put_and_then_replaced(store: SqlStore) -> None:
    document = {
        "version": 1,
        "sites": [{"id": "berlin-1", "location": {"lat": 52.5, "lon": 13.4}, "open": True}],
        "note": "Grüße",
    }
    with store.unit_of_work() as uow:
        assert uow.network.document() is None
        uow.network.put_document(document)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.network.document() == document
        uow.network.put_document({"version": 2, "sites": []})
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.network.document() == {"version": 2, "sites": []}


def test_an_api_key_is_found_by_its_hash(store: SqlStore) -> None:
    operator = ApiKey(
        "k1", "night shift", Role.OPERATOR, "h1", T0, factory_id="berlin-1", person_id="ana"
    )
    customer = ApiKey("k2", "shop", Role.CUSTOMER, "h2", T0, customer_id="c1")
    with store.unit_of_work() as uow:
        uow.api_keys.add(operator)
        uow.api_keys.add(customer)
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.api_keys.by_hash("h1") == operator
        assert uow.api_keys.by_hash("h2") == customer
        assert uow.api_keys.by_hash("unknown") is None


def test_an_api_key_with_a_hash_already_stored_is_a_conflict(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.api_keys.add(ApiKey("k1", "admin", Role.ADMIN, "h1", T0))
        with pytest.raises(Conflict, match="API key k2 exists already"):
            uow.api_keys.add(ApiKey("k2", "admin again", Role.ADMIN, "h1", T0))


def test_runtime_values_are_kept_by_name_and_overwritten(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        assert uow.runtime.get("network_time") is None
        uow.runtime.put("network_time", "2026-11-25T08:00:00+00:00")
        uow.runtime.put("network_time", "2026-11-25T09:00:00+00:00")
        uow.runtime.put("seed", "7")
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.runtime.get("network_time") == "2026-11-25T09:00:00+00:00"
        assert uow.runtime.get("seed") == "7"


def test_replenishments_travel_until_they_are_received(store: SqlStore) -> None:
    ordered = datetime(2026, 3, 2, 9, tzinfo=UTC)
    early = Replenishment("rpl_1", "berlin", "pla", 20.0, "kassel-plant", ordered,
                          ordered + timedelta(hours=24))  # fmt: skip
    late = Replenishment("rpl_2", "berlin", "pla", 5.0, "kassel-plant", ordered,
                         ordered + timedelta(hours=48))  # fmt: skip
    with store.unit_of_work() as uow:
        uow.replenishments.add(late)
        uow.replenishments.add(early)
        uow.commit()
    with store.unit_of_work() as uow:
        assert [r.id for r in uow.replenishments.in_transit("berlin", "pla")] == ["rpl_1", "rpl_2"]
        assert uow.replenishments.in_transit("berlin", "tpu") == []
        assert uow.replenishments.next_arrival() == early.arrives_at
        (arrived,) = uow.replenishments.arrived_by(ordered + timedelta(hours=30))
        assert arrived == early
        arrived.receive()
        uow.replenishments.save(arrived)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.replenishments.next_arrival() == late.arrives_at
        assert [r.id for r in uow.replenishments.in_transit("berlin", "pla")] == ["rpl_2"]


def test_putting_back_and_taking_at_once_loses_neither(store: SqlStore) -> None:
    set_levels(store, "berlin-1", pla=100.0)
    start = threading.Barrier(2)

    def repeat(change: str) -> None:
        start.wait()
        for _ in range(20):
            with store.unit_of_work() as uow:
                if change == "take":
                    uow.stock.take("berlin-1", "pla", 1.0)
                else:
                    uow.stock.put("berlin-1", "pla", 2.0)
                time.sleep(0.002)
                uow.commit()

    threads = [threading.Thread(target=repeat, args=(c,)) for c in ("take", "put")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with store.unit_of_work() as uow:
        assert uow.stock.level("berlin-1", "pla") == 100.0 - 20 + 40


def test_putting_stock_on_an_empty_shelf_creates_it(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.stock.put("hamburg-1", "tpu", 3.5)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.stock.level("hamburg-1", "tpu") == 3.5


def test_maintenance_windows_are_stored_listed_ahead_and_cancelled(store: SqlStore) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    nozzle = Maintenance(
        "mnt_1", "berlin", "berlin-fdm-1", T0 + timedelta(hours=2), T0 + timedelta(hours=4),
        "nozzle change", T0,
    )  # fmt: skip
    early = Maintenance(
        "mnt_2", "berlin", "berlin-fdm-2", T0.astimezone(berlin), T0 + timedelta(hours=1),
        "", T0,
    )  # fmt: skip
    elsewhere = Maintenance(
        "mnt_3", "munich", "munich-fdm-1", T0, T0 + timedelta(hours=8), "calibration", T0
    )
    with store.unit_of_work() as uow:
        for window in (nozzle, early, elsewhere):
            uow.maintenance.add(window)
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.maintenance.add(nozzle)

    with store.unit_of_work() as uow:
        assert [w.id for w in uow.maintenance.ahead(T0)] == ["mnt_2", "mnt_3", "mnt_1"]
        assert uow.maintenance.ahead(T0, "berlin") == [early, nozzle]
        assert [w.id for w in uow.maintenance.ahead(T0 + timedelta(hours=1))] == ["mnt_3", "mnt_1"]
        read = uow.maintenance.get("mnt_2")
        assert read.start == T0
        assert read.start.tzinfo == UTC
        with pytest.raises(NotFound):
            uow.maintenance.get("mnt_none")

    nozzle.cancel(T0)
    with store.unit_of_work() as uow:
        uow.maintenance.save(nozzle)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.maintenance.get("mnt_1").cancelled_at == T0
        assert [w.id for w in uow.maintenance.ahead(T0, "berlin")] == ["mnt_2"]


def test_the_database_refuses_a_window_that_ends_before_it_starts(store: SqlStore) -> None:
    backwards = Maintenance("mnt_1", "berlin", "berlin-fdm-1", T0, T0 - timedelta(hours=1), "", T0)
    with store.unit_of_work() as uow, pytest.raises(IntegrityError):
        uow.maintenance.add(backwards)


def test_two_bookings_of_one_machine_at_once_are_checked_one_after_the_other(
    store: SqlStore,
) -> None:
    """A booking holds the machine's windows from its check to its commit: a rival booking
    made meanwhile waits, then sees the first window and is refused. Without the hold both
    read no window and both were stored."""
    network = build_network(normal_form(demo_document(), "demo"))
    book = MaintenanceBook(store.unit_of_work, network, ManualClock(T0), random_ids())
    start, end = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    rival: list[BaseException] = []

    def book_rival() -> None:
        try:
            book.book(BookMaintenance("berlin", "berlin-fdm-1", start, end))
        except BaseException as exc:
            rival.append(exc)

    with store.unit_of_work() as uow:
        uow.maintenance.lock("berlin-fdm-1")
        assert uow.maintenance.ahead(T0) == []
        thread = threading.Thread(target=book_rival)
        thread.start()
        time.sleep(0.5)  # the rival would check and insert now, were it not held
        first = Maintenance("mnt_first", "berlin", "berlin-fdm-1", start, end, "", T0)
        uow.maintenance.add(first)
        uow.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(rival) == 1
    assert isinstance(rival[0], Conflict)
    assert "mnt_first" in str(rival[0])
    with store.unit_of_work() as uow:
        assert [w.id for w in uow.maintenance.ahead(T0)] == ["mnt_first"]
