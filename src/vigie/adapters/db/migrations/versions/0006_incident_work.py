"""The incident's work: call attempts, dispatches, back-to-normal checklist.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30

On the incidents branch; JSON columns with server defaults so that existing rows read
as "nothing recorded yet".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("calls", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("dispatches", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("back_to_normal", sa.JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("back_to_normal")
        batch.drop_column("dispatches")
        batch.drop_column("calls")
