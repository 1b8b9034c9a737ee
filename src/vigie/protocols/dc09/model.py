"""Frozen messages of the DC-09 codec. Parsing lives in :mod:`frame`, not here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

CrcForm = Literal["hex", "binary"]
HexCase = Literal["upper", "lower"]

#: Tokens whose frames we decode and acknowledge.
SUPPORTED_TOKENS: frozenset[str] = frozenset({"SIA-DCS", "ADM-CID", "NULL", "XNM"})
#: Reply tokens (what a receiver sends back).
REPLY_TOKENS: frozenset[str] = frozenset({"ACK", "NAK", "DUH", "RSP"})
#: Legacy tokens listed by DC-09 (Annex H): known, but answered with DUH.
LEGACY_TOKENS: frozenset[str] = frozenset(
    {
        "SIA-PUL", "ACR-SF", "ADM-41E", "ADM-42E", "ADM-HS", "DSC-43", "FBI-SF", "ITI-I",
        "SCN-S8", "SCN-S16", "SCN-S24", "SCT", "SES-SS", "SIA-S2K", "SK-FSK1", "SK-FSK2",
    }
)  # fmt: skip
KNOWN_TOKENS: frozenset[str] = SUPPORTED_TOKENS | REPLY_TOKENS | LEGACY_TOKENS


@dataclass(frozen=True)
class ExtendedData:
    """One ``[X…]`` block: type letter and value; unknown letters are kept as sent.

    ``raw`` holds the value bytes as sent, so re-encoding keeps CP1252 text intact;
    it does not take part in equality.
    """

    letter: str
    value: str
    raw: bytes = field(default=b"", compare=False, repr=False)

    def value_bytes(self) -> bytes:
        """Bytes to put on the wire for the value."""
        return self.raw if self.raw else self.value.encode("utf-8")


@dataclass(frozen=True)
class FrameHeader:
    """The clear-text routing part of a frame: enough to pick a key and to reply.

    ``prefix`` is ``""`` for an empty ``L`` and ``None`` when ``L`` is absent
    (my-dc09-spt without ``line=``); ``account`` is None when the header has no ``#``.
    """

    token: str
    encrypted: bool
    sequence: str
    receiver: str | None
    prefix: str | None
    account: str | None


@dataclass(frozen=True)
class Frame:
    """A decoded DC-09 frame (token without ``*``; data without brackets)."""

    token: str
    encrypted: bool
    sequence: str
    receiver: str | None
    prefix: str | None
    account: str | None
    data: str
    data_account: str | None
    extended: tuple[ExtendedData, ...]
    timestamp: datetime | None
    crc_form: CrcForm
    raw: bytes = field(repr=False)

    @property
    def header(self) -> FrameHeader:
        """The routing header of this frame."""
        return FrameHeader(
            self.token, self.encrypted, self.sequence, self.receiver, self.prefix, self.account
        )

    @property
    def effective_account(self) -> str | None:
        """Header account, else the one inside the data block."""
        return self.account if self.account is not None else self.data_account

    def extended_value(self, letter: str) -> str | None:
        """Value of the first x-data block with this letter, if any."""
        for x in self.extended:
            if x.letter == letter:
                return x.value
        return None
