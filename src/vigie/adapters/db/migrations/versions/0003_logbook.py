"""Logbook (main courante): append-only, hash-chained.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28

A branch of its own from 0001; ``upgrade`` goes to every head. Triggers refuse UPDATE and
DELETE (and TRUNCATE on PostgreSQL) so that no code path, ours or a careless script's, can
rewrite the record; the hash chain still catches whoever drops the triggers first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

_BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_PG_UP = [
    """
    CREATE FUNCTION logbook_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'logbook is append-only (% refused)', TG_OP;
    END
    $$
    """,
    """
    CREATE TRIGGER logbook_no_update_delete BEFORE UPDATE OR DELETE ON logbook
    FOR EACH ROW EXECUTE FUNCTION logbook_append_only()
    """,
    """
    CREATE TRIGGER logbook_no_truncate BEFORE TRUNCATE ON logbook
    FOR EACH STATEMENT EXECUTE FUNCTION logbook_append_only()
    """,
]
_PG_DOWN = [
    "DROP TRIGGER IF EXISTS logbook_no_truncate ON logbook",
    "DROP TRIGGER IF EXISTS logbook_no_update_delete ON logbook",
    "DROP FUNCTION IF EXISTS logbook_append_only()",
]
_SQLITE_UP = [
    """
    CREATE TRIGGER logbook_no_update BEFORE UPDATE ON logbook
    BEGIN SELECT RAISE(ABORT, 'logbook is append-only (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER logbook_no_delete BEFORE DELETE ON logbook
    BEGIN SELECT RAISE(ABORT, 'logbook is append-only (DELETE refused)'); END
    """,
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS logbook_no_update",
    "DROP TRIGGER IF EXISTS logbook_no_delete",
]


def upgrade() -> None:
    op.create_table(
        "logbook",
        sa.Column("id", _BigInt, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("card_number", sa.String(64), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=True),
        sa.Column("incident_id", _BigInt, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("corrects", _BigInt, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("prev_hash", name="uq_logbook_prev_hash"),
    )
    op.create_index("ix_logbook_site_id", "logbook", ["site_id", "id"])
    op.create_index("ix_logbook_incident_id", "logbook", ["incident_id", "id"])
    op.create_index("ix_logbook_at", "logbook", ["at"])
    op.create_index("ix_logbook_author", "logbook", ["author"])
    for statement in _PG_UP if _is_postgres() else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _PG_DOWN if _is_postgres() else _SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("logbook")


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
