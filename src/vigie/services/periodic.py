"""A sweep run at once, then every so often, in a thread, until stopped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["run_every"]

log = logging.getLogger(__name__)


async def run_every(
    what: str,
    sweep: Callable[[datetime], object],
    now: Callable[[], datetime],
    every: timedelta,
    stop: asyncio.Event | None = None,
) -> None:
    """``sweep(now())`` at once, then every ``every`` until ``stop`` is set; a failed
    sweep is logged (``what`` names it) and tried again next time."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await asyncio.to_thread(sweep, now())
        except Exception:
            log.exception("%s failed; next try in %s", what, every)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every.total_seconds())
        except TimeoutError:
            continue
