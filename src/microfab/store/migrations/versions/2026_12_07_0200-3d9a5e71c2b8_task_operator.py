"""tasks.operator_id: the person a factory's plan gives a task that needs one

Revision ID: 3d9a5e71c2b8
Revises: 8e2b6d0c4a17
Create Date: 2026-12-07 02:00:00+00:00

Tasks planned before this name nobody; the next re-plan of their factory names their person.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3d9a5e71c2b8"
down_revision = "8e2b6d0c4a17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("operator_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("operator_id")
