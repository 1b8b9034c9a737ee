"""Video kept as evidence: incident media, the extraction register and legal holds.

Recordings are destroyed within a month (CSI L252-5) *except* in a flagrant-délit
investigation, a preliminary investigation or a judicial inquiry. So three things live
beside the rolling segments:

* ``IncidentMedia`` — a snapshot or a clip attached to an incident (they follow retention
  like any recording, unless a legal hold covers them);
* ``Extraction`` — one line of the extraction register: who exported which period of
  which camera, why, for whom (the requisition of an OPJ) and the SHA-256 of the file.
  Exports left the station's custody: they are never deleted by the retention sweeper;
* ``LegalHold`` — an evidence lock on a camera period, with the legal reference, that
  keeps the segments it overlaps out of the sweeper until released (audit-logged).

Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vigie.domain.errors import InvalidValue

__all__ = ["MEDIA_KINDS", "Extraction", "IncidentMedia", "LegalHold", "overlaps"]

MEDIA_KINDS = ("snapshot", "clip")
_TEXT_MAX = 500


def overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    """Two closed periods share at least one instant."""
    return start <= other_end and other_start <= end


def _period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidValue("start", "timezone-aware times")
    if end < start:
        raise InvalidValue("end", "a time after the start")


def _text(name: str, value: str, *, required: bool) -> None:
    if required and not value.strip():
        raise InvalidValue(name, "some text (mandatory)")
    if len(value) > _TEXT_MAX:
        raise InvalidValue(name, f"at most {_TEXT_MAX} characters")


@dataclass(frozen=True, slots=True)
class IncidentMedia:
    """A snapshot or clip attached to an incident (and, if known, the alarm behind it)."""

    incident_id: int
    camera_id: str
    kind: str
    path: str
    start: datetime
    end: datetime
    size: int
    sha256: str
    created_at: datetime
    alarm_id: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in MEDIA_KINDS:
            raise InvalidValue("kind", "snapshot or clip")
        _period(self.start, self.end)
        if self.size < 0:
            raise InvalidValue("size", "zero or more bytes")


@dataclass(frozen=True, slots=True)
class Extraction:
    """One line of the extraction register (registre des extractions)."""

    camera_id: str
    start: datetime  # asked for
    end: datetime
    actual_start: datetime  # what the file holds (cuts snap to keyframes)
    actual_end: datetime
    path: str
    size: int
    sha256: str
    requested_by: str
    role: str
    card_number: str
    reason: str
    recipient: str  # e.g. "OPJ, commissariat de Lyon 3e"
    requisition: str  # the requisition's reference, when there is one
    created_at: datetime
    held_until: datetime | None = None  # None: kept until an administrator decides
    id: int | None = None

    def __post_init__(self) -> None:
        _period(self.start, self.end)
        _text("reason", self.reason, required=True)
        _text("recipient", self.recipient, required=True)
        _text("requisition", self.requisition, required=False)


@dataclass(frozen=True, slots=True)
class LegalHold:
    """An evidence lock on a camera period; active until ``released_at``."""

    camera_id: str
    start: datetime
    end: datetime
    reason: str
    reference: str  # requisition, procès-verbal or case number
    user: str
    created_at: datetime
    released_at: datetime | None = None
    released_by: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        _period(self.start, self.end)
        _text("reason", self.reason, required=True)
        _text("reference", self.reference, required=True)

    @property
    def active(self) -> bool:
        return self.released_at is None

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.active and overlaps(self.start, self.end, start, end)
