"""uploads: customers' STL and 3MF models, their estimate and their bytes, to quote and order

Revision ID: b6e4c1f0a7d2
Revises: 3f8a2d6c9e11
Create Date: 2026-11-25 04:00:00+00:00

Order lines keep their estimate inside the ``orders.lines`` JSON documents (like every value
object of an order), so orders need no new column; lines stored before this have none and are
read as lines without an estimate.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b6e4c1f0a7d2"
down_revision = "3f8a2d6c9e11"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", UTC_DATETIME, nullable=False),
        sa.Column("estimate", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uploads"),
        sa.UniqueConstraint("customer_id", "sha256", name="uq_uploads_customer_id_sha256"),
    )


def downgrade() -> None:
    op.drop_table("uploads")
