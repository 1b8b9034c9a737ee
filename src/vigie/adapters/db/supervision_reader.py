"""What the supervisor's page reads that the queue does not give: incidents closed since
a time (read-only, on the ``incidents`` table)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from vigie.adapters.db.engine import as_utc
from vigie.adapters.db.incident_tables import incidents
from vigie.services.supervision import ClosedIncident

__all__ = ["SqlSupervision"]


class SqlSupervision:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def closed_since(self, since: datetime) -> list[ClosedIncident]:
        c = incidents.c
        query = (
            select(c.id, c.opened_at, c.claimed_at, c.closed_at, c.closed_by)
            .where(c.closed_at.is_not(None), c.closed_at >= since)
            .order_by(c.closed_at)
        )
        with self._engine.connect() as conn:
            return [
                ClosedIncident(
                    int(row.id),
                    as_utc(row.opened_at),
                    as_utc(row.claimed_at) if row.claimed_at is not None else None,
                    as_utc(row.closed_at),
                    row.closed_by or "",
                )
                for row in conn.execute(query)
            ]
