"""The console's push channel: an in-process hub that wakes every connected console.

``notify()`` may be called from any thread (the processing worker runs in one; sync
routes run in the thread pool): each waiting console is woken in its own event loop with
``loop.call_soon_threadsafe``. A woken console reads the shared view of the queue (one
read and one rendering of the changed rows per change, ``console_live``) and sends only
the rows that changed. A change names the incidents it touched when it knows them
(``notify(ids)``): the consoles then read only those rows (``changes_since``); a change
that names none (``notify()``) makes them read the whole queue.

Changes made by *another* process (a second station process on PostgreSQL) reach this
one in two ways: ``publish`` (set to ``PgQueueNotifier.publish``) tells the others at
each local ``notify()``, and their ``PgQueueNotifier`` calls ``changed_elsewhere()``
here; and, as a safety net, consoles re-read the whole queue every ``poll`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable

__all__ = ["LiveHub"]

log = logging.getLogger(__name__)

Changed = frozenset[int] | None  # the incidents a change touched; None: not known
HISTORY = 512  # changes remembered for ``changes_since``


class LiveHub:
    def __init__(self, poll: float = 1.0, publish: Callable[[Changed], None] | None = None) -> None:
        self.poll = poll
        self.publish = publish  # tells the other processes (see the module's docstring)
        self.version = 0
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._history: deque[tuple[int, Changed]] = deque(maxlen=HISTORY)

    @property
    def listeners(self) -> int:
        return len(self._waiters)

    def notify(self, ids: Iterable[int] | None = None) -> None:
        """Something in the queue changed here (callable from any thread): the incidents
        ``ids``, or unknown ones (None)."""
        changed = frozenset(ids) if ids is not None else None
        self.changed_elsewhere(changed)
        if self.publish is not None:
            try:
                self.publish(changed)
            except Exception:  # the other processes still poll: log, never fail the caller
                log.exception("could not tell the other processes about a queue change")

    def changed_elsewhere(self, ids: Changed = None) -> None:
        """Another process changed the queue: wake this process's consoles only."""
        with self._lock:
            self.version += 1
            self._history.append((self.version, ids))
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that console's loop is gone
                with self._lock:
                    self._waiters.discard((loop, event))

    def changes_since(self, version: int) -> Changed:
        """The incidents changed after ``version`` (empty if none); None when a change in
        between did not say, or is too old to be remembered."""
        with self._lock:
            if version >= self.version:
                return frozenset()
            history = list(self._history)
        if not history or history[0][0] > version + 1:
            return None
        touched: set[int] = set()
        for at, ids in history:
            if at <= version:
                continue
            if ids is None:
                return None
            touched |= ids
        return frozenset(touched)

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
