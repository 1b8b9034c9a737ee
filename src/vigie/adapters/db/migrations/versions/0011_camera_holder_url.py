"""Camera lease holders advertise where their HTTP API is reached by the other nodes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28

A live view asked of a process that does not run the camera is relayed to the process
that does; ``url`` (``VIGIE_ADVERTISE_URL``, e.g. ``http://10.0.0.12:8000``) says where.
Nullable: a holder that cannot be reached (bound to 0.0.0.0 without the setting) has none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("camera_lease_holders") as batch:
        batch.add_column(sa.Column("url", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("camera_lease_holders") as batch:
        batch.drop_column("url")
