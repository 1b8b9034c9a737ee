"""The video tables: cameras, segments, incident media, extractions, legal holds.

Owned by migration 0008. Times are UTC; geometry and rules are JSON; credentials are
Fernet tokens (``services.credential_box``), never clear text.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from vigie.adapters.db.tables import metadata

__all__ = ["cameras", "incident_media", "video_extractions", "video_holds", "video_segments"]

_BigId = BigInteger().with_variant(Integer(), "sqlite")
_Time = DateTime(timezone=True)

cameras = Table(
    "cameras",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("site_id", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("main_url", String(1000), nullable=False),
    Column("sub_url", String(1000), nullable=False),
    Column("username_enc", Text, nullable=False),
    Column("password_enc", Text, nullable=False),
    Column("onvif_url", String(1000), nullable=False),
    Column("retention_days", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("config", JSON, nullable=False),  # zones, masks, rules, analytics settings
)

video_segments = Table(
    "video_segments",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("camera_id", String(64), nullable=False),
    Column("start", _Time, nullable=False),
    Column("end", _Time, nullable=False),
    Column("path", String(1000), nullable=False),
    Column("size", BigInteger, nullable=False),
    Index("ix_video_segments_camera_start", "camera_id", "start"),
)

incident_media = Table(
    "incident_media",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("incident_id", BigInteger, nullable=False, index=True),
    Column("alarm_id", BigInteger, nullable=True),
    Column("camera_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("path", String(1000), nullable=False),
    Column("start", _Time, nullable=False),
    Column("end", _Time, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", _Time, nullable=False),
)

video_extractions = Table(
    "video_extractions",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("camera_id", String(64), nullable=False, index=True),
    Column("start", _Time, nullable=False),
    Column("end", _Time, nullable=False),
    Column("actual_start", _Time, nullable=False),
    Column("actual_end", _Time, nullable=False),
    Column("path", String(1000), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("card_number", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("requisition", Text, nullable=False),
    Column("created_at", _Time, nullable=False),
    Column("held_until", _Time, nullable=True),
)

video_holds = Table(
    "video_holds",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("camera_id", String(64), nullable=False, index=True),
    Column("start", _Time, nullable=False),
    Column("end", _Time, nullable=False),
    Column("reason", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("user", String(64), nullable=False),
    Column("created_at", _Time, nullable=False),
    Column("released_at", _Time, nullable=True),
    Column("released_by", String(64), nullable=False),
)
