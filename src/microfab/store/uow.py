"""Units of work over SQLAlchemy sessions, and the store that hands them out."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from microfab.storage import (
    ApiKeyRepository,
    MachineRepository,
    MaintenanceRepository,
    NetworkRepository,
    OrderRepository,
    ReplenishmentRepository,
    RuntimeRepository,
    StockRepository,
    TaskRepository,
    UploadRepository,
)
from microfab.store.engine import make_engine
from microfab.store.migrate import upgrade
from microfab.store.orders import SqlOrders
from microfab.store.repositories import (
    SqlApiKeys,
    SqlMachines,
    SqlMaintenance,
    SqlNetwork,
    SqlReplenishments,
    SqlRuntime,
    SqlStock,
)
from microfab.store.tasks import SqlTasks
from microfab.store.uploads import SqlUploads


class SqlUnitOfWork:
    """One database transaction: ``with uow: ...; uow.commit()``; leaving without it rolls back.

    The repositories exist only inside the ``with`` block. The same unit of work may be entered
    again afterwards; each entry is a new session.
    """

    # Typed as the port's protocols, not the SQL classes: the port declares them as plain
    # (settable) attributes, and mypy only matches those when the types are the same.
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

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._session: Session | None = None

    def __enter__(self) -> Self:
        session = self._session = self._sessions()
        self.orders = SqlOrders(session)
        self.uploads = SqlUploads(session)
        self.tasks = SqlTasks(session)
        self.stock = SqlStock(session)
        self.replenishments = SqlReplenishments(session)
        self.machines = SqlMachines(session)
        self.maintenance = SqlMaintenance(session)
        self.network = SqlNetwork(session)
        self.api_keys = SqlApiKeys(session)
        self.runtime = SqlRuntime(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._active(), None
        session.close()  # rolls back whatever was not committed

    def commit(self) -> None:
        self._active().commit()

    def rollback(self) -> None:
        self._active().rollback()

    def _active(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._session


class SqlStore:
    """The database behind microfab: an engine and the units of work over it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Repositories copy rows into domain objects, so nothing needs expiring after commit.
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self.engine.dispose()


def open_store(url: str) -> SqlStore:
    """The store at ``url``, its schema migrated to the newest version first."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine)
