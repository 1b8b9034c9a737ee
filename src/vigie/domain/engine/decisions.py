"""What the engine decides: plain frozen records the processor persists as they are.

Every decision carries what the main courante needs (``site_id``, a French and an English
text, ``data`` with plain values) and the journal row it came from (``signal_id``, None for
timer decisions). ``decision`` names the type for storage and display. Alarm decisions
share a ``key``: one key per alarm *episode*; repeats, restores and reminders name it, so
the processor finds the alarm row with ``WHERE key = ?``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from vigie.domain.register import AlarmKind

__all__ = [
    "Decision",
    "Ignored",
    "LogOnly",
    "RaiseAlarm",
    "Reminder",
    "RepeatAlarm",
    "RestoreAlarm",
    "StateChange",
    "StateWhat",
]


class StateWhat(StrEnum):
    """What a ``StateChange`` is about; ``item`` names which one."""

    PARTITION = "partition"  # armed / disarmed
    ZONE = "zone"  # normal / alarm / trouble
    BYPASS = "bypass"  # in_service / bypassed (of a zone)
    TRANSMITTER = "transmitter"  # ok / missing (supervision)


@dataclass(frozen=True, slots=True)
class RaiseAlarm:
    """A new alarm: the processor inserts it and groups it into the site's incident."""

    decision: ClassVar[str] = "raise_alarm"
    key: str
    kind: AlarmKind
    site_id: str | None
    account: str | None
    code: str
    description: str  # French, as shown to the operator
    zone: str | None
    zone_label: str
    partition: str | None
    user: str | None
    user_name: str
    signal_id: int | None
    at: datetime
    priority: int
    description_en: str = ""
    expects_restore: bool = True  # reminders follow until a restore or the operator closes it
    text_fr: str = ""
    text_en: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RepeatAlarm:
    """The same alarm again (flood control): bump ``count`` of the alarm named by ``key``.

    ``reactivated`` is true when the alarm had been restored within the flood window and
    is active again (the processor clears its restore time).
    """

    decision: ClassVar[str] = "repeat_alarm"
    key: str
    signal_id: int | None
    at: datetime
    count: int
    site_id: str | None = None
    kind: AlarmKind = AlarmKind.OTHER
    reactivated: bool = False
    text_fr: str = ""
    text_en: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RestoreAlarm:
    """The condition behind the alarm ``key`` ended (BR after BA, CID qualifier 3...)."""

    decision: ClassVar[str] = "restore_alarm"
    key: str
    signal_id: int | None
    at: datetime
    site_id: str | None = None
    kind: AlarmKind = AlarmKind.OTHER
    text_fr: str = ""
    text_en: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StateChange:
    """A partition, zone or transmitter changed state; ``by`` is the panel user if any."""

    decision: ClassVar[str] = "state_change"
    site_id: str | None
    what: StateWhat
    item: str
    old: str
    new: str
    by: str | None
    at: datetime
    signal_id: int | None = None
    text_fr: str = ""
    text_en: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reminder:
    """The alarm ``key`` is still not restored ``count`` reminder periods after it rose."""

    decision: ClassVar[str] = "reminder"
    key: str
    at: datetime
    count: int = 1
    site_id: str | None = None
    kind: AlarmKind = AlarmKind.OTHER
    text_fr: str = ""
    text_en: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LogOnly:
    """A signal that raises nothing (opening in hours, test, site on test): logged."""

    decision: ClassVar[str] = "log_only"
    site_id: str | None
    text_fr: str
    text_en: str
    data: dict[str, Any] = field(default_factory=dict)
    signal_id: int | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """A signal deliberately not processed (NAKed, duplicate...), never silently."""

    decision: ClassVar[str] = "ignored"
    reason: str
    signal_id: int | None = None
    site_id: str | None = None
    text_fr: str = ""
    text_en: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


Decision = RaiseAlarm | RepeatAlarm | RestoreAlarm | StateChange | Reminder | LogOnly | Ignored
