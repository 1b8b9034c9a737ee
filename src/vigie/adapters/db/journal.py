"""The signal journal on SQL, with group commit.

Receivers hand records to ``append`` and wait; one writer thread takes everything that
queued up while the previous commit ran, writes it in a single transaction, commits, and
only then wakes the waiters, which write their ACKs. One fsync serves hundreds of frames,
so "ACK after commit" (design invariant 1) costs little at high rates.

A retransmission (same decoded content as an accepted frame within the duplicate window)
is stored too, with ``duplicate_of`` pointing at the first copy, so it is answered again
but processed once.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text

from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.adapters.db.tables import signals
from vigie.domain.signals import SignalRecord, StoredSignal

__all__ = ["GroupCommitJournal", "JournalClosed", "record_to_row"]

log = logging.getLogger(__name__)


class JournalClosed(RuntimeError):
    """The journal is shut down; nothing more can be made durable."""


@dataclass(slots=True)
class _Pending:
    record: SignalRecord
    future: asyncio.Future[StoredSignal]
    loop: asyncio.AbstractEventLoop


_STOP = object()


class GroupCommitJournal:
    def __init__(
        self, engine: Engine, *, duplicate_window: float = 600.0, max_batch: int = 500
    ) -> None:
        self._engine = engine
        self._window = timedelta(seconds=duplicate_window)
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.on_commit: Callable[[], None] | None = None  # wakes the processor
        self.batches = 0
        self.records = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
            self._thread.start()

    def submit(self, record: SignalRecord) -> asyncio.Future[StoredSignal]:
        """Queue a record; the future resolves once it is committed (call from a loop)."""
        if self._closed:
            raise JournalClosed("the signal journal is closed")
        self.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoredSignal] = loop.create_future()
        self._queue.put(_Pending(record, future, loop))
        return future

    async def append(self, record: SignalRecord) -> StoredSignal:
        return await self.submit(record)

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)

    # -- writer thread -------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            self._write([p for p in batch if isinstance(p, _Pending)])

    def _write(self, batch: list[_Pending]) -> None:
        try:
            stored = self._commit([p.record for p in batch])
        except Exception as exc:  # the waiters must hear of it: no ACK without a commit
            log.exception("journal commit failed for %d frames; none is acknowledged", len(batch))
            _wake_waiters(batch, [exc] * len(batch))
            time.sleep(0.2)  # a database that is down should not be hammered
            return
        self.batches += 1
        self.records += len(batch)
        _wake_waiters(batch, stored)
        if self.on_commit is not None:
            self.on_commit()

    def _commit(self, records: Sequence[SignalRecord]) -> list[StoredSignal]:
        with write_transaction(self._engine) as conn:
            ids = _allocate_ids(conn, len(records))
            originals = self._known_originals(conn, records)
            rows, results = [], []
            for record, new_id in zip(records, ids, strict=True):
                key = record.dedup_key
                original = originals.get(key) if key is not None else None
                if key is not None and original is None:
                    originals[key] = new_id  # later copies in this batch point here
                row = record_to_row(record)
                row["id"], row["duplicate_of"] = new_id, original
                rows.append(row)
                results.append(StoredSignal(id=new_id, duplicate_of=original))
            # One fixed statement, executed for many rows: the driver prepares it once.
            conn.execute(signals.insert(), rows)
            return results

    def _known_originals(self, conn: Any, records: Sequence[SignalRecord]) -> dict[str, int]:
        """For each key of the batch, the latest original stored within the window."""
        keyed = [r for r in records if r.dedup_key is not None]
        if not keyed or not self._window:
            return {}
        latest = dict(
            conn.execute(
                select(signals.c.dedup_key, func.max(signals.c.id))
                .where(
                    signals.c.dedup_key.in_({r.dedup_key for r in keyed}),
                    signals.c.duplicate_of.is_(None),
                )
                .group_by(signals.c.dedup_key)
            ).all()
        )
        if not latest:
            return {}
        times = dict(
            conn.execute(
                select(signals.c.id, signals.c.received_at).where(signals.c.id.in_(latest.values()))
            ).all()
        )
        found: dict[str, int] = {}
        for record in keyed:
            assert record.dedup_key is not None
            first = latest.get(record.dedup_key)
            if first is None:
                continue
            if record.received_at - as_utc(times[first]) <= self._window:
                found[record.dedup_key] = int(first)
        return found


def _allocate_ids(conn: Any, count: int) -> list[int]:
    """Ids for a batch, known before the insert (no RETURNING, no per-row round trip).

    PostgreSQL hands them out from the column's sequence; on SQLite the write transaction
    holds the database lock, so the next ids after the largest are ours.
    """
    if conn.dialect.name == "postgresql":
        query = text(
            "SELECT nextval(pg_get_serial_sequence('signals', 'id')) FROM generate_series(1, :n)"
        )
        return [int(v) for v in conn.execute(query, {"n": count}).scalars()]
    last = conn.execute(select(func.max(signals.c.id))).scalar() or 0
    return list(range(int(last) + 1, int(last) + 1 + count))


def record_to_row(record: SignalRecord) -> dict[str, Any]:
    return {
        "received_at": record.received_at,
        "listener": record.listener,
        "transport": record.transport.value,
        "peer": record.peer,
        "raw": record.raw,
        "token": record.token,
        "encrypted": record.encrypted,
        "sequence": record.sequence,
        "receiver": record.receiver,
        "prefix": record.prefix,
        "account": record.account,
        "known_account": record.known_account,
        "panel_time": record.panel_time,
        "events": [e.as_dict() for e in record.events],
        "extended": [list(x) for x in record.extended],
        "error": record.error,
        "detail": record.detail,
        "reply_kind": record.reply_kind,
        "reply": record.reply,
        "dedup_key": record.dedup_key,
    }


def _wake_waiters(batch: list[_Pending], outcomes: Sequence[StoredSignal | Exception]) -> None:
    """One wake-up per event loop for the whole batch, not one per frame."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[StoredSignal], Any]]] = {}
    for pending, outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(pending.loop, []).append((pending.future, outcome))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:
            log.warning("%d frames committed after their listener stopped", len(settled))


def _settle(settled: list[tuple[asyncio.Future[StoredSignal], Any]]) -> None:
    for future, outcome in settled:
        if future.done():
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
