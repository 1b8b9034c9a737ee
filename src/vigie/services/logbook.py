"""The logbook service: what the rest of Vigie calls to write and read the main courante.

Every entry names who did what, in which role, with which CNAPS card, from where
(design invariant 4); the time comes from the injected clock (invariant 5). Nothing here
edits an entry: a correction is a new entry pointing at the old one (invariant 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from vigie.domain.errors import InvalidValue, NotFound
from vigie.domain.logbook import ChainBreak, LogDraft, LogEntry, LogKind, verify_chain
from vigie.services.ports import Clock

__all__ = ["Actor", "ChainCheck", "Logbook", "LogbookStore"]


class LogbookStore(Protocol):
    """Where entries live. Appends are serialised by the store so the chain never forks."""

    def append(self, draft: LogDraft) -> LogEntry: ...

    def append_many(self, drafts: Iterable[LogDraft]) -> list[LogEntry]: ...

    def get(self, entry_id: int) -> LogEntry | None: ...

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
    ) -> list[LogEntry]: ...

    def entries(
        self,
        from_id: int | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[LogEntry]: ...

    def verify(self) -> ChainBreak | None: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the user, their role, their CNAPS card number and their address."""

    user: str
    role: str
    card_number: str = ""
    source: str = ""

    SYSTEM: ClassVar[Actor]


Actor.SYSTEM = Actor(user="system", role="system")


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of a verification: how many entries were read, the first break if any,
    and the last hash seen (to compare with a printed copy)."""

    entries: int
    first_break: ChainBreak | None
    last_hash: str | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


class Logbook:
    def __init__(self, store: LogbookStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def now(self) -> datetime:
        """The logbook's clock, for the time printed on exports."""
        return self._clock.now()

    def draft(
        self,
        kind: LogKind,
        text: str,
        *,
        actor: Actor = Actor.SYSTEM,
        site_id: str | None = None,
        incident_id: int | None = None,
        data: Mapping[str, Any] | None = None,
        corrects: int | None = None,
    ) -> LogDraft:
        """A draft stamped now, for callers that append inside their own transaction."""
        return LogDraft(
            at=self._clock.now(),
            kind=kind,
            text=text,
            author=actor.user,
            role=actor.role,
            card_number=actor.card_number,
            source=actor.source,
            site_id=site_id,
            incident_id=incident_id,
            data=data or {},
            corrects=corrects,
        )

    def record(
        self,
        kind: LogKind | str,
        text: str,
        *,
        author: str = "system",
        role: str = "system",
        card_number: str = "",
        source: str = "",
        site_id: str | None = None,
        incident_id: int | None = None,
        data: Mapping[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> LogEntry:
        """Append one entry now. ``actor``, when given, stands for the four who-fields."""
        try:
            kind = LogKind(kind)
        except ValueError:
            raise InvalidValue("kind", f"one of {', '.join(LogKind)}") from None
        if kind is LogKind.CORRECTION:
            raise InvalidValue("kind", "not 'correction': use Logbook.correct")
        if actor is None:
            actor = Actor(author, role, card_number, source)
        return self._store.append(
            self.draft(kind, text, actor=actor, site_id=site_id, incident_id=incident_id, data=data)
        )

    def manual(
        self,
        text: str,
        actor: Actor,
        *,
        site_id: str | None = None,
        incident_id: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> LogEntry:
        """An entry an operator types into the main courante."""
        draft = self.draft(
            LogKind.MANUAL, text, actor=actor, site_id=site_id, incident_id=incident_id, data=data
        )
        return self._store.append(draft)

    def correct(
        self,
        entry_id: int,
        text: str,
        actor: Actor,
        *,
        data: Mapping[str, Any] | None = None,
    ) -> LogEntry:
        """A new entry that corrects ``entry_id``; it keeps the site and incident of the
        original so that filters show both together."""
        original = self._store.get(entry_id)
        if original is None:
            raise NotFound(f"logbook entry {entry_id} does not exist")
        draft = self.draft(
            LogKind.CORRECTION,
            text,
            actor=actor,
            site_id=original.site_id,
            incident_id=original.incident_id,
            data=data,
            corrects=entry_id,
        )
        return self._store.append(draft)

    def get(self, entry_id: int) -> LogEntry | None:
        return self._store.get(entry_id)

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
        return self._store.search(
            site_id=site_id,
            incident_id=incident_id,
            author=author,
            text=text,
            kind=kind,
            since=since,
            until=until,
            limit=limit,
            after_id=after_id,
            newest_first=newest_first,
        )

    def period(self, since: datetime | None, until: datetime | None) -> Iterator[LogEntry]:
        """Every entry of a period, streamed in id order (exports)."""
        return self._store.entries(since=since, until=until)

    def verify(self) -> ChainCheck:
        counter = _Counting(self._store.entries())
        first_break = verify_chain(counter)
        return ChainCheck(counter.count, first_break, counter.last_hash)


class _Counting:
    """Passes entries through, counting them and remembering the last hash."""

    def __init__(self, entries: Iterator[LogEntry]) -> None:
        self._entries = entries
        self.count = 0
        self.last_hash: str | None = None

    def __iter__(self) -> Iterator[LogEntry]:
        for entry in self._entries:
            self.count += 1
            self.last_hash = entry.hash
            yield entry
