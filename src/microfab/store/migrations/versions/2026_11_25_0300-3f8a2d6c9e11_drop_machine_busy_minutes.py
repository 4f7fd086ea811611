"""drop machines.busy_minutes: nothing ever wrote it, and the API showed it as 0

Revision ID: 3f8a2d6c9e11
Revises: 7c1e5a9d3b24
Create Date: 2026-11-25 03:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3f8a2d6c9e11"
down_revision = "7c1e5a9d3b24"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode copies the table on SQLite versions without DROP COLUMN; PostgreSQL alters.
    with op.batch_alter_table("machines") as batch:
        batch.drop_column("busy_minutes")


def downgrade() -> None:
    with op.batch_alter_table("machines") as batch:
        batch.add_column(sa.Column("busy_minutes", sa.Float(), nullable=False, server_default="0"))
