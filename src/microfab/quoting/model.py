"""What a quote says: one option per capable site, local factories and central baseline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from microfab.footprint.model import Footprint
from microfab.orders.model import OrderLine


@dataclass(frozen=True)
class QuoteOption:
    site_id: str
    site_name: str
    central: bool
    mode: str
    distance_km: float
    machine_minutes: float
    production_cents: int
    shipping_cents: int
    price_cents: int
    footprint: Footprint
    ready_at: datetime
    delivery_at: datetime


@dataclass(frozen=True)
class Quote:
    quoted_at: datetime
    local: tuple[QuoteOption, ...]
    central: tuple[QuoteOption, ...]
    lines: tuple[OrderLine, ...] = ()
    """The lines as quoted, each with the geometry estimate it was priced with (if any)."""
    offered: str | None = None
    """The factory routing would give the order now (its id), where that is known."""

    @property
    def best(self) -> QuoteOption | None:
        """The local option a customer is offered: the factory routing would give the order,
        or, where that is not known, the earliest delivery, then the lowest price."""
        mine = [o for o in self.local if o.site_id == self.offered]
        if mine:
            return mine[0]
        return self.local[0] if self.local else None
