"""Reading the signal journal back (API, console)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select

from vigie.adapters.db.engine import as_utc
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


def signal_from_row(row: Any) -> tuple[StoredSignal, SignalRecord]:
    record = SignalRecord(
        received_at=as_utc(row["received_at"]),
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
        panel_time=as_utc(row["panel_time"]) if row["panel_time"] else None,
        events=tuple(SignalEvent.from_dict(e) for e in row["events"]),
        extended=tuple((str(a), str(b)) for a, b in row["extended"]),
        error=row["error"],
        detail=row["detail"],
        dedup_key=row["dedup_key"],
    )
    return StoredSignal(id=int(row["id"]), duplicate_of=row["duplicate_of"]), record
