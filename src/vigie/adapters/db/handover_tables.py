"""The ``handovers`` table (shift handovers). Owned by migration 0007."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, String, Table, Text

from vigie.adapters.db.tables import metadata

__all__ = ["handovers"]

_BigId = BigInteger().with_variant(Integer(), "sqlite")

handovers = Table(
    "handovers",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("outgoing", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("notes", Text, nullable=False),
    Column("items", JSON, nullable=False),
    Column("incoming", String(64), nullable=True),
    Column("signed_at", DateTime(timezone=True), nullable=True),
)
