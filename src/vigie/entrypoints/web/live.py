"""The console's push channel: an in-process hub that wakes every connected console.

``notify()`` may be called from any thread (the processing worker runs in one; sync
routes run in the thread pool): each waiting console is woken in its own event loop with
``loop.call_soon_threadsafe``. A woken console reads the shared view of the queue (one
read and one rendering of the changed rows per change, ``console_live``) and sends only
the rows that changed.

Changes made by *another* process (a second station process on PostgreSQL) reach this
one in two ways: ``publish`` (set to ``PgQueueNotifier.publish``) tells the others at
each local ``notify()``, and their ``PgQueueNotifier`` calls ``changed_elsewhere()``
here; and, as a safety net, consoles re-read the queue every ``poll`` seconds when
nothing woke them (1 s by default; minutes are enough once LISTEN/NOTIFY is wired).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

__all__ = ["LiveHub"]

log = logging.getLogger(__name__)


class LiveHub:
    def __init__(self, poll: float = 1.0, publish: Callable[[], None] | None = None) -> None:
        self.poll = poll
        self.publish = publish  # tells the other processes (see the module's docstring)
        self.version = 0
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def listeners(self) -> int:
        return len(self._waiters)

    def notify(self) -> None:
        """Something in the queue changed here (callable from any thread)."""
        self.changed_elsewhere()
        if self.publish is not None:
            try:
                self.publish()
            except Exception:  # the other processes still poll: log, never fail the caller
                log.exception("could not tell the other processes about a queue change")

    def changed_elsewhere(self) -> None:
        """Another process changed the queue: wake this process's consoles only."""
        with self._lock:
            self.version += 1
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that console's loop is gone
                with self._lock:
                    self._waiters.discard((loop, event))

    async def wait(self, seen: int) -> int:
        """Wait until the version moves past ``seen`` or ``poll`` seconds pass; the
        version now."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        waiter = (loop, event)
        with self._lock:
            if self.version != seen:
                return self.version
            self._waiters.add(waiter)
        try:
            await asyncio.wait_for(event.wait(), self.poll)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(waiter)
        return self.version
