"""Which cameras this process runs, when several ``vigie serve`` share one PostgreSQL.

Each camera must be recorded by exactly one process at a time, the cameras shared out
fairly, and a dead process's cameras taken over. ``CameraLeasing`` renews this process's
leases (the ``CameraLeases`` port, ``adapters.db.camera_leases``) every ``every`` and
hands the supervisor the cameras it holds.

When the database cannot be reached the process keeps running what it holds, but only
while its leases are surely still its own: it stops them all (``apply([])``) at the last
tick before they would expire (``renewed + ttl - every``), so another process taking them
over after the TTL never records them at the same time. On SQLite (one process) none of
this is needed: the composition root gives the supervisor every camera directly.

Each renewal also says where this process's HTTP API is reached (the lease store is built
with this process's ``VIGIE_ADVERTISE_URL``): a web node asked for the live view of a camera
it does not run looks the holder up (``CameraHolders``) and relays the holder's images.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from vigie.domain.video import Camera
from vigie.services.ports import Clock

__all__ = ["CameraHolder", "CameraHolders", "CameraLeases", "CameraLeasing"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CameraHolder:
    """The process running a camera: its holder name and its advertised base URL
    ("" when it did not advertise one: the other nodes cannot reach it)."""

    name: str
    url: str


class CameraLeases(Protocol):
    def renew(
        self,
        holder: str,
        camera_ids_wanted: Sequence[str],
        now: datetime,
        ttl: timedelta,
    ) -> set[str]:
        """Renew, take and give back leases in one transaction; the ids ``holder`` holds."""
        ...

    def release_all(self, holder: str) -> int:
        """Give back every lease of ``holder``."""
        ...


class CameraHolders(Protocol):
    def holder_of(self, camera_id: str, now: datetime) -> CameraHolder | None:
        """The live holder of ``camera_id`` and its URL, or None when nobody runs it."""
        ...


class CameraLeasing:
    """This process's side of the camera leases: ``tick`` once, or ``run`` for ever."""

    def __init__(
        self,
        leases: CameraLeases,
        holder: str,
        clock: Clock | Callable[[], datetime],
        *,
        ttl: timedelta = timedelta(seconds=30),
        every: timedelta = timedelta(seconds=10),
    ) -> None:
        if every >= ttl:
            raise ValueError("leases must be renewed (every) more often than they last (ttl)")
        self._leases = leases
        self.holder = holder
        self._now: Callable[[], datetime] = clock if callable(clock) else clock.now
        self.ttl = ttl
        self.every = every
        self._lock = threading.Lock()
        self._held: frozenset[str] = frozenset()
        self._held_until: datetime | None = None
        self._applied: list[Camera] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def held_ids(self) -> frozenset[str]:
        """The camera ids held after the last successful tick."""
        with self._lock:
            return self._held

    def tick(self, cameras: Sequence[Camera]) -> list[Camera]:
        """Renew the leases on the enabled cameras; those this process must run (blocking)."""
        now = self._now()
        wanted = [camera.id for camera in cameras if camera.enabled]
        held = self._leases.renew(self.holder, wanted, now, self.ttl)
        with self._lock:
            self._held = frozenset(held)
            self._held_until = now + self.ttl
        return [camera for camera in cameras if camera.enabled and camera.id in held]

    def must_stop(self) -> bool:
        """True when the leases may lapse before the next tick: stop every camera now."""
        with self._lock:
            until = self._held_until
        return until is not None and self._now() + self.every >= until

    def lapse(self) -> None:
        """Forget what is held (the leases are about to expire without a renewal)."""
        with self._lock:
            self._held = frozenset()
            self._held_until = None

    def release(self) -> int:
        """Give every lease back (clean shutdown, after the workers stopped; blocking)."""
        self.lapse()
        return self._leases.release_all(self.holder)

    def wake(self) -> None:
        """Tick now rather than at the next period (thread-safe: a register change)."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def run(
        self,
        source: Callable[[], list[Camera]],
        apply: Callable[[list[Camera]], None],
    ) -> None:
        """Tick every ``every`` and ``apply`` the held cameras when they change, for ever.

        ``source`` (the register) and ``apply`` (the supervisor's reload) run in threads.
        A failed or hung tick is logged and retried; see the module docstring for what
        happens to the running cameras meanwhile.
        """
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        pending: asyncio.Future[list[Camera]] | None = None
        period = self.every.total_seconds()
        while True:
            if pending is None:
                pending = asyncio.ensure_future(asyncio.to_thread(self._source_tick, source))
            done, _ = await asyncio.wait({pending}, timeout=period)
            running: list[Camera] | None = None
            if done:
                try:
                    running = pending.result()
                except Exception as exc:
                    log.warning("camera leases: renewal failed, retrying (%s)", exc)
                pending = None
            else:  # a hung database: let it finish in its thread, decide without it
                log.warning("camera leases: renewal still waiting after %.0f s", period)
            if self.must_stop():  # no renewal, or one that finished too late to rely on
                if self._applied:
                    log.error(
                        "camera leases: not renewed, %d cameras stopped before their leases lapse",
                        len(self._applied),
                    )
                self.lapse()
                running = []
            if running is not None and running != self._applied:
                try:
                    await asyncio.to_thread(apply, running)
                    self._applied = running
                except Exception:
                    log.exception("camera leases: applying %d cameras failed", len(running))
            if done:
                await self._sleep(period)

    def _source_tick(self, source: Callable[[], list[Camera]]) -> list[Camera]:
        return self.tick(source())

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        waiter = asyncio.ensure_future(self._wake.wait())
        await asyncio.wait({waiter}, timeout=seconds)  # woken early or the period is over
        waiter.cancel()
        self._wake.clear()
