"""Looking into a SQLite database without changing it (read-only, no migrations)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError


def sqlite_runtime_value(path: Path, name: str) -> str | None:
    """A runtime value of a microfab SQLite file, or None if it has none (or is not one).

    The file is opened read-only, so looking at a file that is not microfab's changes nothing.
    """
    engine = create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT value FROM runtime WHERE name = :name"), {"name": name}
            ).first()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    return None if row is None else str(row[0])
