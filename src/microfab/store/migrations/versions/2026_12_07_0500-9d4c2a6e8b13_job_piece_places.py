"""jobs.piece_places: the places of a batch run each piece of a job takes

Revision ID: 9d4c2a6e8b13
Revises: 6b1f8d3e2c75
Create Date: 2026-12-07 05:00:00+00:00

Jobs made before this took one place a piece, as batch machines counted pieces then.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9d4c2a6e8b13"
down_revision = "6b1f8d3e2c75"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("piece_places", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("piece_places")
