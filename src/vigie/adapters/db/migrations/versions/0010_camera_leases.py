"""Camera leases: which ``vigie serve`` process runs which camera.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-28

On the video branch ("video"); ``upgrade`` goes to every head. One row per leased camera
(the primary key is what forbids two holders on one camera) and one row per live holder,
so that a process that holds nothing yet still counts when the cameras are shared out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

_Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "camera_leases",
        sa.Column("camera_id", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", _Time, nullable=False),
        sa.Column("acquired_at", _Time, nullable=False),
    )
    op.create_index("ix_camera_leases_holder", "camera_leases", ["holder"])
    op.create_table(
        "camera_lease_holders",
        sa.Column("holder", sa.String(128), primary_key=True),
        sa.Column("expires_at", _Time, nullable=False),
        sa.Column("joined_at", _Time, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("camera_lease_holders")
    op.drop_index("ix_camera_leases_holder", table_name="camera_leases")
    op.drop_table("camera_leases")
