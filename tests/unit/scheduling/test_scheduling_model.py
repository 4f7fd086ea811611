"""The scheduling model's own rules."""

from __future__ import annotations

from dataclasses import replace

from microfab.scheduling.model import Machine, Window


def test_a_machine_keeps_its_unavailable_windows_in_order_and_merged() -> None:
    """A repair from 0 to 60 beside maintenance from 45 to 120 and a window meeting it at 120
    is one stretch: CP-SAT's fixed intervals on a machine may not overlap."""
    windows = (Window(300, 400), Window(45, 120), Window(0, 60), Window(120, 150))
    machine = Machine("fdm-1", unavailable=windows)
    assert machine.unavailable == (Window(0, 150), Window(300, 400))
    assert replace(machine, unavailable=(*machine.unavailable, Window(390, 420))).unavailable == (
        Window(0, 150),
        Window(300, 420),
    )
