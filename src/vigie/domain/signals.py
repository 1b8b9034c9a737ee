"""The signal journal's entries: every frame a receiver got, valid or not.

The journal is the station's proof of reception. A record is built before anything is
answered; it is stored (durably) and only then is its reply written to the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["SignalEvent", "SignalRecord", "StoredSignal", "Transport"]


class Transport(StrEnum):
    TCP = "tcp"
    UDP = "udp"
    VIDEO = "video"  # a video event (camera worker, NVR, webhook): nothing on a wire


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """One decoded event of a signal, as stored and served (plain values only)."""

    protocol: str
    code: str
    category: str
    description_fr: str
    description_en: str
    known: bool
    qualifier: str | None = None
    restore: bool = False
    closing: bool | None = None
    zone: str | None = None
    user: str | None = None
    area: str | None = None
    text: str | None = None
    time: str | None = None
    modifiers: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "code": self.code,
            "qualifier": self.qualifier,
            "zone": self.zone,
            "user": self.user,
            "area": self.area,
            "category": self.category,
            "description_fr": self.description_fr,
            "description_en": self.description_en,
            "known": self.known,
            "restore": self.restore,
            "closing": self.closing,
            "text": self.text,
            "time": self.time,
            "modifiers": [list(m) for m in self.modifiers],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignalEvent:
        return cls(
            protocol=data["protocol"],
            code=data["code"],
            category=data["category"],
            description_fr=data["description_fr"],
            description_en=data["description_en"],
            known=data["known"],
            qualifier=data.get("qualifier"),
            restore=data.get("restore", False),
            closing=data.get("closing"),
            zone=data.get("zone"),
            user=data.get("user"),
            area=data.get("area"),
            text=data.get("text"),
            time=data.get("time"),
            modifiers=tuple((str(k), str(v)) for k, v in data.get("modifiers", ())),
        )


@dataclass(frozen=True, slots=True)
class SignalRecord:
    """What the receiver knows of one frame before storing it."""

    received_at: datetime  # UTC
    transport: Transport
    peer: str
    raw: bytes
    reply_kind: str | None  # "ACK", "NAK", "DUH" or None (nothing answered)
    reply: bytes
    token: str | None = None
    encrypted: bool = False
    sequence: str | None = None
    receiver: str | None = None
    prefix: str | None = None
    account: str | None = None
    known_account: bool = False
    panel_time: datetime | None = None
    events: tuple[SignalEvent, ...] = ()
    extended: tuple[tuple[str, str], ...] = ()
    error: str | None = None
    detail: str = ""
    dedup_key: str | None = None  # set for accepted frames: same key = retransmission
    listener: str = ""  # which receiver process took it (scale-out)

    @property
    def accepted(self) -> bool:
        return self.reply_kind == "ACK"


@dataclass(frozen=True, slots=True)
class StoredSignal:
    """The journal's answer once a record is durable."""

    id: int
    duplicate_of: int | None = None

    @property
    def duplicate(self) -> bool:
        return self.duplicate_of is not None
