"""A person's work list: when they are on shift until and next come in."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from microfab.clock import ManualClock
from microfab.execution.views import person_view
from tests.unit.conftest import MONDAY_9, services_on


def test_someone_on_a_double_shift_comes_in_next_after_it(demo_doc: dict[str, Any]) -> None:
    """Ida works 06:00-14:00 and 14:00-22:00: at 09:00 she is on until 22:00, and next comes
    in at 06:00 the next day (before, the view said 14:00, inside the stretch she works)."""
    doc = copy.deepcopy(demo_doc)
    berlin = next(f for f in doc["factories"] if f["id"] == "berlin")
    shifts = [
        {"days": "mon-fri", "start": "06:00", "end": "14:00"},
        {"days": "mon-fri", "start": "14:00", "end": "22:00"},
    ]
    berlin["operators"].append(
        {"id": "berlin-ida", "name": "Ida", "skills": ["assembly"], "shifts": shifts}
    )
    services = services_on(doc, ManualClock(MONDAY_9))
    view = person_view(services.uow, services.network, "berlin", "berlin-ida", MONDAY_9)
    assert view.on_until == datetime(2026, 3, 2, 21, tzinfo=UTC)  # 22:00 in Berlin
    assert view.next_shift == datetime(2026, 3, 3, 5, tzinfo=UTC)  # 06:00 on Tuesday
    assert view.attending is None
    assert view.upcoming == []
