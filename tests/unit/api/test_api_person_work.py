"""A person's work list over HTTP: what they attend now and what the plan gives them next."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from microfab.bootstrap import Services
from microfab.clock import ManualClock

if TYPE_CHECKING:
    from conftest import Api


def test_a_person_sees_the_work_the_plan_gives_them_then_what_they_attend(
    api: Api, services: Services, clock: ManualClock
) -> None:
    orders = [api.place(), api.place()]
    controller = services.controller(seed=1)
    controller.step()  # the grips print; their packing is planned for someone
    with services.uow() as uow:
        packing = [uow.tasks.for_order(o["id"])[1] for o in orders]
    packer = packing[0].operator_id
    assert packer is not None
    theirs = sorted(
        (t for t in packing if t.operator_id == packer), key=lambda t: (t.planned_start, t.id)
    )

    work = api.get(f"/v1/factories/berlin/people/{packer}", "operator").json()
    assert work["on_shift"] is True
    assert work["attending"] is None
    assert [t["id"] for t in work["upcoming"]] == [t.id for t in theirs]
    assert work["next_shift_starts"] is not None
    assert datetime.fromisoformat(work["next_shift_starts"]) > datetime.fromisoformat(
        work["shift_ends"]
    )

    first = theirs[0]
    for _ in range(48):  # four hours at most
        clock.advance(timedelta(minutes=5))
        controller.step()
        work = api.get(f"/v1/factories/berlin/people/{packer}").json()
        if work["attending"] is not None:
            break
    assert work["attending"]["id"] == first.id
    assert first.id not in [t["id"] for t in work["upcoming"]]


def test_work_placed_between_re_plans_is_named_at_once(
    api: Api, services: Services, clock: ManualClock
) -> None:
    """An order placed within a factory's re-planning gap waits for the next re-plan to be
    moved, but its attended steps name a person as placed: before, they named nobody until
    that re-plan, and nobody's work list showed them."""
    controller = services.controller(seed=1)
    api.place()
    assert controller.step().replanned == 1
    clock.advance(timedelta(minutes=1))
    order = api.place()
    assert controller.step().replanned == 0, "within the gap"
    with services.uow() as uow:
        packing = uow.tasks.for_order(order["id"])[1]
    assert packing.attended
    assert packing.operator_id is not None
    work = api.get(f"/v1/factories/berlin/people/{packing.operator_id}").json()
    assert packing.id in [t["id"] for t in work["upcoming"]]


def test_someone_off_shift_shows_when_they_come_in(api: Api, services: Services) -> None:
    berlin = services.network.factory("berlin")
    now = services.clock.now()
    off = next(o for o in berlin.operators if o.on_until(now, berlin.tz) is None)
    work = api.get(f"/v1/factories/berlin/people/{off.id}").json()
    assert work["on_shift"] is False
    assert work["shift_ends"] is None
    assert datetime.fromisoformat(work["next_shift_starts"]) > now
    assert work["upcoming"] == []


def test_an_unknown_person_or_another_factory_is_refused(api: Api) -> None:
    missing = api.get("/v1/factories/berlin/people/nobody")
    assert missing.status_code == 404
    assert "no person 'nobody' at factory 'berlin'" in missing.json()["detail"]
    assert api.get("/v1/factories/munich/people/nobody", "operator").status_code == 403
    assert api.get("/v1/factories/berlin/people/nobody", "customer").status_code == 403
