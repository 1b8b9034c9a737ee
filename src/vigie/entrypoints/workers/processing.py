"""The processing worker: runs the processor and the queue's timers in a thread.

Woken as soon as the journal commits (same process) and at least every ``poll`` seconds
(signals received by another process). On PostgreSQL only one worker of the station
processes at a time: the one holding a session advisory lock; the others wait as hot
standbys and take over when it disappears (its connection, hence its lock, goes with it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import Connection, Engine, text

from vigie.services.incident_queue import IncidentQueue
from vigie.services.processor import Processor

__all__ = ["ProcessingWorker"]

log = logging.getLogger(__name__)

_LEADER_LOCK = 0x56504F43  # "VPOC": one processor per station
BURST_GAP = 0.25  # s: signals processed closer together than this are a burst


class ProcessingWorker:
    def __init__(
        self,
        processor: Processor,
        queue: IncidentQueue,
        db: Engine,
        *,
        poll: float = 0.5,
        tick_every: float = 1.0,
        coalesce: float = 0.02,
    ) -> None:
        self._processor = processor
        self._queue = queue
        self._db = db
        self._poll = poll
        self._tick_every = tick_every
        self._coalesce = coalesce
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.leader = False
        # Called (from this worker's thread) after a batch or a tick that changed
        # something, with the incidents it touched: the web consoles' hub hangs there.
        self.on_change: Callable[[Iterable[int] | None], None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="processor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                with self._leadership() as leading:
                    if not leading:
                        self._stop.wait(5)
                        continue
                    self.leader = True
                    self._processor.start()
                    self._serve()
                    backoff = 1.0
            except Exception:
                log.exception("processor failed; restarting in %.0f s", backoff)
                self.leader = False
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60)
        self.leader = False

    def _serve(self) -> None:
        last_tick = last_work = 0.0
        while not self._stop.is_set():
            while True:
                started = time.monotonic()
                done = self._processor.run_once()
                if done:
                    last_work = time.monotonic()
                    self._changed(self._processor.touched)
                if not done or self._stop.is_set():
                    break
                # Busy at most half the time: the receiver shares this process (and, on
                # SQLite, the write lock); an ACK must not wait behind a backlog.
                self._stop.wait(time.monotonic() - started)
            if time.monotonic() - last_tick >= self._tick_every:
                decided = self._processor.tick()
                touched = set(self._processor.touched)
                changed = self._queue.tick()
                touched.update(i.id for i in changed if i.id is not None)
                if changed or decided:
                    self._changed(touched)
                last_tick = time.monotonic()
            if self._wake.wait(self._poll) and time.monotonic() - last_work < BURST_GAP:
                # In a burst, let it gather: one larger batch costs the receiver less CPU
                # than many small ones, and an alarm is still in the queue well under a
                # second. A lone signal after a quiet spell is processed at once.
                self._stop.wait(self._coalesce)
            self._wake.clear()

    def _changed(self, incidents: Iterable[int]) -> None:
        if self.on_change is not None:
            try:
                self.on_change(set(incidents))
            except Exception:  # a console's trouble must not stop processing
                log.exception("change notification failed")

    def _leadership(self) -> AbstractContextManager[bool]:
        if self._db.dialect.name != "postgresql":
            return nullcontext(True)  # embedded SQLite: one station process
        return _PgLeader(self._db)


class _PgLeader(AbstractContextManager[bool]):
    """Holds ``pg_try_advisory_lock`` on a dedicated connection while leading."""

    def __init__(self, db: Engine) -> None:
        self._db = db
        self._conn: Connection | None = None

    def __enter__(self) -> bool:
        self._conn = self._db.connect()
        got = bool(
            self._conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": _LEADER_LOCK}
            ).scalar()
        )
        self._conn.commit()
        if got:
            log.info("this process is the station's processor")
        return got

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            # A pooled connection outlives close(): drop the session lock explicitly.
            self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
            self._conn.commit()
            self._conn.close()
