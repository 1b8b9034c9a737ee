"""An in-memory logbook store: the real chain functions over a list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from vigie.domain.logbook import GENESIS_HASH, ChainBreak, LogDraft, LogEntry, LogKind, chain
from vigie.domain.logbook import verify_chain as _verify_chain


class MemoryLogbookStore:
    def __init__(self) -> None:
        self.rows: list[LogEntry] = []

    def append(self, draft: LogDraft) -> LogEntry:
        return self.append_many([draft])[0]

    def append_many(self, drafts: Iterable[LogDraft]) -> list[LogEntry]:
        last_id, last_hash = (
            (self.rows[-1].id, self.rows[-1].hash) if self.rows else (0, GENESIS_HASH)
        )
        entries = chain(drafts, last_id=last_id, last_hash=last_hash)
        self.rows.extend(entries)
        return entries

    def get(self, entry_id: int) -> LogEntry | None:
        return next((e for e in self.rows if e.id == entry_id), None)

    def search(
        self,
        *,
        site_id: str | None = None,
        incident_id: int | None = None,
        author: str | None = None,
        text: str | None = None,
        kind: LogKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        after_id: int | None = None,
        newest_first: bool = False,
    ) -> list[LogEntry]:
        found = [
            e
            for e in self.rows
            if (site_id is None or e.site_id == site_id)
            and (incident_id is None or e.incident_id == incident_id)
            and (author is None or e.author == author)
            and (text is None or text.lower() in e.text.lower())
            and (kind is None or e.kind == kind)
            and (since is None or e.at >= since)
            and (until is None or e.at < until)
            and (after_id is None or e.id > after_id)
        ]
        if newest_first:
            found.reverse()
        return found[:limit]

    def entries(
        self,
        from_id: int | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[LogEntry]:
        for e in self.rows:
            if (
                (from_id is None or e.id >= from_id)
                and (since is None or e.at >= since)
                and (until is None or e.at < until)
            ):
                yield e

    def verify(self) -> ChainBreak | None:
        return _verify_chain(self.rows)
