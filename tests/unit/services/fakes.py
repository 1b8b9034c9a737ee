"""Fakes for the service ports: in memory, no I/O."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from vigie.domain.signals import SignalRecord, StoredSignal
from vigie.domain.transmitters import Transmitter


class MemoryTransmitters:
    def __init__(self, *items: Transmitter) -> None:
        self.items = list(items)

    def add(self, transmitter: Transmitter) -> None:
        self.items.append(transmitter)

    def all(self) -> Sequence[Transmitter]:
        return list(self.items)

    def remove(self, account: str, receiver: str | None, prefix: str | None) -> bool:
        before = len(self.items)
        self.items = [
            t
            for t in self.items
            if (t.account, t.receiver, t.prefix) != (account, receiver, prefix)
        ]
        return len(self.items) < before


class MemoryJournal:
    """Keeps records in a list; finds retransmissions by key like the SQL journal."""

    def __init__(self) -> None:
        self.records: list[tuple[StoredSignal, SignalRecord]] = []
        self.fail_with: Exception | None = None

    def submit(self, record: SignalRecord) -> asyncio.Future[StoredSignal]:
        future: asyncio.Future[StoredSignal] = asyncio.get_running_loop().create_future()
        try:
            future.set_result(self._store(record))
        except Exception as exc:
            future.set_exception(exc)
        return future

    async def append(self, record: SignalRecord) -> StoredSignal:
        return await self.submit(record)

    def _store(self, record: SignalRecord) -> StoredSignal:
        if self.fail_with is not None:
            raise self.fail_with
        original = next(
            (
                s.id
                for s, r in self.records
                if record.dedup_key and r.dedup_key == record.dedup_key and not s.duplicate
            ),
            None,
        )
        stored = StoredSignal(id=len(self.records) + 1, duplicate_of=original)
        self.records.append((stored, record))
        return stored
