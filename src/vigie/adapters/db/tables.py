"""SQLAlchemy Core tables. The schema itself is owned by the Alembic migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

__all__ = ["metadata", "signals", "transmitters"]

metadata = MetaData()

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")

transmitters = Table(
    "transmitters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(16), nullable=False),
    Column("receiver", String(6), nullable=True),
    Column("prefix", String(6), nullable=True),
    Column("key", LargeBinary, nullable=True),
    Column("key_notation", String(8), nullable=True),
    Column("ignore_timestamp", Boolean, nullable=False, default=False),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account", "receiver", "prefix", name="uq_transmitter_path"),
)

signals = Table(
    "signals",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("listener", String(64), nullable=False, default=""),
    Column("transport", String(8), nullable=False),
    Column("peer", String(64), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("token", String(16), nullable=True),
    Column("encrypted", Boolean, nullable=False, default=False),
    Column("sequence", String(8), nullable=True),
    Column("receiver", String(8), nullable=True),
    Column("prefix", String(8), nullable=True),
    Column("account", String(64), nullable=True),
    Column("known_account", Boolean, nullable=False, default=False),
    Column("panel_time", DateTime(timezone=True), nullable=True),
    Column("events", JSON, nullable=False),
    Column("extended", JSON, nullable=False),
    Column("error", String(32), nullable=True),
    Column("detail", Text, nullable=False, default=""),
    Column("reply_kind", String(3), nullable=True),
    Column("reply", LargeBinary, nullable=False),
    Column("dedup_key", String(64), nullable=True),
    Column("duplicate_of", _BigId, nullable=True),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    Index("ix_signals_account_id", "account", "id"),
    Index("ix_signals_received_at", "received_at"),
    Index(
        "ix_signals_originals",
        "dedup_key",
        "id",
        sqlite_where=text("duplicate_of IS NULL"),
        postgresql_where=text("duplicate_of IS NULL"),
    ),
)
