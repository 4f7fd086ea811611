"""An in-memory implementation of the storage port, for fast unit tests and dry runs.

It keeps copies, not references, so that code under test sees the isolation a database gives:
a change is visible to others only after ``commit()``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from microfab.access import ApiKey
from microfab.errors import Conflict, InvalidInput, NotFound, OutOfStock, StaleState
from microfab.execution.model import Job, Maintenance, Task, TaskState
from microfab.inventory.model import Replenishment
from microfab.orders.model import PRIORITISABLE, Order, OrderState, Upload
from microfab.storage import (
    MAX_PAGE,
    ApiKeyRepository,
    MachineRecord,
    MachineRepository,
    MaintenanceRepository,
    NetworkRepository,
    OrderQuery,
    OrderRepository,
    Page,
    Priority,
    ReplenishmentRepository,
    RuntimeRepository,
    StockRepository,
    TaskRepository,
    UploadRepository,
)


class MemoryData:
    """Everything one in-memory database holds."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.order_seq: dict[str, int] = {}
        self.uploads: dict[str, tuple[Upload, bytes]] = {}
        self.jobs: dict[str, Job] = {}
        self.tasks: dict[str, Task] = {}
        self.stock: dict[tuple[str, str], float] = {}
        self.replenishments: dict[str, Replenishment] = {}
        self.machines: dict[str, MachineRecord] = {}
        self.maintenance: dict[str, Maintenance] = {}
        self.network: dict[str, Any] | None = None
        self.api_keys: dict[str, ApiKey] = {}
        self.runtime: dict[str, str] = {}


class _Orders:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def add(self, order: Order) -> None:
        if order.id in self._data.orders:
            raise Conflict(f"order {order.id} exists already")
        if order.idempotency_key and self.find_by_idempotency_key(
            order.customer_id, order.idempotency_key
        ):
            raise Conflict(f"idempotency key {order.idempotency_key!r} is taken")
        self._data.orders[order.id] = copy.deepcopy(order)
        self._data.order_seq[order.id] = len(self._data.order_seq) + 1

    def get(self, order_id: str) -> Order:
        try:
            return copy.deepcopy(self._data.orders[order_id])
        except KeyError:
            raise NotFound(f"no order {order_id!r}") from None

    def many(self, order_ids: Iterable[str]) -> list[Order]:
        return [
            copy.deepcopy(self._data.orders[i]) for i in set(order_ids) if i in self._data.orders
        ]

    def find_by_idempotency_key(self, customer_id: str, key: str) -> Order | None:
        for order in self._data.orders.values():
            if order.customer_id == customer_id and order.idempotency_key == key:
                return copy.deepcopy(order)
        return None

    def save(self, order: Order) -> None:
        stored = self._data.orders.get(order.id)
        if stored is None:
            raise NotFound(f"no order {order.id!r}")
        if stored.version != order.version:
            raise StaleState(f"order {order.id} was changed by someone else; read it again")
        order.version += 1
        self._data.orders[order.id] = copy.deepcopy(order)

    def _sorted(self) -> list[Order]:
        return sorted(self._data.orders.values(), key=lambda o: self._data.order_seq[o.id])

    def in_states(self, states: Iterable[OrderState]) -> list[Order]:
        wanted = set(states)
        return [copy.deepcopy(o) for o in self._sorted() if o.state in wanted]

    def arriving_by(self, at: datetime) -> list[Order]:
        return [
            copy.deepcopy(o)
            for o in self._sorted()
            if o.state is OrderState.SHIPPED and o.shipment and o.shipment.arrives_at <= at
        ]

    def next_arrival(self) -> datetime | None:
        times = [
            o.shipment.arrives_at
            for o in self._data.orders.values()
            if o.state is OrderState.SHIPPED and o.shipment
        ]
        return min(times, default=None)

    def reprioritised(self) -> list[Priority]:
        return [
            Priority(o.id, o.factory_id, o.priority)
            for o in self._sorted()
            if o.prioritised_at is not None and o.state in PRIORITISABLE
        ]

    def query(self, query: OrderQuery) -> Page[Order]:
        rows = [
            o
            for o in reversed(self._sorted())
            if (query.state is None or o.state is query.state)
            and (query.customer_id is None or o.customer_id == query.customer_id)
            and (query.factory_id is None or o.factory_id == query.factory_id)
        ]
        if query.cursor is not None:
            if not query.cursor.isdigit():
                raise InvalidInput(f"cursor {query.cursor!r} is not one this API gave out")
            limit_seq = int(query.cursor)
            rows = [o for o in rows if self._data.order_seq[o.id] < limit_seq]
        limit = max(1, min(query.limit, MAX_PAGE))
        page = rows[:limit]
        more = len(rows) > limit
        cursor = str(self._data.order_seq[page[-1].id]) if more and page else None
        return Page([copy.deepcopy(o) for o in page], cursor)

    def count_by_state(self) -> dict[OrderState, int]:
        counts: dict[OrderState, int] = {}
        for order in self._data.orders.values():
            counts[order.state] = counts.get(order.state, 0) + 1
        return counts

    def all_closed_since(self, at: datetime) -> list[Order]:
        closed = {OrderState.DELIVERED, OrderState.CANCELLED}
        return [copy.deepcopy(o) for o in self._sorted() if o.state in closed and o.placed_at >= at]


class _Uploads:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def add(self, upload: Upload, data: bytes) -> None:
        if upload.id in self._data.uploads or self.find(upload.customer_id, upload.sha256):
            raise Conflict(f"upload {upload.id} exists already")
        self._data.uploads[upload.id] = (upload, data)

    def get(self, upload_id: str) -> Upload:
        try:
            return self._data.uploads[upload_id][0]
        except KeyError:
            raise NotFound(f"no upload {upload_id!r}") from None

    def find(self, customer_id: str, sha256: str) -> Upload | None:
        for upload, _ in self._data.uploads.values():
            if upload.customer_id == customer_id and upload.sha256 == sha256:
                return upload
        return None

    def data(self, upload_id: str) -> bytes:
        self.get(upload_id)
        return self._data.uploads[upload_id][1]


class _Tasks:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def add_job(self, job: Job) -> None:
        self._data.jobs[job.id] = copy.copy(job)

    def get_job(self, job_id: str) -> Job:
        try:
            return copy.copy(self._data.jobs[job_id])
        except KeyError:
            raise NotFound(f"no job {job_id!r}") from None

    def jobs(self, factory_id: str | None, order_id: str | None, limit: int) -> list[Job]:
        found = [
            j
            for j in self._data.jobs.values()
            if (factory_id is None or j.factory_id == factory_id)
            and (order_id is None or j.order_id == order_id)
        ]
        return sorted(found, key=lambda j: (j.created_at, j.id), reverse=True)[:limit]

    def places(self, states: Iterable[TaskState]) -> dict[str, int]:
        wanted = set(states)
        jobs = {t.job_id for t in self._data.tasks.values() if t.state in wanted}
        return {j: self._data.jobs[j].places for j in jobs if j in self._data.jobs}

    def add(self, task: Task) -> None:
        if task.id in self._data.tasks:
            raise Conflict(f"task {task.id} exists already")
        self._data.tasks[task.id] = copy.deepcopy(task)

    def get(self, task_id: str) -> Task:
        try:
            return copy.deepcopy(self._data.tasks[task_id])
        except KeyError:
            raise NotFound(f"no task {task_id!r}") from None

    def save(self, task: Task) -> None:
        stored = self._data.tasks.get(task.id)
        if stored is None:
            raise NotFound(f"no task {task.id!r}")
        if stored.version != task.version:
            raise StaleState(f"task {task.id} was changed by someone else; read it again")
        task.version += 1
        self._data.tasks[task.id] = copy.deepcopy(task)

    def move(self, tasks: Iterable[Task]) -> None:
        for task in tasks:
            stored = self._data.tasks.get(task.id)
            if stored is not None and stored.state is TaskState.SCHEDULED:
                stored.machine_id = task.machine_id
                stored.minutes = task.minutes
                stored.planned_start = task.planned_start
                stored.planned_end = task.planned_end
                stored.operator_id = task.operator_id

    def for_order(self, order_id: str) -> list[Task]:
        return self._select(lambda t: t.order_id == order_id)

    def for_job(self, job_id: str) -> list[Task]:
        return self._select(lambda t: t.job_id == job_id)

    def in_states(self, factory_id: str | None, states: Iterable[TaskState]) -> list[Task]:
        wanted = set(states)
        return self._select(
            lambda t: t.state in wanted and (factory_id is None or t.factory_id == factory_id)
        )

    def _select(self, keep: Any) -> list[Task]:
        found = [copy.deepcopy(t) for t in self._data.tasks.values() if keep(t)]
        return sorted(found, key=lambda t: (t.planned_start, t.step, t.id))


class _Stock:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def level(self, site_id: str, sku: str) -> float:
        return self._data.stock.get((site_id, sku), 0.0)

    def levels(self, site_id: str) -> dict[str, float]:
        return {sku: q for (site, sku), q in self._data.stock.items() if site == site_id}

    def set_level(self, site_id: str, sku: str, quantity: float) -> None:
        self._data.stock[(site_id, sku)] = quantity

    def put(self, site_id: str, sku: str, quantity: float) -> None:
        self._data.stock[(site_id, sku)] = self.level(site_id, sku) + quantity

    def take(self, site_id: str, sku: str, quantity: float) -> None:
        have = self.level(site_id, sku)
        if have + 1e-9 < quantity:
            raise OutOfStock(f"{site_id} has {have:g} of {sku}, needs {quantity:g}")
        self._data.stock[(site_id, sku)] = have - quantity


class _Replenishments:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def add(self, replenishment: Replenishment) -> None:
        if replenishment.id in self._data.replenishments:
            raise Conflict(f"replenishment {replenishment.id} exists already")
        self._data.replenishments[replenishment.id] = copy.copy(replenishment)

    def save(self, replenishment: Replenishment) -> None:
        if replenishment.id not in self._data.replenishments:
            raise NotFound(f"no replenishment {replenishment.id!r}")
        self._data.replenishments[replenishment.id] = copy.copy(replenishment)

    def _open(self) -> list[Replenishment]:
        found = [r for r in self._data.replenishments.values() if r.received_at is None]
        return [copy.copy(r) for r in sorted(found, key=lambda r: (r.arrives_at, r.id))]

    def in_transit(self, site_id: str, sku: str) -> list[Replenishment]:
        return [r for r in self._open() if r.site_id == site_id and r.sku == sku]

    def arrived_by(self, at: datetime) -> list[Replenishment]:
        return [r for r in self._open() if r.arrives_at <= at]

    def next_arrival(self) -> datetime | None:
        return min((r.arrives_at for r in self._open()), default=None)


class _Machines:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def record(self, record: MachineRecord) -> None:
        self._data.machines[record.machine_id] = record

    def all(self, factory_id: str | None = None) -> list[MachineRecord]:
        records = sorted(self._data.machines.values(), key=lambda r: r.machine_id)
        return [r for r in records if factory_id is None or r.factory_id == factory_id]


class _Maintenance:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def add(self, maintenance: Maintenance) -> None:
        if maintenance.id in self._data.maintenance:
            raise Conflict(f"maintenance {maintenance.id} exists already")
        self._data.maintenance[maintenance.id] = copy.copy(maintenance)

    def get(self, maintenance_id: str) -> Maintenance:
        try:
            return copy.copy(self._data.maintenance[maintenance_id])
        except KeyError:
            raise NotFound(f"no maintenance {maintenance_id!r}") from None

    def save(self, maintenance: Maintenance) -> None:
        if maintenance.id not in self._data.maintenance:
            raise NotFound(f"no maintenance {maintenance.id!r}")
        self._data.maintenance[maintenance.id] = copy.copy(maintenance)

    def lock(self, machine_id: str) -> None:
        pass  # one writer at a time: a unit of work publishes its copy whole

    def ahead(self, at: datetime, factory_id: str | None = None) -> list[Maintenance]:
        found = [
            m
            for m in self._data.maintenance.values()
            if m.cancelled_at is None and m.end > at and factory_id in (None, m.factory_id)
        ]
        return [copy.copy(m) for m in sorted(found, key=lambda m: (m.start, m.id))]


class _Network:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def document(self) -> dict[str, Any] | None:
        return copy.deepcopy(self._data.network)

    def put_document(self, document: Mapping[str, Any]) -> None:
        self._data.network = copy.deepcopy(dict(document))


class _ApiKeys:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def add(self, key: ApiKey) -> None:
        self._data.api_keys[key.key_hash] = key

    def by_hash(self, key_hash: str) -> ApiKey | None:
        return self._data.api_keys.get(key_hash)


class _Runtime:
    def __init__(self, data: MemoryData) -> None:
        self._data = data

    def get(self, name: str) -> str | None:
        return self._data.runtime.get(name)

    def put(self, name: str, value: str) -> None:
        self._data.runtime[name] = value


class MemoryUnitOfWork:
    """One transaction over a ``MemoryData``: works on a copy, publishes it on commit.

    Use it in a ``with`` block, as the SQL unit of work: entering takes the copy, leaving
    without ``commit()`` drops it.
    """

    def __init__(self, data: MemoryData) -> None:
        self._shared = data
        self._bind(data)

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

    def _bind(self, work: MemoryData) -> None:
        self._work = work
        self.orders = _Orders(work)
        self.uploads = _Uploads(work)
        self.tasks = _Tasks(work)
        self.stock = _Stock(work)
        self.replenishments = _Replenishments(work)
        self.machines = _Machines(work)
        self.maintenance = _Maintenance(work)
        self.network = _Network(work)
        self.api_keys = _ApiKeys(work)
        self.runtime = _Runtime(work)

    def __enter__(self) -> Self:
        self._bind(copy.deepcopy(self._shared))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bind(self._shared)

    def commit(self) -> None:
        self._shared.__dict__.update(copy.deepcopy(self._work.__dict__))

    def rollback(self) -> None:
        self._bind(copy.deepcopy(self._shared))
