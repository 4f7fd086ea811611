"""The SQL store: the storage port on SQLAlchemy, over a SQLite file or PostgreSQL.

``open_store(url)`` migrates the database to the newest schema and returns a ``SqlStore``,
whose ``unit_of_work()`` is the ``UnitOfWorkFactory`` the services use.
"""

from microfab.store.uow import SqlStore, SqlUnitOfWork, open_store

__all__ = ["SqlStore", "SqlUnitOfWork", "open_store"]
