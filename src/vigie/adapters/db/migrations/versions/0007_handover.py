"""Shift handovers (relève), signed by the outgoing and the incoming operator.

Revision ID: 0007
Revises: 0001
Create Date: 2026-12-06

A branch of its own from 0001 ("handover"); ``upgrade`` goes to every head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = ("handover",)
depends_on = None

_Time = sa.DateTime(timezone=True)
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "handovers",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("outgoing", sa.String(64), nullable=False),
        sa.Column("created_at", _Time, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("incoming", sa.String(64), nullable=True),
        sa.Column("signed_at", _Time, nullable=True),
    )
    op.create_index("ix_handovers_created_at", "handovers", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_handovers_created_at", table_name="handovers")
    op.drop_table("handovers")
