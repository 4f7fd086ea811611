from datetime import UTC, datetime, timedelta

import pytest

from microfab.clock import ManualClock
from microfab.errors import InvalidInput
from microfab.units import format_money, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90m", timedelta(minutes=90)), ("24h", timedelta(days=1)), ("2d", timedelta(days=2)),
     ("1w", timedelta(weeks=1)), ("1.5h", timedelta(minutes=90)), ("30s", timedelta(seconds=30))],
)  # fmt: skip
def test_durations_read_as_a_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "0h", "1 hour", "1y"])
def test_an_unreadable_duration_says_how_to_write_one(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"e\.g\. 90m, 24h, 2d|longer than zero"):
        parse_duration(text)


def test_money_prints_cents_as_a_decimal_amount() -> None:
    assert format_money(1250) == "12.50 EUR"
    assert format_money(-5) == "-0.05 EUR"


def test_a_manual_clock_never_goes_back() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2026, 1, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(datetime(2026, 1, 1, tzinfo=UTC))
