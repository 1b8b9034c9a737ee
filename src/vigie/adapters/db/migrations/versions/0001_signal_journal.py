"""Signal journal and transmitters.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "transmitters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(16), nullable=False),
        sa.Column("receiver", sa.String(6), nullable=True),
        sa.Column("prefix", sa.String(6), nullable=True),
        sa.Column("key", sa.LargeBinary, nullable=True),
        sa.Column("key_notation", sa.String(8), nullable=True),
        sa.Column("ignore_timestamp", sa.Boolean, nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account", "receiver", "prefix", name="uq_transmitter_path"),
    )
    op.create_table(
        "signals",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("listener", sa.String(64), nullable=False),
        sa.Column("transport", sa.String(3), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("token", sa.String(16), nullable=True),
        sa.Column("encrypted", sa.Boolean, nullable=False),
        sa.Column("sequence", sa.String(8), nullable=True),
        sa.Column("receiver", sa.String(8), nullable=True),
        sa.Column("prefix", sa.String(8), nullable=True),
        sa.Column("account", sa.String(32), nullable=True),
        sa.Column("known_account", sa.Boolean, nullable=False),
        sa.Column("panel_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("extended", sa.JSON, nullable=False),
        sa.Column("error", sa.String(32), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("reply_kind", sa.String(3), nullable=True),
        sa.Column("reply", sa.LargeBinary, nullable=False),
        sa.Column("dedup_key", sa.String(64), nullable=True),
        sa.Column("duplicate_of", _BigId, nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_signals_account_id", "signals", ["account", "id"])
    op.create_index("ix_signals_received_at", "signals", ["received_at"])
    # Retransmission lookup: the latest original with a key (duplicates never match).
    op.create_index(
        "ix_signals_originals",
        "signals",
        ["dedup_key", "id"],
        sqlite_where=sa.text("duplicate_of IS NULL"),
        postgresql_where=sa.text("duplicate_of IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("signals")
    op.drop_table("transmitters")
