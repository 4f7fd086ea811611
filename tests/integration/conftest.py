"""Fixtures for tests against real databases: every store test runs on SQLite and PostgreSQL.

PostgreSQL is the server named by ``MICROFAB_TEST_POSTGRES_URL``. Each test session works in a
database of its own, created with a random name and dropped at the end, so that a developer and
CI can share one server. An unreachable server skips the PostgreSQL tests, except on CI
(``CI=true``), where a skipped PostgreSQL test would hide a broken backend: there it fails.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, NullPool, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from microfab.store import SqlStore, open_store
from microfab.store.tables import metadata

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class PostgresServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, admin: Engine, url: URL) -> None:
        self._admin = admin
        self._url = url

    def create_database(self) -> str:
        name = f"microfab_test_{secrets.token_hex(6)}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return self._url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    url = make_url(os.environ.get("MICROFAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    url = url.set(drivername="postgresql+psycopg")
    # CREATE/DROP DATABASE cannot run inside a transaction, hence AUTOCOMMIT.
    admin = create_engine(
        url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 3},
    )
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL at {url.render_as_string()} is unreachable: {error.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; on CI the PostgreSQL tests must run")
        pytest.skip(reason)
    yield PostgresServer(admin, url)
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_store(postgres_server: PostgresServer) -> Iterator[SqlStore]:
    url = postgres_server.create_database()
    store = open_store(url)
    yield store
    store.close()
    postgres_server.drop_database(url)


def _empty(store: SqlStore) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with store.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        sqlite_store = open_store(f"sqlite:///{tmp_path / 'microfab.db'}")
        yield sqlite_store
        sqlite_store.close()
        return
    postgres_store: SqlStore = request.getfixturevalue("postgres_store")
    _empty(postgres_store)
    yield postgres_store


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database that exists but has no tables yet, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'microfab.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)
