"""initial schema: orders, jobs, tasks, stock, machines, network, api keys, runtime

Revision ID: 594d45dbdb63
Revises:
Create Date: 2026-11-25 01:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "594d45dbdb63"
down_revision = None
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=True),
        sa.Column("request_hash", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("factory_id", sa.String(), nullable=True),
        sa.Column("placed_at", UTC_DATETIME, nullable=False),
        sa.Column("promised_at", UTC_DATETIME, nullable=False),
        sa.Column("ready_at", UTC_DATETIME, nullable=True),
        sa.Column("delivered_at", UTC_DATETIME, nullable=True),
        sa.Column("arrives_at", UTC_DATETIME, nullable=True),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("co2e_kg", sa.Float(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("destination", sa.JSON(), nullable=False),
        sa.Column("shipment", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_orders"),
        sa.UniqueConstraint("id", name="uq_orders_id"),
        sa.UniqueConstraint(
            "customer_id", "idempotency_key", name="uq_orders_customer_id_idempotency_key"
        ),
    )
    op.create_index("ix_orders_state_seq", "orders", ["state", "seq"])
    op.create_index("ix_orders_customer_id_seq", "orders", ["customer_id", "seq"])
    op.create_index("ix_orders_factory_id_seq", "orders", ["factory_id", "seq"])
    op.create_index("ix_orders_arrives_at", "orders", ["arrives_at"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("line_index", sa.Integer(), nullable=False),
        sa.Column("factory_id", sa.String(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("material", sa.String(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_order_id", "jobs", ["order_id"])
    op.create_index("ix_jobs_factory_id_created_at", "jobs", ["factory_id", "created_at"])

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("factory_id", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("process", sa.String(), nullable=False),
        sa.Column("machine_id", sa.String(), nullable=False),
        sa.Column("setup_family", sa.String(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("planned_start", UTC_DATETIME, nullable=False),
        sa.Column("planned_end", UTC_DATETIME, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=True),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
    )
    op.create_index("ix_tasks_job_id", "tasks", ["job_id"])
    op.create_index("ix_tasks_order_id", "tasks", ["order_id"])
    op.create_index("ix_tasks_factory_id_state", "tasks", ["factory_id", "state"])

    op.create_table(
        "stock",
        sa.Column("site_id", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "sku", name="pk_stock"),
    )

    op.create_table(
        "machines",
        sa.Column("machine_id", sa.String(), nullable=False),
        sa.Column("factory_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("since", UTC_DATETIME, nullable=False),
        sa.Column("task_id", sa.String(), nullable=True),
        sa.Column("busy_minutes", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("machine_id", name="pk_machines"),
    )
    op.create_index("ix_machines_factory_id", "machines", ["factory_id"])

    op.create_table(
        "network",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_network"),
    )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("factory_id", sa.String(), nullable=True),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )

    op.create_table(
        "runtime",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_runtime"),
    )


def downgrade() -> None:
    for table in ("runtime", "api_keys", "network", "machines", "stock", "tasks", "jobs", "orders"):
        op.drop_table(table)
