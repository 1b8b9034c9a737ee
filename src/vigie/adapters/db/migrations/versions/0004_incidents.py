"""Incidents, alarms, the engine's state snapshot; unprocessed-signal index.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = ("incidents",)
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("opened_at", _Time, nullable=False),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("hold_until", _Time, nullable=True),
        sa.Column("escalated_at", _Time, nullable=True),
        sa.Column("first_displayed_at", _Time, nullable=True),
        sa.Column("claimed_at", _Time, nullable=True),
        sa.Column("first_action_at", _Time, nullable=True),
        sa.Column("dispatched_at", _Time, nullable=True),
        sa.Column("closed_at", _Time, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("closed_by", sa.String(100), nullable=True),
        sa.Column("steps", sa.JSON, nullable=False),
    )
    op.create_index("ix_incidents_queue", "incidents", ["state", "priority", "opened_at"])
    op.create_index("ix_incidents_site_state", "incidents", ["site_id", "state"])
    op.create_table(
        "alarms",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("incident_id", _BigId, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=True),
        sa.Column("account", sa.String(32), nullable=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("zone", sa.String(16), nullable=True),
        sa.Column("zone_label", sa.String(200), nullable=False),
        sa.Column("partition", sa.String(16), nullable=True),
        sa.Column("user", sa.String(16), nullable=True),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("raised_at", _Time, nullable=False),
        sa.Column("last_at", _Time, nullable=True),
        sa.Column("restored_at", _Time, nullable=True),
        sa.Column("reminded_at", _Time, nullable=True),
        sa.Column("signal_ids", sa.JSON, nullable=False),
    )
    op.create_index("ix_alarms_incident", "alarms", ["incident_id"])
    op.create_index("ix_alarms_key", "alarms", ["key", "restored_at"])
    op.create_table(
        "engine_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_signal_id", _BigId, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("saved_at", _Time, nullable=False),
    )
    # The processor's work list: signals not yet processed, found without a scan.
    op.create_index(
        "ix_signals_unprocessed",
        "signals",
        ["id"],
        sqlite_where=sa.text("processed_at IS NULL"),
        postgresql_where=sa.text("processed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_signals_unprocessed", table_name="signals")
    op.drop_table("engine_snapshots")
    op.drop_table("alarms")
    op.drop_table("incidents")
