"""What the processor reads and writes, in SQL.

The processor takes a batch of unprocessed journal signals and, in ONE write
transaction, applies the engine's decisions (alarms grouped into incidents), appends the
main-courante entries and marks the signals processed. A crash before the commit leaves
the signals unprocessed: they are taken again, never half-applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.incident_tables import alarms, engine_snapshots, incidents
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.signal_reader import signal_from_row
from vigie.adapters.db.tables import signals
from vigie.domain.incidents import Alarm, AlarmOf, Incident
from vigie.domain.logbook import LogDraft
from vigie.domain.signals import SignalRecord, StoredSignal

__all__ = ["ProcessingTransaction", "SqlProcessing"]


class ProcessingTransaction:
    """The processor's view of one open write transaction."""

    def __init__(self, conn: Connection, incidents: SqlIncidents, logbook: SqlLogbook) -> None:
        self._conn = conn
        self._incidents = incidents
        self._logbook = logbook

    def open_incident(self, site_id: str | None, account: str | None) -> Incident | None:
        return self._incidents.open_for_site(self._conn, site_id, account)

    def new_incident(self, incident: Incident, key: str) -> Incident:
        alarms_of = list(incident.alarms)
        incident.alarms = []
        self._incidents.insert(self._conn, incident)
        assert incident.id is not None
        for alarm in alarms_of:
            self._incidents.insert_alarm(self._conn, incident.id, alarm, key)
            incident.alarms.append(alarm)
        return incident

    def add_alarm(self, incident: Incident, alarm: Alarm, key: str, priority: int) -> None:
        assert incident.id is not None
        before = incident.priority
        incident.add_alarm(alarm, priority)
        self._incidents.insert_alarm(self._conn, incident.id, alarm, key)
        if incident.priority != before:
            self._conn.execute(
                update(incidents)
                .where(incidents.c.id == incident.id)
                .values(priority=incident.priority)
            )

    def alarm(self, key: str) -> AlarmOf | None:
        return self._incidents.alarm_by_key(self._conn, key)

    def save_alarm(self, alarm: Alarm) -> None:
        self._incidents.save_alarm(self._conn, alarm)

    def reminded(self, alarm: Alarm, at: datetime) -> None:
        assert alarm.id is not None
        self._conn.execute(update(alarms).where(alarms.c.id == alarm.id).values(reminded_at=at))

    def log(self, drafts: list[LogDraft]) -> None:
        self._logbook.append_in(self._conn, drafts)

    def processed(self, signal_ids: list[int], at: datetime) -> None:
        if signal_ids:
            self._conn.execute(
                update(signals).where(signals.c.id.in_(signal_ids)).values(processed_at=at)
            )

    def snapshot(self, last_signal_id: int, state: dict[str, Any], at: datetime) -> None:
        self._conn.execute(delete(engine_snapshots))
        self._conn.execute(
            engine_snapshots.insert(),
            {"id": 1, "last_signal_id": last_signal_id, "state": state, "saved_at": at},
        )


class SqlProcessing:
    def __init__(self, engine: Engine, incidents: SqlIncidents, logbook: SqlLogbook) -> None:
        self._engine = engine
        self._incidents = incidents
        self._logbook = logbook

    @contextmanager
    def transaction(self) -> Iterator[ProcessingTransaction]:
        with write_transaction(self._engine) as conn:
            yield ProcessingTransaction(conn, self._incidents, self._logbook)

    def unprocessed(self, limit: int) -> list[tuple[StoredSignal, SignalRecord]]:
        query = select(signals).where(signals.c.processed_at.is_(None)).order_by(signals.c.id)
        with self._engine.connect() as conn:
            return [signal_from_row(r._mapping) for r in conn.execute(query.limit(limit))]

    def processed_after(
        self, signal_id: int, batch: int = 1000
    ) -> Iterator[tuple[StoredSignal, SignalRecord]]:
        """Signals already processed after a snapshot: replayed to rebuild engine state."""
        after = signal_id
        while True:
            query = (
                select(signals)
                .where(signals.c.id > after, signals.c.processed_at.is_not(None))
                .order_by(signals.c.id)
                .limit(batch)
            )
            with self._engine.connect() as conn:
                rows = [signal_from_row(r._mapping) for r in conn.execute(query)]
            if not rows:
                return
            yield from rows
            after = rows[-1][0].id

    def snapshot(self) -> tuple[int, dict[str, Any]] | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(engine_snapshots).where(engine_snapshots.c.id == 1)).first()
        if row is None:
            return None
        return int(row.last_signal_id), dict(row.state)

    def closed_alarm_keys(self, since: datetime) -> list[tuple[str, datetime]]:
        """Alarms whose incident an operator closed since ``since`` (any process)."""
        query = (
            select(alarms.c.key, incidents.c.closed_at)
            .join(incidents, incidents.c.id == alarms.c.incident_id)
            .where(incidents.c.closed_at.is_not(None), incidents.c.closed_at > since)
        )
        with self._engine.connect() as conn:
            return [(str(k), as_utc(c)) for k, c in conn.execute(query)]
