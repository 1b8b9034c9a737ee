"""Bring a database to the latest schema with Alembic, safely from several processes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

__all__ = ["upgrade"]

_SCRIPTS = Path(__file__).with_name("migrations")
# Any constant will do: it only serialises Vigie processes upgrading the same database.
_PG_LOCK = 0x56494749


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate to ``heads``: features add their tables on branches of their own."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
