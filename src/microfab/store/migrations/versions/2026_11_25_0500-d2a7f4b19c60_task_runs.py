"""tasks.run: the task leading the batch run a task is made in, on batch machines

Revision ID: d2a7f4b19c60
Revises: b6e4c1f0a7d2
Create Date: 2026-11-25 05:00:00+00:00

Tasks stored before this ran one at a time, which an empty ``run`` says.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d2a7f4b19c60"
down_revision = "b6e4c1f0a7d2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("run", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("run")
