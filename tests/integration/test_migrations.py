"""The migrations and the engine settings, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from microfab.network.model import Location
from microfab.orders.model import Destination, Order, OrderLine
from microfab.store import SqlStore, open_store
from microfab.store.engine import make_engine
from microfab.store.migrate import MIGRATIONS, alembic_config
from microfab.store.orders import order_to_row
from microfab.store.tables import metadata, orders


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(store: SqlStore) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_migrated_schema_matches_the_tables_in_the_code(database_url: str) -> None:
    store = open_store(database_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        store.close()

    assert differences == []


def test_opening_a_store_again_finds_it_at_head_and_changes_nothing(database_url: str) -> None:
    open_store(database_url).close()
    store = open_store(database_url)
    try:
        assert current_revision(store) == head_revision()
        assert set(inspect(store.engine).get_table_names()) >= set(metadata.tables)
    finally:
        store.close()


def test_two_stores_opening_one_fresh_database_at_once_both_succeed(database_url: str) -> None:
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_and_close() -> None:
        start.wait()
        try:
            open_store(database_url).close()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=open_and_close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []


def test_the_schema_can_be_taken_down_to_nothing_and_up_again(database_url: str) -> None:
    store = open_store(database_url)
    try:
        with store.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
        with store.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        assert current_revision(store) == head_revision()
    finally:
        store.close()


def test_orders_stored_before_priorities_existed_keep_the_normal_priority(
    database_url: str,
) -> None:
    store = open_store(database_url)
    try:
        with store.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "5c3e9b7a1f42")
        with store.engine.begin() as connection:
            connection.execute(orders.insert(), [_old_order_row()])
        with store.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        with store.unit_of_work() as uow:
            order = uow.orders.get("o-old")
    finally:
        store.close()

    assert (order.priority, order.prioritised_at) == (1, None)


def _old_order_row() -> dict[str, object]:
    """An order's row as the schema before priorities stored it."""
    order = Order(
        id="o-old",
        customer_id="c1",
        lines=(OrderLine("bracket", 1, "pla", {}),),
        destination=Destination(Location(52.52, 13.405)),
        placed_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        promised_at=datetime(2026, 12, 3, 9, tzinfo=UTC),
        price_cents=999,
        co2e_kg=0.2,
    )
    row = order_to_row(order)
    del row["priority"], row["prioritised_at"]
    return row


def test_migration_files_are_named_by_date_so_they_sort_in_order() -> None:
    names = sorted(path.name for path in (MIGRATIONS / "versions").glob("*.py"))
    assert names
    assert all(name[:15].replace("_", "").isdigit() and name[15] == "-" for name in names)


def test_a_sqlite_store_is_a_wal_file_in_a_directory_it_creates(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "microfab.db"
    store = open_store(f"sqlite:///{path}")
    try:
        with store.engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        store.close()

    assert path.exists()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 10_000,
    }


def test_a_postgresql_url_without_a_driver_is_served_by_psycopg() -> None:
    engine = make_engine("postgresql://someone@localhost/microfab")
    try:
        assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    finally:
        engine.dispose()


def test_a_database_other_than_sqlite_or_postgresql_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match=r"sqlite:///microfab.db"):
        make_engine("mysql://someone@localhost/microfab")
