"""Transmitters: the panels and communicators a station receives from.

A transmitter is identified by its account, optionally narrowed by the receiver number
and the account prefix (line) it reports with. Its AES key is kept with the notation it
was configured in (hex or text), because the same 32 characters mean a 128-bit key in
hex and a 256-bit key as text: the operator must see which one was meant. Parsing what
the operator typed is the DC-09 codec's job (``Dc09Key.from_hex`` / ``from_text``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vigie.domain.errors import InvalidValue

__all__ = ["Transmitter"]

_KEY_SIZES = (16, 24, 32)
_NOTATIONS = ("hex", "text")


@dataclass(frozen=True, slots=True)
class Transmitter:
    """A configured transmitter. ``receiver`` and ``prefix`` None match any value."""

    account: str
    receiver: str | None = None
    prefix: str | None = None
    key: bytes | None = field(default=None, repr=False)
    key_notation: str | None = None  # "hex" or "text": how the operator wrote the key
    ignore_timestamp: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if not 3 <= len(self.account) <= 16 or not self.account.isalnum():
            raise InvalidValue("account", "3 to 16 letters or digits")
        for name, value in (("receiver", self.receiver), ("prefix", self.prefix)):
            if value is not None and (len(value) > 6 or not _is_hex(value)):
                raise InvalidValue(name, "up to 6 hexadecimal digits")
        if self.key is not None and len(self.key) not in _KEY_SIZES:
            raise InvalidValue("key", f"16, 24 or 32 bytes, got {len(self.key)}")
        if (self.key is None) != (self.key_notation is None) or (
            self.key_notation is not None and self.key_notation not in _NOTATIONS
        ):
            raise InvalidValue("key-notation", "'hex' or 'text' with a key, nothing without")
        if self.key is not None and self.ignore_timestamp:
            raise InvalidValue(
                "ignore-timestamp",
                "an encrypted account always checks timestamps (replay defence)",
            )

    def describe_key(self) -> str:
        """What may be shown of the key: its size and notation, never the key."""
        if self.key is None:
            return "none"
        return f"AES-{len(self.key) * 8} ({self.key_notation})"

    def specificity(self) -> int:
        """How narrowly this entry matches: used to pick the best of several."""
        return (self.receiver is not None) + (self.prefix is not None)

    def matches(self, account: str, receiver: str | None, prefix: str | None) -> bool:
        if account.upper() != self.account.upper():
            return False
        if self.receiver is not None and _norm(receiver) != _norm(self.receiver):
            return False
        return self.prefix is None or _norm(prefix) == _norm(self.prefix)


def _is_hex(value: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in value)


def _norm(value: str | None) -> str:
    """Compare receiver and prefix numbers, not spellings: ``L000`` is ``L0``."""
    if not value:
        return "0"
    return value.upper().lstrip("0") or "0"
