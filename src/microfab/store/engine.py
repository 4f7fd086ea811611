"""Engines for the two supported databases: a SQLite file (the default) and PostgreSQL.

SQLite gets the settings that make one file safe for several readers and one writer at a time;
PostgreSQL is reached through psycopg 3 whatever driver the URL names.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another writer's lock before it gives up."""

SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    # NORMAL is durable in WAL mode except for the last commits before a power cut,
    # and it spares an fsync on every commit.
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)


def make_engine(url: str) -> Engine:
    """An engine for ``url``: ``sqlite:///path/to/file.db`` or ``postgresql://...``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(parsed)
    raise ValueError(
        f"microfab stores its data in SQLite or PostgreSQL, not {parsed.get_backend_name()!r}; "
        "use a URL such as sqlite:///microfab.db or postgresql://user@host/db"
    )


def _sqlite_engine(url: URL) -> Engine:
    options: dict[str, Any] = {}
    if url.database in (None, "", ":memory:"):
        # A memory database lives inside one connection, so every checkout must share it.
        options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    else:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # The sqlite3 driver stays in its default transaction mode: it BEGINs at the first INSERT,
    # UPDATE or DELETE, not at the first SELECT. Reads before a unit of work's first write thus
    # see the latest commit rather than a snapshot, and in exchange a writer never upgrades a
    # stale read snapshot, which in WAL mode fails at once with SQLITE_BUSY instead of waiting
    # busy_timeout. Orders and tasks carry a version column that catches lost updates anyway.
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _apply_sqlite_pragmas)
    return engine


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        _use_wal(cursor)
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (a lasting property of the file), retrying while it is locked.

    Two connections switching one fresh file at the same moment can deadlock on its locks, and
    SQLite then answers "database is locked" at once instead of waiting busy_timeout: two
    threads opening a new store together failed that way in 29 of 240 tries.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _postgres_engine(url: URL) -> Engine:
    if url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        # A server restart or an idle-connection reaper would otherwise surface as an error
        # on the first request after it; the ping costs one round trip per checkout.
        pool_pre_ping=True,
        pool_recycle=1800,
    )
