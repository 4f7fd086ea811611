"""Uploads and order-line estimates in the SQL store, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from microfab.catalog.model import LineEstimate, ProcessEstimate
from microfab.errors import Conflict, NotFound
from microfab.network.model import Location
from microfab.orders.model import Destination, Order, OrderLine, Upload
from microfab.store import SqlStore, open_store

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ESTIMATE = LineEstimate(
    source="upload",
    design="upl_1",
    version=1,
    params_hash="a1b2c3d4e5f60718",
    size_mm=(20.0, 20.0, 20.5),
    processes=(ProcessEstimate("fdm", "Prusa MK4", 27.67, material_g=3.89),),
)


def an_upload(upload_id: str = "upl_1", customer: str = "c1", sha: str = "ab" * 32) -> Upload:
    return Upload(upload_id, customer, "part.stl", sha, 2_000_000, T0, ESTIMATE)


def reopened(store: SqlStore) -> SqlStore:
    """A second store on the same database, as after a restart."""
    return open_store(store.engine.url.render_as_string(hide_password=False))


def test_an_upload_and_its_bytes_survive_a_restart(store: SqlStore) -> None:
    data = os.urandom(2_000_000) + b"\x00\xff" * 10
    with store.unit_of_work() as uow:
        uow.uploads.add(an_upload(), data)
        uow.commit()
    again = reopened(store)
    try:
        with again.unit_of_work() as uow:
            assert uow.uploads.get("upl_1") == an_upload()
            assert uow.uploads.data("upl_1") == data
            assert uow.uploads.find("c1", "ab" * 32) == an_upload()
            assert uow.uploads.find("c2", "ab" * 32) is None
    finally:
        again.close()


def test_the_same_file_of_one_customer_is_stored_once(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.uploads.add(an_upload("upl_1"), b"solid")
        uow.uploads.add(an_upload("upl_2", customer="c2"), b"solid")
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.uploads.add(an_upload("upl_3"), b"solid")


def test_an_unknown_upload_is_not_found(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        with pytest.raises(NotFound, match="no upload 'upl_x'"):
            uow.uploads.get("upl_x")
        with pytest.raises(NotFound, match="no upload 'upl_x'"):
            uow.uploads.data("upl_x")


def test_an_order_line_keeps_its_upload_and_estimate(store: SqlStore) -> None:
    template = LineEstimate("template", "phone-grip", 1, "0123456789abcdef", (72.0, 30.0, 4.0), (
        ProcessEstimate("fdm", "Prusa MK4", 26.46, material_g=6.08),
    ))  # fmt: skip
    lines = (
        OrderLine("custom-print", 2, "petg", {"colour": "red"}, "upl_1", ESTIMATE),
        OrderLine("phone-grip", 1, "pla", {"name": "Ada"}, estimate=template),
        OrderLine("desk-lamp", 1, "pla", {}),
    )
    order = Order("o1", "c1", lines, Destination(Location(52.5, 13.4)), T0, T0, 1999, 0.5)
    with store.unit_of_work() as uow:
        uow.orders.add(order)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.orders.get("o1").lines == lines
