"""The scheduling model's own rules."""

from __future__ import annotations

from dataclasses import replace

from microfab.scheduling.model import Machine, Operator, Window


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


def test_a_person_works_shifts_that_meet_as_one_stretch() -> None:
    """06:00-14:00 and 14:00-22:00 are one stretch for every solver and the checker: the
    dispatch rule looks for a shift that holds a step, and ten hours fit only in the stretch."""
    person = Operator("max", frozenset({"pack"}), (Window(840, 1320), Window(360, 840)))
    assert person.shifts == (Window(360, 1320),)
    assert person.on_shift(600, 1200)
