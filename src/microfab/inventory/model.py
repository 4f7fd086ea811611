"""Replenishments: stock on its way from a central plant to a micro-factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

REORDER_SHARE = 0.3
"""A factory reorders a material or component when what it has, plus what is on its way, falls
below this share of its starting stock; the order tops it up to the starting level."""


@dataclass
class Replenishment:
    id: str
    site_id: str
    sku: str
    quantity: float
    supplier_id: str
    ordered_at: datetime
    arrives_at: datetime
    received_at: datetime | None = None

    def receive(self) -> None:
        self.received_at = self.arrives_at


def shortfall(starting: float, level: float, on_order: float) -> float:
    """How much to reorder so the shelf is back at its starting level (0 while above the mark)."""
    if starting <= 0 or level + on_order >= REORDER_SHARE * starting:
        return 0.0
    return starting - level - on_order
