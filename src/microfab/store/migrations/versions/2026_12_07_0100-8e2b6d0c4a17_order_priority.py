"""orders.priority and orders.prioritised_at: how much an order's lateness weighs in its plan

Revision ID: 8e2b6d0c4a17
Revises: 5c3e9b7a1f42
Create Date: 2026-12-07 01:00:00+00:00

Orders placed before this keep the normal priority, 1, and were never re-prioritised.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8e2b6d0c4a17"
down_revision = "5c3e9b7a1f42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("prioritised_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint("priority_range", "priority BETWEEN 1 AND 100")


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("priority_range", type_="check")
        batch.drop_column("prioritised_at")
        batch.drop_column("priority")
