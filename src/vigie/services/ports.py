"""Ports: what the services need from the world, as typing.Protocols.

Adapters implement them; tests use fakes that subclass the in-memory adapters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from vigie.domain.signals import SignalRecord, StoredSignal
from vigie.domain.transmitters import Transmitter

__all__ = [
    "Clip",
    "Clock",
    "SignalFilter",
    "SignalJournal",
    "SignalReader",
    "TransmitterRepository",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class TransmitterRepository(Protocol):
    def add(self, transmitter: Transmitter) -> None: ...

    def all(self) -> Sequence[Transmitter]: ...

    def remove(self, account: str, receiver: str | None, prefix: str | None) -> bool: ...


class SignalJournal(Protocol):
    def submit(self, record: SignalRecord) -> asyncio.Future[StoredSignal]:
        """Queue the record; the future resolves once it is durable (committed)."""
        ...

    async def append(self, record: SignalRecord) -> StoredSignal:
        """Return once the record is durable (committed)."""
        ...


@dataclass(frozen=True, slots=True)
class SignalFilter:
    account: str | None = None
    since: datetime | None = None
    after_id: int | None = None
    limit: int = 100
    newest_first: bool = True


class SignalReader(Protocol):
    def list(self, query: SignalFilter) -> Sequence[tuple[StoredSignal, SignalRecord]]: ...


class Clip(Protocol):
    """A clip cut from a camera's recording (``vigie.adapters.video.clips.ClipInfo``):
    its actual, keyframe-aligned range and the SHA-256 of its file."""

    @property
    def path(self) -> Path: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...
