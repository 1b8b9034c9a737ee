"""Normalise one journal event: what it means for the station, on this site.

The codecs already give each event a category, a restore flag and, for openings and
closings, which one it is. Here that becomes an ``Action`` and, for alarms, an
``AlarmKind``; the site adds the zone's label and type and the user's name. Behaviour is
kept in tables (category -> kind, restore code -> the code it ends).

The *point* of an event is what its alarm is about on the site: its zone when it names
one, else its code family (SIA ``YK`` ends ``YC``; Contact ID restores reuse their code).
Alarm keys are built from site, kind and point, so a restore finds its alarm.

Video events (protocol ``VIDEO``) carry their camera in a ``camera`` modifier: their point
is ``v:<camera>:<code>``, so a FROZEN restore ends FROZEN on that camera only. Analytics
codes are video alarms on the camera's zone; health codes are camera faults, which are
about the camera, not the zone: they leave the zone's state alone and name no zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vigie.domain.register import AlarmKind, Site, ZoneType
from vigie.domain.signals import SignalEvent

__all__ = ["Action", "Normalised", "normalise", "number"]

CID = "ADM-CID"
SIA = "SIA-DCS"
VIDEO = "VIDEO"
VIDEO_FAULT_CATEGORY = "camera_fault"


class Action(StrEnum):
    ALARM = "alarm"
    RESTORE = "restore"
    OPENING = "opening"  # disarm
    CLOSING = "closing"  # arm
    TEST = "test"
    BYPASS = "bypass"
    UNBYPASS = "unbypass"
    SCHEDULE = "schedule"  # the panel itself reports late / failed arming
    STATUS = "status"  # Contact ID qualifier 6: condition still present
    INFO = "info"  # known, informational: logged


CATEGORY_KINDS: dict[str, AlarmKind] = {
    "panic": AlarmKind.HOLDUP,
    "fire": AlarmKind.FIRE,
    "medical": AlarmKind.MEDICAL,
    "intrusion": AlarmKind.INTRUSION,
    "technical": AlarmKind.TECHNICAL,
    "tamper": AlarmKind.TAMPER,
    "trouble": AlarmKind.TROUBLE,
    "video": AlarmKind.VIDEO,
    VIDEO_FAULT_CATEGORY: AlarmKind.CAMERA_FAULT,
}

# Zone types that say what a generic alarm on that zone really is.
ZONE_KINDS: dict[ZoneType, AlarmKind] = {
    ZoneType.FIRE: AlarmKind.FIRE,
    ZoneType.PANIC: AlarmKind.HOLDUP,
    ZoneType.MEDICAL: AlarmKind.MEDICAL,
    ZoneType.TECHNICAL: AlarmKind.TECHNICAL,
    ZoneType.TAMPER: AlarmKind.TAMPER,
}
# Kinds a zone type may lift any intrusion code to (never downgrade a specific code).
_LIFTS = frozenset({AlarmKind.FIRE, AlarmKind.HOLDUP, AlarmKind.MEDICAL})

# Codes that say "alarm" without saying of what: the zone's type decides.
GENERIC_CODES: frozenset[tuple[str, str]] = frozenset(
    {(SIA, "UA"), (SIA, "UH"), (SIA, "UR"), (SIA, "UX"), (CID, "140")}
)

# Known "other" codes that still need an operator (no activity, latch-key, undefined).
ALARMING_OTHER: frozenset[tuple[str, str]] = frozenset(
    {(SIA, "NA"), (SIA, "NS"), (SIA, "JK"), (SIA, "UX"), (CID, "654")}
)

# Opening/closing events that are not an arm or disarm but the panel's own schedule alarm.
PANEL_SCHEDULE_CODES: frozenset[tuple[str, str]] = frozenset(
    {(SIA, "CI"), (SIA, "CD"), (SIA, "OT"), (SIA, "CT"), (SIA, "OI")}
    | {(CID, "453"), (CID, "454"), (CID, "455")}
)

# SIA restore (and sibling) codes -> the code family they end, for events with no zone.
SIA_FAMILY: dict[str, str] = {
    "AR": "AT",
    "YK": "YC",
    "YS": "YC",
    "YR": "YT",
    "YM": "YT",
    "YQ": "YP",
    "YH": "YA",
    "YJ": "YI",
    "VY": "VZ",
    "TH": "TA",
    "TJ": "TT",
    "JC": "JA",
    "LR": "LT",
    "NR": "NT",
    "ER": "ET",
    "EN": "EM",
    "XR": "XT",
    "XH": "XQ",
    "IR": "IA",
    "YE": "YD",
    "YZ": "YX",
    "NS": "NA",
}


def number(value: str | None) -> str | None:
    """Zone, user and area numbers compare as numbers: CID "003" is SIA "3"."""
    if value is None:
        return None
    stripped = value.strip().lstrip("0")
    return stripped or "0"


@dataclass(frozen=True, slots=True)
class Normalised:
    """One event as the rules see it."""

    action: Action
    kind: AlarmKind | None  # for ALARM / RESTORE / SCHEDULE / STATUS
    code: str
    point: str  # "z:3" or "c:YC": what the alarm is about on the site
    zone: str | None
    zone_label: str
    partition: str | None
    user: str | None
    user_name: str
    known_user: bool  # False only when the site lists users and this one is not among them
    duress: bool
    known: bool
    description_fr: str
    description_en: str


def _is_duress(event: SignalEvent) -> bool:
    """Duress codes are panic-category codes that say so (CID 121, 124, 125; SIA ND...)."""
    if event.category != "panic":
        return False
    return "contrainte" in event.description_fr.lower() or "duress" in event.description_en.lower()


def _action(event: SignalEvent) -> Action:
    ident = (event.protocol, event.code.upper())
    if event.qualifier == "6" and event.category not in ("opening_closing", "test", "bypass"):
        return Action.STATUS
    category = event.category
    if category == "opening_closing":
        if event.closing is True:
            return Action.CLOSING
        if event.closing is False:
            return Action.OPENING
        if ident in PANEL_SCHEDULE_CODES:
            return Action.RESTORE if event.restore else Action.SCHEDULE
        return Action.INFO
    if category == "test":
        return Action.TEST
    if category == "bypass":
        return Action.UNBYPASS if event.restore else Action.BYPASS
    if category in CATEGORY_KINDS or not event.known or ident in ALARMING_OTHER:
        return Action.RESTORE if event.restore else Action.ALARM
    return Action.INFO


def _kind(event: SignalEvent, action: Action, zone_type: ZoneType | None) -> AlarmKind | None:
    if action in (Action.SCHEDULE,):
        return AlarmKind.SCHEDULE
    if action is Action.RESTORE and event.category == "opening_closing":
        return AlarmKind.SCHEDULE
    if action not in (Action.ALARM, Action.RESTORE, Action.STATUS):
        return None
    if not event.known:
        return AlarmKind.OTHER
    kind = CATEGORY_KINDS.get(event.category, AlarmKind.OTHER)
    if zone_type is None or zone_type not in ZONE_KINDS:
        return kind
    zone_kind = ZONE_KINDS[zone_type]
    generic = (event.protocol, event.code.upper()) in GENERIC_CODES
    if kind in (AlarmKind.INTRUSION, AlarmKind.OTHER) and (generic or zone_kind in _LIFTS):
        return zone_kind
    return kind


def _point(event: SignalEvent, zone: str | None) -> str:
    if event.protocol == VIDEO:
        camera = next((v for k, v in event.modifiers if k == "camera"), "?")
        return f"v:{camera}:{event.code.upper()}"
    if zone is not None:
        return f"z:{zone}"
    code = event.code.upper()
    if event.protocol == SIA:
        code = SIA_FAMILY.get(code, code)
    return f"c:{code}"


def normalise(event: SignalEvent, site: Site | None) -> Normalised:
    """Pure: never raises on what a panel may send (unknown zone, user or code)."""
    zone = number(event.zone)
    if event.protocol == VIDEO and event.category == VIDEO_FAULT_CATEGORY:
        zone = None
    user = number(event.user)
    site_zone = site.zone(zone) if site is not None else None
    site_user = site.user(event.user) if site is not None else None
    partition = number(event.area)
    if partition is None and site_zone is not None and site_zone.partition is not None:
        partition = number(site_zone.partition)
    action = _action(event)
    kind = _kind(event, action, site_zone.type if site_zone is not None else None)
    known_user = user is None or site is None or not site.users or site_user is not None
    return Normalised(
        action=action,
        kind=kind,
        code=event.code,
        point=_point(event, zone),
        zone=zone,
        zone_label=site_zone.label if site_zone is not None else "",
        partition=partition,
        user=user,
        user_name=site_user.name if site_user is not None else "",
        known_user=known_user,
        duress=_is_duress(event),
        known=event.known,
        description_fr=event.description_fr,
        description_en=event.description_en,
    )
