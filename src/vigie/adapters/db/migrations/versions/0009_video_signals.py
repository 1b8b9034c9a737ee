"""Room in the journal and the alarms for video signals.

Revision ID: 0009
Revises: 0006, 0008
Create Date: 2026-11-28

A video event is journalled like a panel frame: its transport is "video" (5 characters,
where "tcp"/"udp" needed 3) and its account is the camera id (up to 64 characters). SQLite
does not enforce VARCHAR lengths, so only PostgreSQL's columns change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = ("0006", "0008")
branch_labels = None
depends_on = None

_WIDER = (
    ("signals", "transport", 3, 8),
    ("signals", "account", 32, 64),
    ("alarms", "account", 32, 64),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, before, after in _WIDER:
        op.alter_column(table, column, type_=sa.String(after), existing_type=sa.String(before))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, before, after in _WIDER:
        op.alter_column(table, column, type_=sa.String(before), existing_type=sa.String(after))
