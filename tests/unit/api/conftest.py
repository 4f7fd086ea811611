"""The API under test: a client for an app over the unit-test services, and a key per role.

The store, clock and services come from ``tests/unit/conftest.py`` (the demo network in memory,
Monday 09:00 in Berlin); ``api`` adds API keys and speaks to the app as any of them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from microfab.access import ApiKey, Role, hash_secret
from microfab.api import create_app
from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.memory_store import MemoryData

with warnings.catch_warnings():
    # Starlette 1.x asks for the `httpx2` package and warns when it finds only `httpx`; the test
    # client works the same with either.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

KEYS: dict[str, tuple[Role, str | None, str | None]] = {
    "admin": (Role.ADMIN, None, None),
    "planner": (Role.PLANNER, None, None),
    "operator": (Role.OPERATOR, "berlin", None),
    "hamburg-operator": (Role.OPERATOR, "hamburg", None),
    "customer": (Role.CUSTOMER, None, "cust-1"),
    "other-customer": (Role.CUSTOMER, None, "cust-2"),
}


def secret(who: str) -> str:
    return f"mfk_test_{who}"


class Api:
    """The test client, speaking as one of the ``KEYS`` (``who``) or with no key (``None``)."""

    def __init__(self, client: TestClient, data: MemoryData) -> None:
        self.client = client
        self.data = data

    @staticmethod
    def headers(who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret(who)}"} if who else {}

    def get(self, path: str, who: str | None = "admin", **kwargs: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers(who), **kwargs)

    def post(
        self,
        path: str,
        body: Any = None,
        who: str | None = "admin",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.headers(who) | (headers or {}))

    def place(self, who: str = "customer", **changes: Any) -> dict[str, Any]:
        """Place the standard order (see ``order_body``) and return it."""
        response = self.post("/v1/orders", order_body(**changes), who)
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order

    def order_count(self) -> int:
        return len(self.data.orders)


def order_body(**changes: Any) -> dict[str, Any]:
    """Two red phone grips to Berlin; ``changes`` replace top-level fields."""
    line = {
        "product": "phone-grip",
        "quantity": 2,
        "material": "pla",
        "params": {"name": "Mia", "colour": "red"},
    }
    destination = {"lat": 52.53, "lon": 13.41, "label": "Torstraße 1, Berlin"}
    return {"destination": destination, "lines": [line]} | changes


def add_keys(data: MemoryData, clock: ManualClock) -> None:
    for who, (role, factory_id, customer_id) in KEYS.items():
        key = ApiKey(
            id=f"key-{who}",
            name=who,
            role=role,
            key_hash=hash_secret(secret(who)),
            created_at=clock.now(),
            factory_id=factory_id,
            customer_id=customer_id,
        )
        data.api_keys[key.key_hash] = key


@pytest.fixture
def body() -> dict[str, Any]:
    """A valid order body, fresh for each test to change."""
    return order_body()


@pytest.fixture
def api(services: Services, clock: ManualClock) -> Iterator[Api]:
    data: MemoryData = services.store.data  # type: ignore[attr-defined]
    add_keys(data, clock)
    with TestClient(create_app(services)) as client:
        yield Api(client, data)
