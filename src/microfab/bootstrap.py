"""The composition root: builds the store, clock, machines and services from settings.

Entry points (API, CLI, demo) call ``build_services`` and never construct these themselves;
tests call it with a memory store or a simulated clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from microfab.catalog.lines import LineEstimator
from microfab.clock import Clock, WallClock
from microfab.errors import InvalidInput
from microfab.execution.controller import NetworkController
from microfab.execution.maintenance import MaintenanceBook
from microfab.execution.programs import JobPrograms
from microfab.execution.replan import PlanningSettings
from microfab.ids import IdFactory, random_ids
from microfab.machines.base import Machine
from microfab.machines.registry import build_machine
from microfab.network.loader import build_network
from microfab.network.model import Network
from microfab.orders.service import OrderService
from microfab.orders.uploads import UploadService
from microfab.settings import Settings
from microfab.storage import UnitOfWork, UnitOfWorkFactory
from microfab.store.uow import open_store


class Store(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...

    def close(self) -> None: ...


@dataclass
class Services:
    settings: Settings
    store: Store
    network: Network
    clock: Clock
    ids: IdFactory
    orders: OrderService
    uploads: UploadService
    estimator: LineEstimator
    machines: dict[str, Machine] = field(default_factory=dict)

    @property
    def uow(self) -> UnitOfWorkFactory:
        return self.store.unit_of_work

    @property
    def maintenance(self) -> MaintenanceBook:
        return MaintenanceBook(self.uow, self.network, self.clock, self.ids)

    def controller(
        self, seed: int | None = None, failure_rate: float | None = None
    ) -> NetworkController:
        """A controller with a driver for every machine of every micro-factory."""
        if not self.machines:
            programs = JobPrograms(
                self.uow, self.network, lambda: self.estimator.catalog, self.settings.gcode_dir
            )
            for site in self.network.factories:
                for spec in site.machines:
                    rng = (
                        random.Random(f"{seed}:{spec.id}") if seed is not None else random.Random()
                    )
                    self.machines[spec.id] = build_machine(
                        spec, self.clock, rng, failure_rate, programs
                    )
        planning = PlanningSettings(self.settings.planner, self.settings.plan_seconds)
        return NetworkController(
            self.uow, self.network, self.clock, self.machines, self.ids, planning=planning
        )

    def close(self) -> None:
        self.store.close()


def open_database(settings: Settings) -> Store:
    """Open the database and bring its schema up to date."""
    return open_store(settings.database_url)


def load_network(store: Store) -> Network:
    with store.unit_of_work() as uow:
        document = uow.network.document()
    if document is None:
        raise InvalidInput(
            "this database has no network yet: load one with `microfab network load FILE` "
            "(or run `microfab demo`)"
        )
    return build_network(document, "<database>")


def build_services(
    settings: Settings,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    store: Store | None = None,
    isolated_builds: bool = False,
) -> Services:
    """The services; ``isolated_builds`` builds designs under the request limits (servers)."""
    store = store or open_database(settings)
    try:
        network = load_network(store)
    except Exception:
        store.close()
        raise
    clock = clock or WallClock()
    ids = ids or random_ids(random.Random(settings.seed) if settings.seed is not None else None)
    estimator = LineEstimator(network, isolated=isolated_builds)
    orders = OrderService(store.unit_of_work, network, clock, ids, estimator)
    uploads = UploadService(store.unit_of_work, estimator, clock, ids)
    return Services(settings, store, network, clock, ids, orders, uploads, estimator)


def network_time(store: Store) -> datetime | None:
    """The network time the last run reached, so a restart carries on from there."""
    with store.unit_of_work() as uow:
        value = uow.runtime.get("network_time")
    return datetime.fromisoformat(value) if value else None
