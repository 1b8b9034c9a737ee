"""The ``users`` and ``sessions`` tables. Owned by migration 0005.

Sessions live on the server so that signing out, an unlock or a lock-out takes effect
on the very next request. The cookie carries a random token; only its SHA-256 is stored,
so a copy of the database does not hand out live sessions.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table

from vigie.adapters.db.tables import metadata

__all__ = ["sessions", "users"]

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("card_number", String(64), nullable=False),
    Column("card_expiry", Date, nullable=False),
    Column("language", String(2), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256(token), hex
    Column("user_name", String(64), ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("source", String(128), nullable=False),
    Column("user_agent", String(300), nullable=False),
    Index("ix_sessions_user_name", "user_name"),
    Index("ix_sessions_expires_at", "expires_at"),
)
