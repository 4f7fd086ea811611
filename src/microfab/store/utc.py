"""Timezone-aware UTC datetimes in columns and inside JSON documents.

The domain only uses aware datetimes. PostgreSQL keeps the instant in ``timestamptz``, but
SQLite has no datetime type: SQLAlchemy writes text and drops the offset. So every value is
turned into UTC on the way in and marked as UTC on the way out, which also keeps SQLite's text
sortable in time order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


def to_utc(value: datetime) -> datetime:
    """``value`` as UTC; a naive datetime is refused because its instant is unknown."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} given; microfab stores aware UTC")
    return value.astimezone(UTC)


def to_iso(value: datetime) -> str:
    return to_utc(value).isoformat()


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always hands back an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        if stamp.tzinfo is None:  # SQLite: the text was written in UTC without an offset
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)
