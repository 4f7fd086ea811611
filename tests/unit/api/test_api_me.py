"""The caller's own key and, for a person's key, their own work list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from microfab.access import ApiKey, Role, hash_secret
from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.errors import InvalidInput
from microfab.memory_store import MemoryData

if TYPE_CHECKING:
    from conftest import Api

PERSON = "berlin-early-assembly-1"


def person_key(services: Services, clock: ManualClock, person: str = PERSON) -> dict[str, str]:
    data: MemoryData = services.store.data  # type: ignore[attr-defined]
    key = ApiKey(
        "key-anna", "Anna's phone", Role.OPERATOR, hash_secret("mfk_anna"), clock.now(),
        factory_id="berlin", person_id=person,
    )  # fmt: skip
    data.api_keys[key.key_hash] = key
    return {"Authorization": "Bearer mfk_anna"}


def test_every_key_can_ask_who_it_is(api: Api) -> None:
    customer = api.get("/v1/me", "customer").json()
    assert customer == {
        "key_id": "key-customer", "role": "customer", "factory_id": None,
        "customer_id": "cust-1", "person_id": None,
    }  # fmt: skip
    assert api.get("/v1/me", "operator").json()["factory_id"] == "berlin"
    assert api.get("/v1/me", None).status_code == 401


def test_a_persons_key_reads_their_own_work_list(
    api: Api, services: Services, clock: ManualClock
) -> None:
    api.place()
    services.controller(seed=1).step()
    headers = person_key(services, clock)
    me = api.client.get("/v1/me", headers=headers).json()
    assert (me["role"], me["factory_id"], me["person_id"]) == ("operator", "berlin", PERSON)
    mine = api.client.get("/v1/me/work", headers=headers)
    assert mine.status_code == 200, mine.text
    theirs = api.get(f"/v1/factories/berlin/people/{PERSON}")
    assert mine.json() == theirs.json()
    assert mine.json()["name"] == "Anna"


def test_a_key_that_belongs_to_nobody_is_told_how_to_get_one(api: Api) -> None:
    anyone = api.get("/v1/me/work", "operator")
    assert anyone.status_code == 403
    assert "--person" in anyone.json()["detail"]
    assert api.get("/v1/me/work", "customer").status_code == 403
    assert api.get("/v1/me/work", "admin").status_code == 403


def test_a_person_no_longer_at_the_factory_is_not_found(
    api: Api, services: Services, clock: ManualClock
) -> None:
    gone = api.client.get("/v1/me/work", headers=person_key(services, clock, "berlin-left"))
    assert gone.status_code == 404
    assert "no person 'berlin-left' at factory 'berlin'" in gone.json()["detail"]


def test_only_an_operator_key_belongs_to_a_person(clock: ManualClock) -> None:
    with pytest.raises(InvalidInput, match="use it with --role operator"):
        ApiKey("k", "x", Role.PLANNER, "h", clock.now(), person_id=PERSON)
