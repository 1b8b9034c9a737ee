"""Video: cameras (credentials encrypted), segments, incident media, extractions, holds.

Revision ID: 0008
Revises: 0001
Create Date: 2026-11-28

A branch of its own from 0001 ("video"); ``upgrade`` goes to every head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0001"
branch_labels = ("video",)
depends_on = None

_Time = sa.DateTime(timezone=True)
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", _BigId, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("main_url", sa.String(1000), nullable=False),
        sa.Column("sub_url", sa.String(1000), nullable=False),
        sa.Column("username_enc", sa.Text, nullable=False),
        sa.Column("password_enc", sa.Text, nullable=False),
        sa.Column("onvif_url", sa.String(1000), nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
    )
    op.create_index("ix_cameras_site_id", "cameras", ["site_id"])
    op.create_table(
        "video_segments",
        _id(),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("start", _Time, nullable=False),
        sa.Column("end", _Time, nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_video_segments_camera_start", "video_segments", ["camera_id", "start"])
    op.create_table(
        "incident_media",
        _id(),
        sa.Column("incident_id", sa.BigInteger, nullable=False),
        sa.Column("alarm_id", sa.BigInteger, nullable=True),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("start", _Time, nullable=False),
        sa.Column("end", _Time, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _Time, nullable=False),
    )
    op.create_index("ix_incident_media_incident_id", "incident_media", ["incident_id"])
    op.create_table(
        "video_extractions",
        _id(),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("start", _Time, nullable=False),
        sa.Column("end", _Time, nullable=False),
        sa.Column("actual_start", _Time, nullable=False),
        sa.Column("actual_end", _Time, nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("card_number", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("requisition", sa.Text, nullable=False),
        sa.Column("created_at", _Time, nullable=False),
        sa.Column("held_until", _Time, nullable=True),
    )
    op.create_index("ix_video_extractions_camera_id", "video_extractions", ["camera_id"])
    op.create_table(
        "video_holds",
        _id(),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("start", _Time, nullable=False),
        sa.Column("end", _Time, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("created_at", _Time, nullable=False),
        sa.Column("released_at", _Time, nullable=True),
        sa.Column("released_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_video_holds_camera_id", "video_holds", ["camera_id"])


def downgrade() -> None:
    for table in ("video_holds", "video_extractions", "incident_media", "video_segments"):
        op.drop_table(table)
    op.drop_index("ix_cameras_site_id", table_name="cameras")
    op.drop_table("cameras")
