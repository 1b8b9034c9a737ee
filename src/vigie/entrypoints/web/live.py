"""The console's push channel: an in-process hub that wakes every connected console.

``notify()`` may be called from any thread (the processing worker runs in one; sync
routes run in the thread pool): each waiting console is woken in its own event loop with
``loop.call_soon_threadsafe``. A woken console re-renders the whole queue (it is small)
and sends it if it changed. Consoles also re-read the queue every ``poll`` seconds when
nothing woke them: that is how changes made by *another* process (a second station
process on PostgreSQL) reach them, at most a second late.
"""

from __future__ import annotations

import asyncio
import threading

__all__ = ["LiveHub"]


class LiveHub:
    def __init__(self, poll: float = 1.0) -> None:
        self.poll = poll
        self.version = 0
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def listeners(self) -> int:
        return len(self._waiters)

    def notify(self) -> None:
        """Something in the queue changed (callable from any thread)."""
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
