"""Engines for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

__all__ = ["as_utc", "make_engine", "normalise_url", "write_transaction"]


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; SQLite paths get their folder created."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_engine(url: str) -> Engine:
    _, _, path = url.partition(":///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets the API read while the receiver writes; FULL makes a commit survive
        # power loss, which is what an ACK promises. Group commit pays for it.
        dbapi_conn.isolation_level = None  # BEGIN is ours to emit: see _begin
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A write transaction takes SQLite's write lock up front (IMMEDIATE): a deferred
        # one that reads then writes fails when another process committed in between.
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that reads then writes: serialised on SQLite, plain on PostgreSQL.

    On SQLite, writers of this process also queue on a lock first: SQLite's own busy
    handler retries with growing sleeps, which shows up as tens of milliseconds of ACK
    latency when the journal and the processor want the database at the same moment.
    """
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn, conn.begin():
            yield conn
        return
    with _REGISTRY_LOCK:
        lock = _SQLITE_WRITERS.setdefault(engine, threading.RLock())
    with lock, engine.connect().execution_options(immediate=True) as conn, conn.begin():
        yield conn


def as_utc(value: datetime) -> datetime:
    """An aware UTC time: SQLite hands stored times back naive, and they are all UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
