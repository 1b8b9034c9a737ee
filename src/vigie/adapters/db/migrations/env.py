"""Alembic environment: runs on the connection Vigie hands it (see migrate.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from vigie.adapters.db.tables import metadata

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `vigie db upgrade`, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
