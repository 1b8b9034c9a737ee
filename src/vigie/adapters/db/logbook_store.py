"""The logbook on SQL: serialised appends, filtered reads, streamed verification.

Appending means reading the last hash and writing the next entry; two writers doing that
at once would fork the chain. So every append runs under one lock held until commit:

* PostgreSQL: ``pg_advisory_xact_lock`` — held by the transaction, released by its commit
  or rollback, shared by every process on the database;
* SQLite: ``BEGIN IMMEDIATE`` (``engine.write_transaction``) takes the database's write
  lock *before* the read; a deferred transaction would read, then fail or wait at the
  INSERT once another writer had committed in between.

A unique constraint on ``prev_hash`` backs this up: a fork cannot even be written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, insert, select

from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.adapters.db.logbook_tables import logbook
from vigie.domain.logbook import (
    GENESIS_HASH,
    ChainBreak,
    LogDraft,
    LogEntry,
    LogKind,
    chain,
    verify_chain,
)

__all__ = ["APPEND_LOCK_KEY", "SqlLogbook", "entry_from_row", "entry_to_row"]

log = logging.getLogger(__name__)

APPEND_LOCK_KEY = 0x4C4F4742  # "LOGB": any constant shared by every Vigie process


class SqlLogbook:
    """The ``LogbookStore`` port on SQLAlchemy Core, for SQLite and PostgreSQL."""

    def __init__(self, engine: Engine, *, batch_size: int = 1000) -> None:
        self._engine = engine
        self._batch_size = batch_size

    # -- writing --------------------------------------------------------------------

    def append(self, draft: LogDraft) -> LogEntry:
        return self.append_many([draft])[0]

    def append_many(self, drafts: Iterable[LogDraft]) -> list[LogEntry]:
        """Append in one transaction of our own; the entries are durable on return."""
        drafts = list(drafts)
        if not drafts:
            return []
        with write_transaction(self._engine) as conn:
            return self.append_in(conn, drafts)

    def append_in(self, conn: Connection, drafts: Iterable[LogDraft]) -> list[LogEntry]:
        """Append within the caller's transaction, which commits (or rolls back) them along
        with its own writes. The append lock is then held until that commit: keep the
        transaction short. On SQLite open it with ``write_transaction`` (BEGIN IMMEDIATE);
        a deferred one may fail with "database is locked", never fork the chain."""
        drafts = list(drafts)
        if not drafts:
            return []
        _take_append_lock(conn)
        last = conn.execute(
            select(logbook.c.id, logbook.c.hash).order_by(logbook.c.id.desc()).limit(1)
        ).first()
        last_id, last_hash = (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)
        entries = chain(drafts, last_id=last_id, last_hash=last_hash)
        conn.execute(insert(logbook), [entry_to_row(e) for e in entries])
        return entries

    # -- reading --------------------------------------------------------------------

    def get(self, entry_id: int) -> LogEntry | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(logbook).where(logbook.c.id == entry_id)).first()
        return entry_from_row(row._mapping) if row else None

    def last(self) -> LogEntry | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(logbook).order_by(logbook.c.id.desc()).limit(1)).first()
        return entry_from_row(row._mapping) if row else None

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(logbook)).scalar_one())

    def search(
        self,
        *,
        site_id: str | None = None,
        incident_id: int | None = None,
        author: str | None = None,
        text: str | None = None,
        kind: LogKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        after_id: int | None = None,
        newest_first: bool = False,
    ) -> list[LogEntry]:
        """Entries matching every filter given; ``text`` is a case-insensitive substring,
        ``since`` inclusive and ``until`` exclusive."""
        stmt = _time_filtered(select(logbook), since, until)
        if site_id is not None:
            stmt = stmt.where(logbook.c.site_id == site_id)
        if incident_id is not None:
            stmt = stmt.where(logbook.c.incident_id == incident_id)
        if author is not None:
            stmt = stmt.where(logbook.c.author == author)
        if kind is not None:
            stmt = stmt.where(logbook.c.kind == str(kind))
        if after_id is not None:
            stmt = stmt.where(logbook.c.id > after_id)
        order = logbook.c.id.desc() if newest_first else logbook.c.id.asc()
        stmt = stmt.order_by(order).limit(limit)
        with self._engine.connect() as conn:
            if text:
                stmt = stmt.where(_text_contains(conn, text))
            return [entry_from_row(row._mapping) for row in conn.execute(stmt)]

    def entries(
        self,
        from_id: int | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[LogEntry]:
        """Every entry in id order, fetched in keyset batches so memory stays flat and no
        read transaction stays open across millions of rows."""
        after = (from_id - 1) if from_id is not None else 0
        base = _time_filtered(select(logbook), since, until)
        while True:
            stmt = base.where(logbook.c.id > after).order_by(logbook.c.id).limit(self._batch_size)
            with self._engine.connect() as conn:
                batch = [entry_from_row(row._mapping) for row in conn.execute(stmt)]
            yield from batch
            if len(batch) < self._batch_size:
                return
            after = batch[-1].id

    def verify(self) -> ChainBreak | None:
        return verify_chain(self.entries())


def _take_append_lock(conn: Connection) -> None:
    # SQLite has one writer at a time: a transaction that began IMMEDIATE, or has written,
    # already excludes every other append.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})")


def _text_contains(conn: Connection, text: str) -> Any:
    if conn.dialect.name == "sqlite":
        # SQLite's lower() folds ASCII only; "Évacuation" must match "évacuation".
        driver = conn.connection.dbapi_connection
        assert driver is not None
        driver.create_function("vigie_lower", 1, _lower, deterministic=True)
        return func.vigie_lower(logbook.c.text).contains(text.lower(), autoescape=True)
    return logbook.c.text.icontains(text, autoescape=True)


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def _time_filtered(
    stmt: Select[Any], since: datetime | None, until: datetime | None
) -> Select[Any]:
    # SQLite compares stored UTC text: bounds must be UTC too.
    if since is not None:
        stmt = stmt.where(logbook.c.at >= as_utc(since))
    if until is not None:
        stmt = stmt.where(logbook.c.at < as_utc(until))
    return stmt


def entry_to_row(entry: LogEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "kind": str(entry.kind),
        "text": entry.text,
        "author": entry.author,
        "role": entry.role,
        "card_number": entry.card_number,
        "source": entry.source,
        "site_id": entry.site_id,
        "incident_id": entry.incident_id,
        "data": dict(entry.data),
        "corrects": entry.corrects,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def entry_from_row(row: Any) -> LogEntry:
    """Rebuild an entry exactly as stored: no validation, so that tampering shows in
    ``verify`` instead of failing the read."""
    at: datetime = row["at"]
    return LogEntry(
        id=int(row["id"]),
        at=as_utc(at),
        kind=_kind(row["kind"]),
        text=row["text"],
        author=row["author"],
        role=row["role"],
        card_number=row["card_number"],
        source=row["source"],
        site_id=row["site_id"],
        incident_id=int(row["incident_id"]) if row["incident_id"] is not None else None,
        data=row["data"],
        corrects=int(row["corrects"]) if row["corrects"] is not None else None,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _kind(value: str) -> LogKind:
    try:
        return LogKind(value)
    except ValueError:
        # A kind from a newer Vigie, or a tampered one: keep the text so the hash shows it.
        log.warning("logbook entry with unknown kind %r", value[:32])
        return value  # type: ignore[return-value]
