"""Maintenance windows over HTTP: booked, listed, shown with the factory and its plan,
cancelled; bad bookings refused with a problem document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from microfab.bootstrap import Services

if TYPE_CHECKING:
    from conftest import Api

PATH = "/v1/factories/berlin/maintenance"


def window(**changes: Any) -> dict[str, Any]:
    """Two hours on Berlin's first printer, from 10:00 local on the test's Monday."""
    return {
        "machine_id": "berlin-fdm-1",
        "start": "2026-03-02T09:00:00Z",
        "end": "2026-03-02T11:00:00Z",
        "reason": "nozzle change",
    } | changes


def test_a_window_is_booked_listed_and_shown_with_the_factory(api: Api) -> None:
    booked = api.post(PATH, window(), "operator")
    assert booked.status_code == 201, booked.text
    shown = booked.json()
    assert shown["id"].startswith("mnt_")
    assert shown["start"] == "2026-03-02T09:00:00Z"
    assert shown["cancelled_at"] is None

    assert api.get(PATH, "planner").json()["items"] == [shown]
    factory = api.get("/v1/factories/berlin", "operator").json()
    assert factory["maintenance"] == [shown]
    machines = {m["id"]: m for m in factory["machines"]}
    assert machines["berlin-fdm-1"]["closed_until"] is None, "the window is an hour ahead"
    assert api.get("/v1/factories/munich/maintenance").json()["items"] == []


def test_the_plan_shows_the_window_as_the_machine_unavailable(api: Api, services: Services) -> None:
    api.post(PATH, window(start="2026-03-02T08:30:00Z", end="2026-03-02T10:30:00Z"))
    api.place()
    services.controller(seed=1).step()
    plan = api.get("/v1/factories/berlin/schedule").json()
    rows = {row["machine"]: row for row in plan["rows"]}
    origin = plan["origin"]
    assert origin == "2026-03-02T08:00:00Z"
    assert rows["berlin-fdm-1"]["unavailable"] == [{"start": 30, "end": 150}]
    assert rows["berlin-fdm-2"]["unavailable"] == []
    for bar in rows["berlin-fdm-1"]["bars"]:
        assert bar["end"] <= 30 or bar["start"] >= 150


def test_a_cancelled_window_leaves_the_list(api: Api) -> None:
    booked = api.post(PATH, window()).json()
    cancelled = api.post(f"{PATH}/{booked['id']}/cancel", None, "operator")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelled_at"] == "2026-03-02T08:00:00Z"
    assert api.get(PATH).json()["items"] == []
    again = api.post(f"{PATH}/{booked['id']}/cancel")
    assert again.status_code == 409
    assert "cancelled already" in again.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "status", "detail"),
    [
        ({"machine_id": "munich-fdm-1"}, 422, "berlin has no machine 'munich-fdm-1'"),
        ({"end": "2026-03-02T09:00:00Z"}, 422, "end: must be after start"),
        ({"end": "2026-03-20T09:00:00Z"}, 422, "at most 14 days"),
        ({"start": "2027-06-01T09:00:00Z", "end": "2027-06-01T11:00:00Z"}, 422, "366 days ahead"),
        ({"start": "2026-03-02T09:00:00"}, 422, "start"),
        ({"start": "tomorrow"}, 422, "start"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_a_bad_booking_is_refused_with_a_problem_and_nothing_is_booked(
    api: Api, changes: dict[str, Any], status: int, detail: str
) -> None:
    response = api.post(PATH, window(**changes))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert api.get(PATH).json()["items"] == []


def test_an_overlapping_window_is_a_conflict(api: Api) -> None:
    first = api.post(PATH, window()).json()
    response = api.post(PATH, window(start="2026-03-02T10:00:00Z", end="2026-03-02T12:00:00Z"))
    assert response.status_code == 409
    assert first["id"] in response.json()["detail"]


def test_only_staff_of_the_factory_book_and_see_its_windows(api: Api) -> None:
    assert api.post(PATH, window(), "customer").status_code == 403
    assert api.post(PATH, window(), "hamburg-operator").status_code == 403
    assert api.get(PATH, "hamburg-operator").status_code == 403
    assert api.get(PATH, None).status_code == 401
    assert api.get("/v1/factories/nowhere/maintenance").status_code == 404
    assert api.post("/v1/factories/berlin/maintenance/mnt_none/cancel").status_code == 404


def test_a_machine_in_maintenance_shows_until_when(api: Api) -> None:
    api.post(PATH, window(start="2026-03-02T08:00:00Z", end="2026-03-02T09:00:00Z"))
    api.post(PATH, window(start="2026-03-02T09:00:00Z", end="2026-03-02T10:30:00Z"))
    machines = {m["id"]: m for m in api.get("/v1/factories/berlin").json()["machines"]}
    assert machines["berlin-fdm-1"]["closed_until"] == "2026-03-02T10:30:00Z", "both, as one"
    assert machines["berlin-fdm-2"]["closed_until"] is None
    assert machines["berlin-fdm-1"]["closed_hours"] == []
