"""Tables of incidents and their alarms (migrations 0004, 0006)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from vigie.adapters.db.tables import _BigId, metadata

__all__ = ["alarms", "engine_snapshots", "incidents"]

incidents = Table(
    "incidents",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("site_id", String(64), nullable=True),
    Column("state", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("holder", String(100), nullable=True),
    Column("hold_until", DateTime(timezone=True), nullable=True),
    Column("escalated_at", DateTime(timezone=True), nullable=True),
    Column("first_displayed_at", DateTime(timezone=True), nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("first_action_at", DateTime(timezone=True), nullable=True),
    Column("dispatched_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("comment", Text, nullable=False),
    Column("closed_by", String(100), nullable=True),
    Column("steps", JSON, nullable=False),
    # migration 0006: the incident's work (call attempts, dispatches, back to normal)
    Column("calls", JSON, nullable=False, server_default="[]"),
    Column("dispatches", JSON, nullable=False, server_default="[]"),
    Column("back_to_normal", JSON, nullable=False, server_default="{}"),
    Index("ix_incidents_queue", "state", "priority", "opened_at"),
    Index("ix_incidents_site_state", "site_id", "state"),
)

alarms = Table(
    "alarms",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("incident_id", _BigId, ForeignKey("incidents.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("site_id", String(64), nullable=True),
    Column("account", String(64), nullable=True),
    Column("code", String(16), nullable=False),
    Column("description", String(300), nullable=False),
    Column("zone", String(16), nullable=True),
    Column("zone_label", String(200), nullable=False),
    Column("partition", String(16), nullable=True),
    Column("user", String(16), nullable=True),
    Column("user_name", String(200), nullable=False),
    Column("count", Integer, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=True),
    Column("restored_at", DateTime(timezone=True), nullable=True),
    Column("reminded_at", DateTime(timezone=True), nullable=True),
    Column("signal_ids", JSON, nullable=False),
    Index("ix_alarms_incident", "incident_id"),
    Index("ix_alarms_key", "key", "restored_at"),
)

engine_snapshots = Table(
    "engine_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_signal_id", _BigId, nullable=False),
    Column("state", JSON, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)
