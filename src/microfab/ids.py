"""Identifiers: short, prefixed, random; seeded when a run must repeat exactly."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable

IdFactory = Callable[[str], str]


def random_ids(rng: random.Random | None = None) -> IdFactory:
    """``ids("ord")`` → ``"ord_3f9c0a1b7d2e4c55"``; from ``rng`` when given, else the OS."""

    def new_id(prefix: str) -> str:
        bits = rng.getrandbits(64) if rng is not None else secrets.randbits(64)
        return f"{prefix}_{bits:016x}"

    return new_id
