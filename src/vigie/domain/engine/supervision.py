"""Transmitter supervision: each supervised transmitter must be heard within its deadline.

State machine of one transmitter (any accepted frame counts as "heard", not only tests):

    ok --(not heard for interval + grace; now > deadline)--> missing --(any frame)--> ok

The deadline is ``since + interval + grace`` where ``since`` is the last frame (or the
registration, for a transmitter never heard). Being heard exactly at the deadline is in
time; one second after is missing.

Scale: a station supervises ~100,000 transmitters, most of them heard every few minutes.
A min-heap of (deadline, token, account) holds at most one live entry per supervised
transmitter. Hearing a transmitter only moves its ``since`` (O(1), no heap work); when an
entry reaches the top, it is checked against the transmitter's *current* deadline and
pushed again if the transmitter was heard meanwhile (lazy invalidation). ``due`` thus
touches only entries whose deadline passed, never the whole population. The token makes
entries of a forgotten or re-registered transmitter stale without searching the heap.
"""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime

from vigie.domain.engine.state import TransmitterState
from vigie.domain.register import Supervision

__all__ = ["SupervisionWatch"]


class SupervisionWatch:
    def __init__(self, transmitters: dict[str, TransmitterState]) -> None:
        self._tx = transmitters
        self._heap: list[tuple[float, int, str]] = []
        self._tokens = itertools.count(1)
        for rec in transmitters.values():
            if rec.supervised and not rec.missing:
                rec.token = next(self._tokens)
                self._heap.append((rec.deadline(), rec.token, rec.account))
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._heap)

    def _push(self, rec: TransmitterState) -> None:
        rec.token = next(self._tokens)
        heapq.heappush(self._heap, (rec.deadline(), rec.token, rec.account))

    def register(
        self, account: str, site_id: str | None, supervision: Supervision | None, now: datetime
    ) -> TransmitterState:
        """Add or update a transmitter; a new one gets its first deadline from ``now``."""
        rec = self._tx.get(account)
        interval = supervision.interval_seconds if supervision is not None else None
        grace = supervision.grace_seconds if supervision is not None else 0
        if rec is None:
            rec = TransmitterState(account, site_id, since=now)
            self._tx[account] = rec
        elif (rec.interval_seconds, rec.grace_seconds, rec.site_id) == (interval, grace, site_id):
            return rec
        rec.site_id = site_id
        rec.interval_seconds, rec.grace_seconds = interval, grace
        if interval is None:
            rec.missing = False
            rec.token = 0  # any heap entry is now stale
        elif not rec.missing:
            self._push(rec)
        return rec

    def forget(self, account: str) -> None:
        self._tx.pop(account, None)  # its heap entry goes stale: nothing to search

    def heard(
        self, account: str, site_id: str | None, at: datetime
    ) -> tuple[TransmitterState, bool]:
        """Record a frame; returns the transmitter and whether it was missing until now."""
        rec = self._tx.get(account)
        if rec is None:
            rec = TransmitterState(account, site_id, since=at, last_heard=at)
            self._tx[account] = rec
            return rec, False
        rec.heard_at(at)
        if not rec.missing:
            return rec, False  # lazy: the heap entry is checked when it comes up
        rec.missing = False
        if rec.supervised:
            self._push(rec)
        return rec, True

    def due(self, now: datetime) -> list[TransmitterState]:
        """Transmitters whose deadline passed (strictly) and that are now missing."""
        now_ts = now.timestamp()
        heap, pop, get = self._heap, heapq.heappop, self._tx.get
        missing: list[TransmitterState] = []
        while heap and heap[0][0] < now_ts:
            _, token, account = pop(heap)
            rec = get(account)
            if rec is None or rec.token != token or not rec.supervised or rec.missing:
                continue  # stale entry
            if rec.deadline() >= now_ts:
                self._push(rec)  # heard since the entry was pushed
                continue
            rec.missing = True
            rec.token = 0
            missing.append(rec)
        return missing
