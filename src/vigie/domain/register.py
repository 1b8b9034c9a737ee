"""The register: customers, sites, their equipment, people and procedures (consignes).

Plain frozen dataclasses with their own rules checked at construction (``InvalidValue``
names the field). Identifiers are strings chosen by the station (``"PHARMA-01"``) so that
an exported register can be re-imported and diffed; the database adds its own keys.
Times of day are local to the site's time zone; instants are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from vigie.domain.errors import InvalidValue

__all__ = [
    "SUPERVISION_PRESETS",
    "AlarmKind",
    "Contact",
    "Customer",
    "DaySchedule",
    "PanelUser",
    "Partition",
    "Procedure",
    "ProcedureStep",
    "Provider",
    "Site",
    "SiteSchedule",
    "StepKind",
    "Supervision",
    "TestPeriod",
    "Zone",
    "ZoneType",
    "choose_procedure",
]


class AlarmKind(StrEnum):
    """What an alarm is about: the key of procedures and of the priority table."""

    HOLDUP = "holdup"  # hold-up, panic, duress: raised by a person
    FIRE = "fire"
    MEDICAL = "medical"
    INTRUSION = "intrusion"
    TECHNICAL = "technical"
    TAMPER = "tamper"
    TROUBLE = "trouble"
    SUPERVISION = "supervision"  # test signal missing
    SCHEDULE = "schedule"  # late to close, opened out of hours, unknown user
    UNKNOWN_TRANSMITTER = "unknown_transmitter"
    VIDEO = "video"
    CAMERA_FAULT = "camera_fault"  # video loss, frozen, black, blinded...: level-1 ticket
    OTHER = "other"

    @property
    def raised_by_a_person(self) -> bool:
        """Police may be called without a levée de doute (CSI L613-6) for these."""
        return self in (AlarmKind.HOLDUP, AlarmKind.MEDICAL)


class ZoneType(StrEnum):
    INTRUSION = "intrusion"
    ENTRY_EXIT = "entry_exit"
    PERIMETER = "perimeter"
    FIRE = "fire"
    PANIC = "panic"
    MEDICAL = "medical"
    TECHNICAL = "technical"
    TAMPER = "tamper"
    KEY_SWITCH = "key_switch"
    OTHER = "other"


class StepKind(StrEnum):
    VERIFY_VIDEO = "verify_video"
    CALL_SITE = "call_site"
    CALL_CONTACTS = "call_contacts"  # the contact list, in call order
    CHECK_SECRET_WORD = "check_secret_word"
    DISPATCH_PROVIDER = "dispatch_provider"
    NOTIFY_POLICE = "notify_police"
    NOTIFY_FIRE = "notify_fire"
    WAIT_RESTORE = "wait_restore"
    FREE_TEXT = "free_text"


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        _require_id("id", self.id)
        _require("name", self.name)


@dataclass(frozen=True, slots=True)
class DaySchedule:
    """Opening hours of one weekday (0 = Monday): open at ``opens``, armed by ``closes``."""

    weekday: int
    opens: time
    closes: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidValue("weekday", "0 (Monday) to 6 (Sunday)")
        if self.closes <= self.opens:
            raise InvalidValue("closes", f"a time after opens ({self.opens:%H:%M})")


@dataclass(frozen=True, slots=True)
class SiteSchedule:
    """When the site is expected open; outside these hours it should be armed.

    ``exceptions`` replace a date's hours (``None`` hours = closed all day: holidays).
    ``tolerance_minutes`` is the grace before "late to close" / "opened out of hours".
    An empty schedule means the site is not watched for openings and closings.
    """

    days: tuple[DaySchedule, ...] = ()
    exceptions: tuple[tuple[date, DaySchedule | None], ...] = ()
    tolerance_minutes: int = 15

    def hours_on(self, day: date) -> DaySchedule | None:
        for when, hours in self.exceptions:
            if when == day:
                return hours
        for hours in self.days:
            if hours.weekday == day.weekday():
                return hours
        return None

    @property
    def watched(self) -> bool:
        return bool(self.days or self.exceptions)


@dataclass(frozen=True, slots=True)
class TestPeriod:
    """A site "on test" (maintenance): its signals are logged, no alarm is raised."""

    starts: datetime
    ends: datetime
    reason: str = ""

    def covers(self, when: datetime) -> bool:
        return self.starts <= when < self.ends


# EN 50136-1 single-path reporting times, as supervision presets (seconds).
SUPERVISION_PRESETS: dict[str, int] = {
    "SP1": 32 * 24 * 3600,
    "SP2": 25 * 3600,
    "SP3": 30 * 60,
    "SP4": 3 * 60,
    "SP5": 90,
    "SP6": 20,
}


@dataclass(frozen=True, slots=True)
class Supervision:
    """How often a transmitter must be heard from, and the grace after that."""

    interval_seconds: int
    grace_seconds: int = 0
    category: str = "custom"  # SP1..SP6 or "custom"

    def __post_init__(self) -> None:
        if self.interval_seconds <= 0:
            raise InvalidValue("interval", "a positive number of seconds")
        if self.grace_seconds < 0:
            raise InvalidValue("grace", "zero or more seconds")

    @classmethod
    def preset(cls, category: str, grace_seconds: int = 0) -> Supervision:
        try:
            interval = SUPERVISION_PRESETS[category.upper()]
        except KeyError:
            raise InvalidValue("category", "SP1, SP2, SP3, SP4, SP5 or SP6") from None
        return cls(interval, grace_seconds, category.upper())

    @property
    def deadline_seconds(self) -> int:
        return self.interval_seconds + self.grace_seconds


@dataclass(frozen=True, slots=True)
class Partition:
    number: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Zone:
    number: str
    label: str
    type: ZoneType = ZoneType.INTRUSION
    partition: str | None = None
    location: str = ""
    cameras: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require("number", self.number)


@dataclass(frozen=True, slots=True)
class PanelUser:
    """A user code of the panel and the person behind it."""

    number: str
    name: str
    contact_id: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A keyholder or person to call. Secret and duress words are kept as hashes only."""

    id: str
    name: str
    call_order: int
    phones: tuple[str, ...]
    role: str = ""  # "gérant", "voisin", ...
    secret_word_hash: str | None = field(default=None, repr=False)
    duress_word_hash: str | None = field(default=None, repr=False)
    availability: tuple[DaySchedule, ...] = ()  # empty = always available
    notes: str = ""

    def __post_init__(self) -> None:
        _require_id("id", self.id)
        _require("name", self.name)
        if not self.phones:
            raise InvalidValue("phones", "at least one phone number")


@dataclass(frozen=True, slots=True)
class ProcedureStep:
    kind: StepKind
    text: str = ""
    mandatory: bool = True


@dataclass(frozen=True, slots=True)
class Procedure:
    """Consignes: ordered steps for one alarm kind. ``site_id`` None = a shared template."""

    id: str
    name: str
    kinds: tuple[AlarmKind, ...]
    steps: tuple[ProcedureStep, ...]
    site_id: str | None = None

    def __post_init__(self) -> None:
        _require_id("id", self.id)
        if not self.steps:
            raise InvalidValue("steps", "at least one step")


@dataclass(frozen=True, slots=True)
class Provider:
    """An intervention company (guards, technicians) and the areas it serves."""

    id: str
    name: str
    kind: str  # "guard", "technician", ...
    phones: tuple[str, ...]
    areas: tuple[str, ...] = ()  # postcodes or towns served

    def __post_init__(self) -> None:
        _require_id("id", self.id)
        _require("name", self.name)


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    customer_id: str
    name: str
    kind: str = ""  # "pharmacie", "entrepôt", "maison", "agence bancaire", "école"...
    address: str = ""
    postcode: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    timezone: str = "Europe/Paris"
    access: str = ""  # access instructions: keys, codes, parking...
    dangers: str = ""  # dog, chemicals, high voltage...
    phone: str = ""
    schedule: SiteSchedule = SiteSchedule()
    test_periods: tuple[TestPeriod, ...] = ()
    partitions: tuple[Partition, ...] = ()
    zones: tuple[Zone, ...] = ()
    users: tuple[PanelUser, ...] = ()
    contacts: tuple[Contact, ...] = ()
    transmitters: tuple[str, ...] = ()  # accounts reporting for this site
    supervision: Supervision | None = None
    provider_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_id("id", self.id)
        _require_id("customer_id", self.customer_id)
        _require("name", self.name)
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise InvalidValue("latitude", "-90 to 90")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise InvalidValue("longitude", "-180 to 180")
        _unique("zones", [z.number for z in self.zones])
        _unique("contacts", [c.id for c in self.contacts])
        _unique("users", [u.number for u in self.users])

    def zone(self, number: str | None) -> Zone | None:
        if number is None:
            return None
        wanted = _number(number)
        return next((z for z in self.zones if _number(z.number) == wanted), None)

    def user(self, number: str | None) -> PanelUser | None:
        if number is None:
            return None
        wanted = _number(number)
        return next((u for u in self.users if _number(u.number) == wanted), None)

    def on_test(self, when: datetime) -> bool:
        return any(period.covers(when) for period in self.test_periods)

    def contacts_in_order(self) -> tuple[Contact, ...]:
        return tuple(sorted(self.contacts, key=lambda c: c.call_order))


def _number(value: str) -> str:
    """Zone and user numbers compare as numbers: CID "003" is SIA "3"."""
    stripped = value.strip().lstrip("0")
    return stripped or "0"


def _require(name: str, value: str) -> None:
    if not value or not value.strip():
        raise InvalidValue(name, "a non-empty value")


def _require_id(name: str, value: str) -> None:
    _require(name, value)
    if len(value) > 64 or any(c.isspace() for c in value):
        raise InvalidValue(name, "an identifier of at most 64 characters without spaces")


def _unique(name: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InvalidValue(name, f"unique numbers or ids, {value!r} appears twice")
        seen.add(value)


def choose_procedure(
    procedures: Iterable[Procedure], site_id: str, kind: AlarmKind
) -> Procedure | None:
    """The site's own procedure for ``kind`` if any, else a shared template covering it
    (the first by id, so the choice does not depend on storage order)."""
    covering = sorted(
        (p for p in procedures if kind in p.kinds and p.site_id in (site_id, None)),
        key=lambda p: p.id,
    )
    own = [p for p in covering if p.site_id == site_id]
    chosen = own or covering
    return chosen[0] if chosen else None
