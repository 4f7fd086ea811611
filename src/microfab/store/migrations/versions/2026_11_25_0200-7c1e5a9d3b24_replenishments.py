"""replenishments: stock on its way from a central plant to a micro-factory

Revision ID: 7c1e5a9d3b24
Revises: 594d45dbdb63
Create Date: 2026-11-25 02:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7c1e5a9d3b24"
down_revision = "594d45dbdb63"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "replenishments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("site_id", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("supplier_id", sa.String(), nullable=False),
        sa.Column("ordered_at", UTC_DATETIME, nullable=False),
        sa.Column("arrives_at", UTC_DATETIME, nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_replenishments"),
    )
    op.create_index(
        "ix_replenishments_received_at_arrives_at",
        "replenishments",
        ["received_at", "arrives_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_replenishments_received_at_arrives_at", table_name="replenishments")
    op.drop_table("replenishments")
