"""The ``logbook`` table (main courante). Owned by migration 0003.

Ids are the chain's sequence numbers, given by the store under its append lock, not by
the database: the hash covers the id, so it must be known before the row is written.
``prev_hash`` is unique: even a store bug could not fork the chain.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from vigie.adapters.db.tables import metadata

__all__ = ["logbook"]

_BigInt = BigInteger().with_variant(Integer(), "sqlite")

logbook = Table(
    "logbook",
    metadata,
    Column("id", _BigInt, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(128), nullable=False),
    Column("role", String(64), nullable=False),
    Column("card_number", String(64), nullable=False),
    Column("source", String(128), nullable=False),
    Column("site_id", String(64), nullable=True),
    Column("incident_id", _BigInt, nullable=True),
    Column("data", JSON, nullable=False),
    Column("corrects", _BigInt, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("prev_hash", name="uq_logbook_prev_hash"),
    Index("ix_logbook_site_id", "site_id", "id"),
    Index("ix_logbook_incident_id", "incident_id", "id"),
    Index("ix_logbook_at", "at"),
    Index("ix_logbook_author", "author"),
)
