"""Bring a database to the newest schema with the Alembic migrations shipped in the package.

The Alembic configuration is built here rather than read from an ``alembic.ini``, so that an
installed microfab migrates its database from any working directory. Several processes may
start against one fresh database at once; each takes a database-wide lock before it migrates,
and whoever comes second finds the schema already at head.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")

ADVISORY_LOCK_ID = zlib.crc32(b"microfab.store.migrate")
"""The PostgreSQL advisory lock held while migrating; any fixed 64-bit number would do."""

FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
"""New revision files sort by date: ``2026_11_25_0100-<rev>_<slug>.py``."""


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration; ``env.py`` migrates ``connection`` when one is given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("timezone", "UTC")
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration the database has not seen yet, in one locked transaction."""
    with engine.connect() as connection, connection.begin():
        _lock_for_migration(connection)
        command.upgrade(alembic_config(connection), "head")


def _lock_for_migration(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Released by the commit or rollback that ends the migration.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})
    else:
        # The sqlite3 driver would only BEGIN before the first INSERT/UPDATE/DELETE; an explicit
        # BEGIN IMMEDIATE takes the write lock now, waits busy_timeout for a rival, and makes
        # the DDL part of the transaction.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
