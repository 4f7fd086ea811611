"""The quantities users type and read: durations and money."""

from __future__ import annotations

import re
from datetime import timedelta

from microfab.errors import InvalidInput

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$")
_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Read ``"90m"``, ``"24h"``, ``"2d"`` or ``"1w"`` as a positive duration."""
    match = _DURATION.match(text)
    if not match:
        raise InvalidInput(
            f"cannot read duration {text!r}: write a number and a unit, e.g. 90m, 24h, 2d"
        )
    seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if seconds <= 0:
        raise InvalidInput(f"duration {text!r} must be longer than zero")
    return timedelta(seconds=seconds)


def format_money(cents: int, currency: str = "EUR") -> str:
    """``1250`` → ``"12.50 EUR"``."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d} {currency}"
