"""SQLAlchemy Core tables of the register (schema owned by migration 0002).

Sites are stored as one JSON document each (schedule, zones, contacts...) next to the
columns that are looked up: the engine loads whole sites, and a document keeps the
schema stable while the register's model grows. Transmitters (table of 0001) are
linked to sites through ``site_transmitters``: one site per transmitter path.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from vigie.adapters.db.tables import metadata

__all__ = ["customers", "procedures", "providers", "site_transmitters", "sites"]

customers = Table(
    "customers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("phone", String(64), nullable=False, default=""),
    Column("email", String(200), nullable=False, default=""),
    Column("address", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("customer_id", String(64), ForeignKey("customers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("city", String(200), nullable=False, default=""),
    Column("document", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_sites_customer_id", "customer_id"),
)

providers = Table(
    "providers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("document", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

procedures = Table(
    "procedures",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("site_id", String(64), ForeignKey("sites.id", ondelete="CASCADE"), nullable=True),
    Column("document", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_procedures_site_id", "site_id"),
)

site_transmitters = Table(
    "site_transmitters",
    metadata,
    Column(
        "transmitter_id",
        Integer,
        ForeignKey("transmitters.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("site_id", String(64), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Index("ix_site_transmitters_site_id", "site_id"),
)
