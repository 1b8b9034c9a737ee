"""The main courante: an append-only, hash-chained logbook (design invariant 3).

Each entry carries the SHA-256 of the entry before it (``prev_hash``) and its own hash over
a canonical serialisation of every other field, its sequence number included. Changing a
word, removing an entry or moving one breaks the chain at a point ``verify_chain`` names,
so anyone holding a copy can check it without trusting the database. A mistake is never
edited: a *correction* is a new entry that points at the old one (``corrects``).

Known limit of any hash chain: dropping the *last* entries leaves a valid shorter chain.
Exports print the last hash so that a printed copy anchors the head.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from vigie.domain.errors import InvalidValue

__all__ = [
    "GENESIS_HASH",
    "BreakKind",
    "ChainBreak",
    "LogDraft",
    "LogEntry",
    "LogKind",
    "canonical_bytes",
    "canonical_data",
    "chain",
    "compute_hash",
    "format_time",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of entry 1: there is nothing before it."""

_MAX_TEXT = 10_000


class LogKind(StrEnum):
    """What an entry is about; a filter in the console and in exports."""

    SIGNAL = "signal"
    STATE_CHANGE = "state_change"
    ALARM = "alarm"
    INCIDENT = "incident"
    OPERATOR_ACTION = "operator_action"
    CALL = "call"
    DISPATCH = "dispatch"
    MANUAL = "manual"
    CORRECTION = "correction"
    REGISTER_CHANGE = "register_change"
    HANDOVER = "handover"
    VIDEO = "video"
    ACCESS = "access"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class LogDraft:
    """An entry before it is appended: the store gives it its id and its place in the chain."""

    at: datetime
    kind: LogKind
    text: str
    author: str = "system"
    role: str = "system"
    card_number: str = ""
    source: str = ""
    site_id: str | None = None
    incident_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)
    corrects: int | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidValue("at", "a timezone-aware time")
        object.__setattr__(self, "at", self.at.astimezone(UTC))
        object.__setattr__(self, "kind", LogKind(self.kind))
        if not self.text.strip():
            raise InvalidValue("text", "some text")
        if len(self.text) > _MAX_TEXT:
            raise InvalidValue("text", f"at most {_MAX_TEXT} characters")
        if not self.author.strip():
            raise InvalidValue("author", "a user name or 'system'")
        if (self.kind is LogKind.CORRECTION) != (self.corrects is not None):
            raise InvalidValue("corrects", "the id of the corrected entry, on corrections only")
        if self.corrects is not None and self.corrects < 1:
            raise InvalidValue("corrects", "an entry id (1 or more)")
        object.__setattr__(self, "data", canonical_data(self.data))


@dataclass(frozen=True, slots=True)
class LogEntry:
    """An entry of the chain, as stored. Build them with ``chain``; never mutate one."""

    id: int
    at: datetime
    kind: LogKind
    text: str
    author: str
    role: str
    card_number: str
    source: str
    site_id: str | None
    incident_id: int | None
    data: Mapping[str, Any] = field(hash=False)
    corrects: int | None
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        """The hash this entry's content calls for; differs from ``hash`` once tampered."""
        return compute_hash(self)


class BreakKind(StrEnum):
    HASH_MISMATCH = "hash mismatch"
    PREV_HASH_MISMATCH = "prev_hash mismatch"
    ID_GAP = "id gap"
    REORDERED = "reordered"


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first broken link: where it is and what is wrong, in words an auditor reads."""

    entry_id: int
    at: datetime
    kind: BreakKind
    detail: str

    def __str__(self) -> str:
        return f"entry {self.entry_id} ({format_time(self.at)}): {self.kind}: {self.detail}"


def format_time(at: datetime) -> str:
    """ISO-8601 UTC with microseconds: the one spelling a hash is computed over."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-able copy that survives a database round trip unchanged (tuples become lists).

    Refused: non-string keys, NaN/infinities and any type JSON cannot carry, because they
    would come back different and the hash would no longer match.
    """
    if not isinstance(data, Mapping):
        raise InvalidValue("data", "a JSON object")
    result = _canonical(data, "data")
    assert isinstance(result, dict)
    return result


def _canonical(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue(path, "a finite number")
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidValue(path, "string keys")
            out[key] = _canonical(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_canonical(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise InvalidValue(path, f"a JSON value, not {type(value).__name__}")


def canonical_bytes(entry: LogEntry) -> bytes:
    """Every field but ``hash``, as sorted-key compact UTF-8 JSON."""
    document = {
        "id": entry.id,
        "at": format_time(entry.at),
        "kind": str(entry.kind),
        "text": entry.text,
        "author": entry.author,
        "role": entry.role,
        "card_number": entry.card_number,
        "source": entry.source,
        "site_id": entry.site_id,
        "incident_id": entry.incident_id,
        "data": canonical_data(entry.data),
        "corrects": entry.corrects,
        "prev_hash": entry.prev_hash,
    }
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def compute_hash(entry: LogEntry) -> str:
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


def chain(drafts: Iterable[LogDraft], *, last_id: int, last_hash: str) -> list[LogEntry]:
    """Number and link drafts after the entry (``last_id``, ``last_hash``); 0 and
    ``GENESIS_HASH`` for an empty logbook."""
    entries: list[LogEntry] = []
    for draft in drafts:
        last_id += 1
        unsigned = LogEntry(
            id=last_id,
            at=draft.at,
            kind=draft.kind,
            text=draft.text,
            author=draft.author,
            role=draft.role,
            card_number=draft.card_number,
            source=draft.source,
            site_id=draft.site_id,
            incident_id=draft.incident_id,
            data=draft.data,
            corrects=draft.corrects,
            prev_hash=last_hash,
            hash="",
        )
        last_hash = compute_hash(unsigned)
        entries.append(replace(unsigned, hash=last_hash))
    return entries


def verify_chain(entries: Iterable[LogEntry]) -> ChainBreak | None:
    """The first broken link of a chain read from entry 1 in storage order, or None.

    Streams: holds two entries at a time, so it checks millions of rows in constant memory.
    """
    expected_id = 1
    prev_hash = GENESIS_HASH
    stream: Iterator[LogEntry] = iter(entries)
    for entry in stream:
        if entry.id < expected_id:
            return ChainBreak(
                entry.id,
                entry.at,
                BreakKind.REORDERED,
                f"found after entry {expected_id - 1}; the sequence must increase",
            )
        if entry.id > expected_id:
            following = next(stream, None)
            if following is not None and following.id == expected_id:
                return ChainBreak(
                    entry.id,
                    entry.at,
                    BreakKind.REORDERED,
                    f"stands before entry {expected_id}",
                )
            missing = (
                f"entry {expected_id} is missing"
                if entry.id == expected_id + 1
                else f"entries {expected_id} to {entry.id - 1} are missing"
            )
            return ChainBreak(entry.id, entry.at, BreakKind.ID_GAP, missing)
        recomputed = compute_hash(entry)
        if recomputed != entry.hash:
            return ChainBreak(
                entry.id,
                entry.at,
                BreakKind.HASH_MISMATCH,
                f"content does not match its hash (stored {entry.hash[:12]}…, "
                f"computed {recomputed[:12]}…)",
            )
        if entry.prev_hash != prev_hash:
            return ChainBreak(
                entry.id,
                entry.at,
                BreakKind.PREV_HASH_MISMATCH,
                f"prev_hash {entry.prev_hash[:12]}… is not the hash of the entry before "
                f"({prev_hash[:12]}…)",
            )
        prev_hash = entry.hash
        expected_id += 1
    return None
