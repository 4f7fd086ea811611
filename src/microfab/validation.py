"""One line from pydantic's report on a file: where the first problem is and what it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError


def first_problem(exc: ValidationError) -> str:
    """``path: reason`` for the first problem, and how many more there are, e.g.
    ``jobs[3].operations[0].size: Input should be greater than 0 (and 2 more problems)``."""
    first = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    loc, reason = tuple(first["loc"]), _reason(first)
    if len(loc) >= 2 and loc[-1] == "[key]":  # a mapping's key, not its value, is wrong
        loc, reason = loc[:-2], f"key {loc[-2]!r}: {reason}"
    return f"{path_of(loc)}: {reason}{more}"


def path_of(loc: tuple[int | str, ...]) -> str:
    """A location in a document as it reads in the file: ``factories[2].machines[0].id``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top)"


def _reason(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (check its spelling)"
    if error["type"] == "missing":
        message = "required field is missing"
    return message
