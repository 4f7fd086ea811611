"""maintenance: planned downtime of a machine, which plans and the floor keep free of work

Revision ID: a4c7e2f91b36
Revises: 3d9a5e71c2b8
Create Date: 2026-12-07 03:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a4c7e2f91b36"
down_revision = "3d9a5e71c2b8"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "maintenance",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("factory_id", sa.String(), nullable=False),
        sa.Column("machine_id", sa.String(), nullable=False),
        sa.Column("start", UTC_DATETIME, nullable=False),
        sa.Column("end", UTC_DATETIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("cancelled_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint('"end" > start', name="ck_maintenance_ends_after_start"),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance"),
    )
    op.create_index("ix_maintenance_end", "maintenance", ["end"])


def downgrade() -> None:
    op.drop_index("ix_maintenance_end", table_name="maintenance")
    op.drop_table("maintenance")
