"""api_keys.person_id: the person an operator key belongs to, for their own work list

Revision ID: 6b1f8d3e2c75
Revises: a4c7e2f91b36
Create Date: 2026-12-07 04:00:00+00:00

Keys made before this belong to nobody in particular, as they did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "6b1f8d3e2c75"
down_revision = "a4c7e2f91b36"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("person_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("person_id")
