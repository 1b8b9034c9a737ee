"""Queue changes across station processes on PostgreSQL: LISTEN/NOTIFY.

Several processes may serve consoles from one database (web nodes, a standby processor).
Each process's ``LiveHub`` wakes its own consoles; to learn of a change made elsewhere
without every console polling the database, each process runs a ``PgQueueNotifier``:

* ``publish(ids)`` sends ``NOTIFY vigie_queue, '<this process's token>:<ids>'``, the
  incidents the change touched as ``7,12`` (``*`` when not known, or too many for a
  payload); set it as the hub's ``publish``;
* a thread holds one dedicated connection in ``LISTEN vigie_queue`` and calls
  ``on_change(ids)`` for every notification from *another* process (its own are skipped:
  the local hub already woke), and ``on_change(None)`` once after each (re)connection,
  since notifications sent while it was away are lost (the consoles then re-read the
  whole queue).

psycopg (3) directly, not the SQLAlchemy pool: a listening connection is never returned.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable

import psycopg
from sqlalchemy import Engine, text

__all__ = ["CHANNEL", "PgQueueNotifier"]

log = logging.getLogger(__name__)

CHANNEL = "vigie_queue"
MAX_PAYLOAD = 7000  # PostgreSQL refuses payloads of 8,000 bytes and more


def payload(token: str, ids: Iterable[int] | None) -> str:
    """``token:7,12`` (``token:*``: the incidents are not known)."""
    listed = "*" if ids is None else ",".join(str(i) for i in sorted(ids))
    if len(token) + 1 + len(listed) > MAX_PAYLOAD:
        listed = "*"
    return f"{token}:{listed}"


def parse_payload(text: str) -> tuple[str, frozenset[int] | None]:
    """The sender's token and the incidents it named (None: not known, or unreadable)."""
    token, _, listed = text.partition(":")
    if not listed:
        return token, frozenset()  # a change that touched no incident
    parts = listed.split(",")
    if not all(part.isdigit() for part in parts):
        return token, None  # "*", or an older sender's payload: read the whole queue
    return token, frozenset(int(part) for part in parts)


def libpq_url(engine: Engine) -> str:
    """The engine's URL as psycopg takes it (``postgresql+psycopg://`` -> ``postgresql://``)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class PgQueueNotifier:
    def __init__(
        self,
        engine: Engine,
        on_change: Callable[[frozenset[int] | None], None],
        *,
        channel: str = CHANNEL,
        retry: float = 2.0,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("LISTEN/NOTIFY needs PostgreSQL")
        self._engine = engine
        self._on_change = on_change
        self._channel = channel
        self._retry = retry
        self.token = uuid.uuid4().hex  # this process's notifications carry it
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self.received = 0  # notifications from other processes (tests, health)

    # -- sending ------------------------------------------------------------------------

    def publish(self, ids: Iterable[int] | None = None) -> None:
        """Tell the other processes the queue changed, in the incidents ``ids`` (None: not
        known); any thread, one round trip."""
        with self._engine.begin() as conn:
            conn.execute(
                text("SELECT pg_notify(:c, :p)"),
                {"c": self._channel, "p": payload(self.token, ids)},
            )

    # -- listening ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="queue-listen", daemon=True)
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """True once the LISTEN is in place (tests, start-up)."""
        return self._listening.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                log.warning("queue notifications interrupted (%s); again in %.0f s",
                            type(exc).__name__, self._retry)  # fmt: skip
            self._listening.clear()
            self._stop.wait(self._retry)

    def _listen(self) -> None:
        with psycopg.connect(libpq_url(self._engine), autocommit=True) as conn:
            conn.execute(f'LISTEN "{self._channel}"')
            self._listening.set()
            self._changed(None)  # anything sent while this process was not listening
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.5):
                    sender, ids = parse_payload(note.payload)
                    if sender != self.token:
                        self.received += 1
                        self._changed(ids)

    def _changed(self, ids: frozenset[int] | None) -> None:
        try:
            self._on_change(ids)
        except Exception:  # a console's trouble must not stop the listener
            log.exception("queue change callback failed")
