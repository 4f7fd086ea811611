"""The storage port: what the services need from a store, as protocols.

``microfab.store`` implements it on SQLAlchemy (SQLite or PostgreSQL); ``microfab.memory_store``
implements it in memory for fast unit tests. A unit of work is one transaction: nothing is
written unless ``commit()`` is called, and leaving the ``with`` block without it rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from microfab.access import ApiKey
from microfab.execution.model import Job, Maintenance, Task, TaskState
from microfab.inventory.model import Replenishment
from microfab.machines.base import MachineState
from microfab.orders.model import Order, OrderState, Upload

MAX_PAGE = 500
T = TypeVar("T")


@dataclass(frozen=True)
class OrderQuery:
    state: OrderState | None = None
    customer_id: str | None = None
    factory_id: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Priority:
    """An order's priority and the factory making it (None before it is routed)."""

    order_id: str
    factory_id: str | None
    priority: int


@dataclass(frozen=True)
class MachineRecord:
    """A machine's last known state, for anyone who reads the store (API, CLI)."""

    machine_id: str
    factory_id: str
    state: MachineState
    since: datetime
    task_id: str | None = None
    family: str | None = None
    """The setup family of the work last started on the machine (a filament colour, a resin):
    what it is set up for, so the first work planned on it idle knows its changeover."""


class OrderRepository(Protocol):
    def add(self, order: Order) -> None:
        """Store a new order; raises ``Conflict`` if its idempotency key is taken."""

    def get(self, order_id: str) -> Order:
        """The order, or ``NotFound``."""
        ...

    def many(self, order_ids: Iterable[str]) -> list[Order]:
        """The orders of these ids that exist (in no set order), read together."""
        ...

    def find_by_idempotency_key(self, customer_id: str, key: str) -> Order | None: ...

    def save(self, order: Order) -> None:
        """Write changes; raises ``StaleState`` if someone else saved it since it was read."""

    def in_states(self, states: Iterable[OrderState]) -> list[Order]:
        """Orders in any of ``states``, oldest first."""
        ...

    def arriving_by(self, at: datetime) -> list[Order]:
        """Shipped orders whose shipment arrives at or before ``at``."""
        ...

    def next_arrival(self) -> datetime | None: ...

    def reprioritised(self) -> list[Priority]:
        """The priorities of the orders a planner re-prioritised whose work is not all done."""
        ...

    def query(self, query: OrderQuery) -> Page[Order]:
        """Newest first, ``query.limit`` at a time; pass ``next_cursor`` back for more."""
        ...

    def count_by_state(self) -> dict[OrderState, int]: ...

    def all_closed_since(self, at: datetime) -> list[Order]:
        """Delivered or cancelled orders placed at or after ``at`` (for summaries)."""
        ...


class UploadRepository(Protocol):
    def add(self, upload: Upload, data: bytes) -> None:
        """Store a new upload and its file; ``Conflict`` if the customer has this file already."""

    def get(self, upload_id: str) -> Upload:
        """The upload, or ``NotFound``."""
        ...

    def find(self, customer_id: str, sha256: str) -> Upload | None:
        """The customer's upload of the file with this digest, if there is one."""
        ...

    def data(self, upload_id: str) -> bytes:
        """The uploaded file's bytes, or ``NotFound``."""
        ...


class TaskRepository(Protocol):
    def add_job(self, job: Job) -> None: ...

    def get_job(self, job_id: str) -> Job: ...

    def jobs(self, factory_id: str | None, order_id: str | None, limit: int) -> list[Job]: ...

    def places(self, states: Iterable[TaskState]) -> dict[str, int]:
        """The places in batch runs every job with a task in any of ``states`` takes (job id
        to ``Job.places``: its quantity where a piece takes one place)."""
        ...

    def add(self, task: Task) -> None: ...

    def get(self, task_id: str) -> Task: ...

    def save(self, task: Task) -> None: ...

    def move(self, tasks: Iterable[Task]) -> None:
        """Write the machine, minutes, planned times and person of scheduled tasks, in one
        statement.

        Only the plan is written, and only while the task is still scheduled, so a re-plan can
        never undo a change made meanwhile (a cancellation, a start).
        """
        ...

    def for_order(self, order_id: str) -> list[Task]: ...

    def for_job(self, job_id: str) -> list[Task]: ...

    def in_states(self, factory_id: str | None, states: Iterable[TaskState]) -> list[Task]:
        """Tasks in any of ``states``, by planned start."""
        ...


class StockRepository(Protocol):
    def level(self, site_id: str, sku: str) -> float: ...

    def levels(self, site_id: str) -> dict[str, float]: ...

    def set_level(self, site_id: str, sku: str, quantity: float) -> None: ...

    def take(self, site_id: str, sku: str, quantity: float) -> None:
        """Remove ``quantity``; raises ``OutOfStock`` when there is not enough."""

    def put(self, site_id: str, sku: str, quantity: float) -> None:
        """Add ``quantity`` in one step, so a concurrent ``take`` is never overwritten."""


class ReplenishmentRepository(Protocol):
    def add(self, replenishment: Replenishment) -> None: ...

    def save(self, replenishment: Replenishment) -> None: ...

    def in_transit(self, site_id: str, sku: str) -> list[Replenishment]:
        """Replenishments of ``sku`` for ``site_id`` not yet received."""
        ...

    def arrived_by(self, at: datetime) -> list[Replenishment]:
        """Replenishments not yet received whose arrival time is at or before ``at``."""
        ...

    def next_arrival(self) -> datetime | None: ...


class MachineRepository(Protocol):
    def record(self, record: MachineRecord) -> None: ...

    def all(self, factory_id: str | None = None) -> list[MachineRecord]: ...


class MaintenanceRepository(Protocol):
    def add(self, maintenance: Maintenance) -> None:
        """Store a new window; ``Conflict`` if its id exists."""
        ...

    def get(self, maintenance_id: str) -> Maintenance:
        """The window; ``NotFound`` if there is none."""
        ...

    def save(self, maintenance: Maintenance) -> None: ...

    def lock(self, machine_id: str) -> None:
        """Hold the machine's windows until the transaction ends, so that two bookings of it
        are checked for overlaps one after the other."""
        ...

    def ahead(self, at: datetime, factory_id: str | None = None) -> list[Maintenance]:
        """Windows not cancelled that end after ``at`` (of one factory, or all), by start."""
        ...


class NetworkRepository(Protocol):
    def document(self) -> dict[str, Any] | None:
        """The network file's content as last loaded, or None before the first load."""
        ...

    def put_document(self, document: Mapping[str, Any]) -> None: ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...

    def by_hash(self, key_hash: str) -> ApiKey | None: ...


class RuntimeRepository(Protocol):
    """Small named values that must survive a restart, such as the network time."""

    def get(self, name: str) -> str | None: ...

    def put(self, name: str, value: str) -> None: ...


class UnitOfWork(Protocol):
    orders: OrderRepository
    uploads: UploadRepository
    tasks: TaskRepository
    stock: StockRepository
    replenishments: ReplenishmentRepository
    machines: MachineRepository
    maintenance: MaintenanceRepository
    network: NetworkRepository
    api_keys: ApiKeyRepository
    runtime: RuntimeRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
