"""The receiver's in-memory view of the configured transmitters.

Frames are answered from memory (a lookup per frame must not touch the database); the
view is reloaded from the repository every few seconds so that a transmitter added by
another process (CLI, web) is known shortly after.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence

from vigie.domain.transmitters import Transmitter
from vigie.protocols.dc09 import AccountPolicy, Dc09Key, FrameHeader
from vigie.services.ports import TransmitterRepository

__all__ = ["TransmitterDirectory"]


class TransmitterDirectory:
    def __init__(self, repository: TransmitterRepository) -> None:
        self._repository = repository
        self._by_account: dict[str, list[Transmitter]] = {}
        self._lock = threading.Lock()
        self._loaded: Sequence[Transmitter] | None = None

    def refresh(self) -> int:
        """Reload from the repository; returns how many transmitters are known. The same
        list as last time (a repository may return it when nothing changed) is not indexed
        again."""
        loaded = self._repository.all()
        if loaded is not self._loaded:
            self.replace(loaded)
            self._loaded = loaded
        return len(loaded)

    def replace(self, items: Iterable[Transmitter]) -> None:
        self._loaded = None
        by_account: dict[str, list[Transmitter]] = defaultdict(list)
        for item in items:
            by_account[item.account.upper()].append(item)
        for entries in by_account.values():
            entries.sort(key=Transmitter.specificity, reverse=True)
        with self._lock:
            self._by_account = dict(by_account)

    def find(self, account: str, receiver: str | None, prefix: str | None) -> Transmitter | None:
        for entry in self._by_account.get(account.upper(), ()):
            if entry.matches(account, receiver, prefix):
                return entry
        return None

    def policy(self, header: FrameHeader, account: str | None = None) -> AccountPolicy | None:
        """The codec's lookup: key and timestamp rule for the account a frame names."""
        account = account or header.account
        if not account:
            return None
        found = self.find(account, header.receiver, header.prefix)
        if found is None:
            return None
        key = None
        if found.key is not None:
            key = Dc09Key(found.key, "text" if found.key_notation == "text" else "hex")
        return AccountPolicy(key=key, ignore_timestamp=found.ignore_timestamp)
