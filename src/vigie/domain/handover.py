"""The shift handover (relève): what one operator passes to the next, signed by both.

The outgoing operator opens a handover with free notes; it keeps a snapshot of the
incidents open or on hold at that moment. The incoming operator, someone else, signs it
once ("je prends la relève"). Pure: no I/O, times are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from vigie.domain.errors import InvalidValue

__all__ = ["MAX_NOTES", "Handover", "HandoverItem", "HandoverRefused", "HandoverState"]

MAX_NOTES = 5000


class HandoverRefused(Exception):
    """A rule of the handover says no (the message is in English, for ``i18n_pages``)."""


class HandoverState(StrEnum):
    OPEN = "open"
    SIGNED = "signed"


@dataclass(frozen=True, slots=True)
class HandoverItem:
    """One incident open or on hold when the handover was written."""

    incident_id: int
    title: str
    state: str
    holder: str | None = None


@dataclass(slots=True)
class Handover:
    id: int | None
    outgoing: str
    created_at: datetime
    notes: str = ""
    items: tuple[HandoverItem, ...] = ()
    incoming: str | None = None
    signed_at: datetime | None = None

    @classmethod
    def open(
        cls, outgoing: str, notes: str, items: tuple[HandoverItem, ...], now: datetime
    ) -> Handover:
        if not outgoing.strip():
            raise InvalidValue("outgoing", "the name of the outgoing operator")
        if now.tzinfo is None:
            raise InvalidValue("created_at", "a timezone-aware time")
        notes = notes.strip()
        if len(notes) > MAX_NOTES:
            raise InvalidValue("notes", f"at most {MAX_NOTES} characters")
        return cls(None, outgoing, now, notes, tuple(items))

    @property
    def state(self) -> HandoverState:
        return HandoverState.OPEN if self.incoming is None else HandoverState.SIGNED

    def sign(self, incoming: str, now: datetime) -> None:
        """The incoming operator takes over; only once, and never the outgoing one."""
        if self.incoming is not None:
            raise HandoverRefused(f"handover already signed by {self.incoming}")
        if not incoming.strip():
            raise InvalidValue("incoming", "the name of the incoming operator")
        if incoming == self.outgoing:
            raise HandoverRefused("the incoming operator must differ from the outgoing one")
        if now < self.created_at:
            raise InvalidValue("signed_at", "a time after the handover was written")
        self.incoming = incoming
        self.signed_at = now
