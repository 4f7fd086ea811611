"""Alembic's entry point for microfab: migrate the connection ``microfab.store.migrate`` passes.

Without a connection (the ``alembic`` command line with a ``sqlalchemy.url``), it makes its own
engine with the same settings the application uses. Autogenerate compares against
``microfab.store.tables.metadata``.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from microfab.store.engine import make_engine
from microfab.store.tables import metadata
from microfab.store.utc import UtcDateTime


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write ``UtcDateTime`` columns as plain ``sa.DateTime(timezone=True)`` in migrations,
    so that a migration never imports application code that may change after it."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_item=render_item,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_with_own_engine(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            run_migrations(connection)
            connection.commit()
    finally:
        engine.dispose()


given: Connection | None = context.config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    run_with_own_engine(context.config.get_main_option("sqlalchemy.url") or "")
