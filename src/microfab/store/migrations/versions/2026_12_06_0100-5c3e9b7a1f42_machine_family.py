"""machines.family: the setup family each machine was last started in

Revision ID: 5c3e9b7a1f42
Revises: d2a7f4b19c60
Create Date: 2026-12-06 01:00:00+00:00

Machines recorded before this have none: the first work planned on them counts no changeover
until they next start something.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5c3e9b7a1f42"
down_revision = "d2a7f4b19c60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("machines") as batch:
        batch.add_column(sa.Column("family", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("machines") as batch:
        batch.drop_column("family")
