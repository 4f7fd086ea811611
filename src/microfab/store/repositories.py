"""The small repositories in SQL: stock, machine records, maintenance windows, the network
document, API keys and runtime values. Orders and tasks have modules of their own."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, text, update
from sqlalchemy.orm import Session

from microfab.access import ApiKey, Role
from microfab.errors import Conflict, NotFound, OutOfStock
from microfab.execution.model import Maintenance
from microfab.inventory.model import Replenishment
from microfab.machines.base import MachineState
from microfab.storage import MachineRecord
from microfab.store.statements import changed_rows, insert_new, upsert
from microfab.store.tables import (
    api_keys,
    machines,
    maintenance,
    network,
    replenishments,
    runtime,
    stock,
)

NETWORK_ROW = 1
TOLERANCE = 1e-9
"""Stock is a float; a take may match the level up to this much (as in the memory store)."""


class SqlStock:
    def __init__(self, session: Session) -> None:
        self._session = session

    def level(self, site_id: str, sku: str) -> float:
        statement = select(stock.c.quantity).where(stock.c.site_id == site_id, stock.c.sku == sku)
        return self._session.scalar(statement) or 0.0

    def levels(self, site_id: str) -> dict[str, float]:
        statement = select(stock.c.sku, stock.c.quantity).where(stock.c.site_id == site_id)
        return dict(self._session.execute(statement).all())

    def set_level(self, site_id: str, sku: str, quantity: float) -> None:
        row = {"site_id": site_id, "sku": sku, "quantity": quantity}
        upsert(self._session, stock, ("site_id", "sku"), row)

    def put(self, site_id: str, sku: str, quantity: float) -> None:
        # An UPDATE relative to the stored level, like ``take``: a read-then-write here lost
        # a concurrent take (a cancel returning stock while the controller routed an order).
        statement = (
            update(stock)
            .where(stock.c.site_id == site_id, stock.c.sku == sku)
            .values(quantity=stock.c.quantity + quantity)
        )
        if changed_rows(self._session, statement) == 1:
            return
        row = {"site_id": site_id, "sku": sku, "quantity": quantity}
        if not insert_new(self._session, stock, row):  # someone added the row meanwhile
            changed_rows(self._session, statement)

    def take(self, site_id: str, sku: str, quantity: float) -> None:
        # One conditional UPDATE: on PostgreSQL a concurrent taker waits for the row lock and
        # then re-checks the condition against the committed level, so stock never goes below
        # zero (tests/integration/test_store_misc.py takes from two threads to show it).
        statement = (
            update(stock)
            .where(
                stock.c.site_id == site_id,
                stock.c.sku == sku,
                stock.c.quantity + TOLERANCE >= quantity,
            )
            .values(quantity=stock.c.quantity - quantity)
        )
        if changed_rows(self._session, statement) == 1:
            return
        have = self.level(site_id, sku)
        if have + TOLERANCE < quantity:
            raise OutOfStock(f"{site_id} has {have:g} of {sku}, needs {quantity:g}")
        self.set_level(site_id, sku, have - quantity)  # no row yet and (almost) nothing taken


class SqlMachines:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, record: MachineRecord) -> None:
        row = {
            "machine_id": record.machine_id,
            "factory_id": record.factory_id,
            "state": record.state.value,
            "since": record.since,
            "task_id": record.task_id,
            "family": record.family,
        }
        upsert(self._session, machines, ("machine_id",), row)

    def all(self, factory_id: str | None = None) -> list[MachineRecord]:
        statement = select(machines).order_by(machines.c.machine_id)
        if factory_id is not None:
            statement = statement.where(machines.c.factory_id == factory_id)
        return [
            MachineRecord(
                machine_id=row.machine_id,
                factory_id=row.factory_id,
                state=MachineState(row.state),
                since=row.since,
                task_id=row.task_id,
                family=row.family,
            )
            for row in self._session.execute(statement)
        ]


class SqlMaintenance:
    """``MaintenanceRepository`` on the ``maintenance`` table."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, window: Maintenance) -> None:
        if not insert_new(self._session, maintenance, asdict(window)):
            raise Conflict(f"maintenance {window.id} exists already")

    def get(self, maintenance_id: str) -> Maintenance:
        row = self._session.execute(
            select(maintenance).where(maintenance.c.id == maintenance_id)
        ).first()
        if row is None:
            raise NotFound(f"no maintenance {maintenance_id!r}")
        return Maintenance(**row._asdict())

    def save(self, window: Maintenance) -> None:
        statement = update(maintenance).where(maintenance.c.id == window.id).values(asdict(window))
        if changed_rows(self._session, statement) != 1:
            raise NotFound(f"no maintenance {window.id!r}")

    def lock(self, machine_id: str) -> None:
        connection = self._session.connection()
        if connection.dialect.name == "postgresql":
            key = zlib.crc32(f"microfab.maintenance:{machine_id}".encode())
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        elif not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            # The sqlite3 driver would BEGIN only at the INSERT, after the check; BEGIN
            # IMMEDIATE takes the write lock now (waiting busy_timeout for a rival).
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    def ahead(self, at: datetime, factory_id: str | None = None) -> list[Maintenance]:
        conditions = [maintenance.c.cancelled_at.is_(None), maintenance.c.end > at]
        if factory_id is not None:
            conditions.append(maintenance.c.factory_id == factory_id)
        statement = (
            select(maintenance).where(*conditions).order_by(maintenance.c.start, maintenance.c.id)
        )
        return [Maintenance(**row._asdict()) for row in self._session.execute(statement)]


class SqlNetwork:
    def __init__(self, session: Session) -> None:
        self._session = session

    def document(self) -> dict[str, Any] | None:
        statement = select(network.c.document).where(network.c.id == NETWORK_ROW)
        found: dict[str, Any] | None = self._session.scalar(statement)
        return found

    def put_document(self, document: Mapping[str, Any]) -> None:
        row = {"id": NETWORK_ROW, "document": dict(document)}
        upsert(self._session, network, ("id",), row)


class SqlApiKeys:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, key: ApiKey) -> None:
        row = {
            "id": key.id,
            "name": key.name,
            "role": key.role.value,
            "key_hash": key.key_hash,
            "created_at": key.created_at,
            "factory_id": key.factory_id,
            "customer_id": key.customer_id,
            "person_id": key.person_id,
        }
        if not insert_new(self._session, api_keys, row):
            raise Conflict(f"API key {key.id} exists already")

    def by_hash(self, key_hash: str) -> ApiKey | None:
        statement = select(api_keys).where(api_keys.c.key_hash == key_hash)
        row = self._session.execute(statement).first()
        if row is None:
            return None
        return ApiKey(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            key_hash=row.key_hash,
            created_at=row.created_at,
            factory_id=row.factory_id,
            customer_id=row.customer_id,
            person_id=row.person_id,
        )


class SqlRuntime:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, name: str) -> str | None:
        value: str | None = self._session.scalar(
            select(runtime.c.value).where(runtime.c.name == name)
        )
        return value

    def put(self, name: str, value: str) -> None:
        upsert(self._session, runtime, ("name",), {"name": name, "value": value})


class SqlReplenishments:
    """``ReplenishmentRepository`` on the ``replenishments`` table."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, replenishment: Replenishment) -> None:
        if not insert_new(self._session, replenishments, asdict(replenishment)):
            raise Conflict(f"replenishment {replenishment.id} exists already")

    def save(self, replenishment: Replenishment) -> None:
        statement = (
            update(replenishments)
            .where(replenishments.c.id == replenishment.id)
            .values(asdict(replenishment))
        )
        if changed_rows(self._session, statement) != 1:
            raise NotFound(f"no replenishment {replenishment.id!r}")

    def _open(self, *conditions: ColumnElement[bool]) -> list[Replenishment]:
        statement = (
            select(replenishments)
            .where(replenishments.c.received_at.is_(None), *conditions)
            .order_by(replenishments.c.arrives_at, replenishments.c.id)
        )
        return [Replenishment(**row._asdict()) for row in self._session.execute(statement)]

    def in_transit(self, site_id: str, sku: str) -> list[Replenishment]:
        return self._open(replenishments.c.site_id == site_id, replenishments.c.sku == sku)

    def arrived_by(self, at: datetime) -> list[Replenishment]:
        return self._open(replenishments.c.arrives_at <= at)

    def next_arrival(self) -> datetime | None:
        statement = select(func.min(replenishments.c.arrives_at)).where(
            replenishments.c.received_at.is_(None)
        )
        found: datetime | None = self._session.scalar(statement)
        return found
