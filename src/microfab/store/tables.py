"""The database schema as SQLAlchemy Core tables; the migrations must produce exactly this.

An order keeps its value objects (lines, destination, shipment, history) as JSON documents:
they are always read and written with the order, never queried on their own. Whatever is
filtered or sorted on has a column of its own, such as ``arrives_at`` from the shipment.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from microfab.store.utc import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

orders = Table(
    "orders",
    metadata,
    # seq is the key (not id) so that SQLite gives it rowid speed and a value that only grows:
    # newest-first pages and "oldest first" lists sort on it.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String, nullable=False, unique=True),
    Column("customer_id", String, nullable=False),
    Column("idempotency_key", String),
    Column("request_hash", String, nullable=False),
    Column("state", String, nullable=False),
    Column("factory_id", String),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("promised_at", UtcDateTime, nullable=False),
    Column("ready_at", UtcDateTime),
    Column("delivered_at", UtcDateTime),
    Column("arrives_at", UtcDateTime),
    Column("price_cents", BigInteger, nullable=False),
    Column("co2e_kg", Float, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("destination", JSON, nullable=False),
    Column("shipment", JSON(none_as_null=True)),
    Column("history", JSON, nullable=False),
    Column(
        "priority",
        Integer,
        CheckConstraint("priority BETWEEN 1 AND 100", name="priority_range"),
        nullable=False,
        server_default="1",
    ),
    Column("prioritised_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    UniqueConstraint("customer_id", "idempotency_key"),
    Index(None, "state", "seq"),
    Index(None, "customer_id", "seq"),
    Index(None, "factory_id", "seq"),
    Index(None, "arrives_at"),
)

uploads = Table(
    "uploads",
    metadata,
    # The file's bytes live in the database, not on a disk beside it: with PostgreSQL several
    # API workers on several hosts see every upload, one transaction writes the record and the
    # bytes together (no record without its file, no orphan file), and a backup of the
    # database holds everything. Uploads are capped at 32 MiB (catalog.uploads.UploadLimits).
    Column("id", String, primary_key=True),
    Column("customer_id", String, nullable=False),
    Column("filename", String, nullable=False),
    Column("sha256", String, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("estimate", JSON, nullable=False),
    Column("data", LargeBinary, nullable=False),
    UniqueConstraint("customer_id", "sha256"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String, primary_key=True),
    Column("order_id", String, nullable=False, index=True),
    Column("line_index", Integer, nullable=False),
    Column("factory_id", String, nullable=False),
    Column("product_id", String, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("material", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("piece_places", Integer, nullable=False, server_default="1"),
    Index(None, "factory_id", "created_at"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String, primary_key=True),
    Column("job_id", String, nullable=False, index=True),
    Column("order_id", String, nullable=False, index=True),
    Column("factory_id", String, nullable=False),
    Column("step", Integer, nullable=False),
    Column("operation", String, nullable=False),
    Column("process", String, nullable=False),
    Column("machine_id", String, nullable=False),
    Column("setup_family", String, nullable=False),
    Column("attended", Boolean, nullable=False),
    Column("minutes", Float, nullable=False),
    Column("planned_start", UtcDateTime, nullable=False),
    Column("planned_end", UtcDateTime, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("state", String, nullable=False),
    Column("started_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
    Column("note", Text, nullable=False),
    Column("run", String),
    Column("operator_id", String),
    Column("version", Integer, nullable=False),
    Index(None, "factory_id", "state"),
)

stock = Table(
    "stock",
    metadata,
    Column("site_id", String, primary_key=True),
    Column("sku", String, primary_key=True),
    Column("quantity", Float, nullable=False),
)

replenishments = Table(
    "replenishments",
    metadata,
    Column("id", String, primary_key=True),
    Column("site_id", String, nullable=False),
    Column("sku", String, nullable=False),
    Column("quantity", Float, nullable=False),
    Column("supplier_id", String, nullable=False),
    Column("ordered_at", UtcDateTime, nullable=False),
    Column("arrives_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime),
    Index(None, "received_at", "arrives_at"),
)

machines = Table(
    "machines",
    metadata,
    Column("machine_id", String, primary_key=True),
    Column("factory_id", String, nullable=False, index=True),
    Column("state", String, nullable=False),
    Column("since", UtcDateTime, nullable=False),
    Column("task_id", String),
    Column("family", String),
)

maintenance = Table(
    "maintenance",
    metadata,
    Column("id", String, primary_key=True),
    Column("factory_id", String, nullable=False),
    Column("machine_id", String, nullable=False),
    Column("start", UtcDateTime, nullable=False),
    Column("end", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("cancelled_at", UtcDateTime),
    CheckConstraint('"end" > start', name="ends_after_start"),
    Index(None, "end"),
)

network = Table(
    "network",
    metadata,
    # One row, id 1: the network document as last loaded.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("document", JSON, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("role", String, nullable=False),
    Column("key_hash", String, nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("factory_id", String),
    Column("customer_id", String),
    Column("person_id", String),
)

runtime = Table(
    "runtime",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Text, nullable=False),
)
