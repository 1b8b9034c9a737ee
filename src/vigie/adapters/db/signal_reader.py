"""Reading the signal journal back (API, console)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from vigie.adapters.db.tables import signals
from vigie.domain.signals import SignalEvent, SignalRecord, StoredSignal, Transport
from vigie.services.ports import SignalFilter

__all__ = ["SqlSignalReader", "signal_from_row"]


class SqlSignalReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list(self, query: SignalFilter) -> Sequence[tuple[StoredSignal, SignalRecord]]:
        stmt = select(signals)
        if query.account is not None:
            stmt = stmt.where(signals.c.account == query.account)
        if query.since is not None:
            stmt = stmt.where(signals.c.received_at >= query.since)
        if query.after_id is not None:
            stmt = stmt.where(signals.c.id > query.after_id)
        order = signals.c.id.desc() if query.newest_first else signals.c.id.asc()
        stmt = stmt.order_by(order).limit(query.limit)
        with self._engine.connect() as conn:
            return [signal_from_row(row._mapping) for row in conn.execute(stmt)]


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def signal_from_row(row: Any) -> tuple[StoredSignal, SignalRecord]:
    received_at = _utc(row["received_at"])
    assert received_at is not None
    record = SignalRecord(
        received_at=received_at,
        listener=row["listener"],
        transport=Transport(row["transport"]),
        peer=row["peer"],
        raw=bytes(row["raw"]),
        reply_kind=row["reply_kind"],
        reply=bytes(row["reply"]),
        token=row["token"],
        encrypted=row["encrypted"],
        sequence=row["sequence"],
        receiver=row["receiver"],
        prefix=row["prefix"],
        account=row["account"],
        known_account=row["known_account"],
        panel_time=_utc(row["panel_time"]),
        events=tuple(SignalEvent.from_dict(e) for e in row["events"]),
        extended=tuple((str(a), str(b)) for a, b in row["extended"]),
        error=row["error"],
        detail=row["detail"],
        dedup_key=row["dedup_key"],
    )
    return StoredSignal(id=int(row["id"]), duplicate_of=row["duplicate_of"]), record
