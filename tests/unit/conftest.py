"""Fixtures for fast unit tests: the demo network on an in-memory store and a manual clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from microfab.bootstrap import Services, build_services
from microfab.clock import ManualClock
from microfab.ids import random_ids
from microfab.memory_store import MemoryData, MemoryUnitOfWork
from microfab.network.loader import build_network, demo_document, normal_form
from microfab.network.model import Network
from microfab.network.service import install_network
from microfab.settings import Settings

MONDAY_9 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


class MemoryStore:
    """The in-memory store behind the same face as the SQL store."""

    def __init__(self) -> None:
        self.data = MemoryData()

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.data)

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def demo_doc() -> dict[str, object]:
    return normal_form(demo_document(), "demo")


@pytest.fixture(scope="session")
def network(demo_doc: dict[str, object]) -> Network:
    return build_network(demo_doc)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_9)


@pytest.fixture
def store(demo_doc: dict[str, object]) -> MemoryStore:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        install_network(uow, demo_doc, MONDAY_9)
        uow.commit()
    return store


@pytest.fixture
def services(store: MemoryStore, clock: ManualClock) -> Services:
    return build_services(Settings(), clock=clock, ids=random_ids(random.Random(7)), store=store)


def services_on(
    doc: dict[str, Any], clock: ManualClock, settings: Settings | None = None
) -> Services:
    """Services over a fresh in-memory store holding the network ``doc`` (a changed copy of
    the demo's, say), at the clock's time."""
    store = MemoryStore()
    with store.unit_of_work() as uow:
        install_network(uow, doc, clock.now())
        uow.commit()
    return build_services(
        settings or Settings(), clock=clock, ids=random_ids(random.Random(7)), store=store
    )
