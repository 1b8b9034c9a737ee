"""Register objects to and from JSON-shaped dicts: the one spelling of the register.

The database stores these dicts, the JSON file format is these dicts, the REST API
sends them: one codec, so an export re-imports equal. Decoding collects every error in
a ``Problems`` with the path of the field (``zones[1].number``) instead of stopping at
the first one. Secret words are not this module's business: it carries their hashes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar

from vigie.domain.errors import InvalidValue
from vigie.domain.register import (
    SUPERVISION_PRESETS,
    AlarmKind,
    Contact,
    Customer,
    DaySchedule,
    PanelUser,
    Partition,
    Procedure,
    ProcedureStep,
    Provider,
    Site,
    SiteSchedule,
    StepKind,
    Supervision,
    TestPeriod,
    Zone,
    ZoneType,
)
from vigie.domain.register_encode import (
    customer_to_dict,
    days_to_list,
    procedure_to_dict,
    provider_to_dict,
    site_to_dict,
)
from vigie.domain.register_set import RegisterError

__all__ = [
    "Problems",
    "contact_from_dict",
    "customer_from_dict",
    "customer_to_dict",
    "days_from_list",
    "days_to_list",
    "procedure_from_dict",
    "procedure_to_dict",
    "provider_from_dict",
    "provider_to_dict",
    "site_from_dict",
    "site_to_dict",
    "zone_from_dict",
]

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
Data = dict[str, Any]

# Domain field names that differ from the file's.
_RENAMED = {"interval": "interval_seconds", "grace": "grace_seconds"}


class Problems:
    """Collects errors with their paths; ``build`` turns an ``InvalidValue`` into one."""

    def __init__(self) -> None:
        self.errors: list[RegisterError] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(RegisterError(path, message))

    def build(self, path: str, make: Callable[..., T], *args: Any) -> T | None:
        try:
            return make(*args)
        except InvalidValue as exc:
            self.add(_join(path, _RENAMED.get(exc.field, exc.field)), f"expected {exc.expected}")
            return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# --- decoding -------------------------------------------------------------------------


def customer_from_dict(d: Data, problems: Problems, path: str = "") -> Customer | None:
    return problems.build(
        path,
        lambda: Customer(
            id=d["id"],
            name=d["name"],
            phone=d.get("phone", ""),
            email=d.get("email", ""),
            address=d.get("address", ""),
            notes=d.get("notes", ""),
        ),
    )


def days_from_list(items: list[Data], problems: Problems, path: str) -> tuple[DaySchedule, ...]:
    """Expand ``weekdays`` groups; one entry per weekday, sorted, so exports compare equal."""
    days: dict[int, DaySchedule] = {}
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        opens = problems.build(where, _time, "opens", item.get("opens"))
        closes = problems.build(where, _time, "closes", item.get("closes"))
        weekdays = item.get("weekdays", [])
        if not weekdays:
            problems.add(_join(where, "weekdays"), "expected at least one weekday (0 = Monday)")
        for day in weekdays:
            if day in days:
                problems.add(_join(where, "weekdays"), f"expected each weekday once, {day} twice")
            if opens is None or closes is None:
                continue
            made = problems.build(where, DaySchedule, day, opens, closes)
            if made is not None:
                days[day] = made
    return tuple(days[k] for k in sorted(days))


def site_from_dict(
    d: Data, problems: Problems, path: str = "", transmitters: tuple[str, ...] = ()
) -> Site | None:
    before = len(problems.errors)
    sched = d.get("schedule") or {}
    days = days_from_list(sched.get("days", []), problems, _join(path, "schedule.days"))
    exceptions = _exceptions(sched.get("exceptions", []), problems, _join(path, "schedule"))
    tests = [
        problems.build(f"{_join(path, 'test_periods')}[{i}]", _test_period, p)
        for i, p in enumerate(d.get("test_periods", []))
    ]
    partitions = tuple(
        Partition(str(p["number"]), p.get("label", "")) for p in d.get("partitions", [])
    )
    zones = [
        zone_from_dict(z, problems, f"{_join(path, 'zones')}[{i}]")
        for i, z in enumerate(d.get("zones", []))
    ]
    users = tuple(
        PanelUser(str(u["number"]), u.get("name", ""), u.get("contact_id"))
        for u in d.get("users", [])
    )
    contacts = [
        contact_from_dict(c, problems, f"{_join(path, 'contacts')}[{i}]")
        for i, c in enumerate(d.get("contacts", []))
    ]
    supervision = None
    if d.get("supervision") is not None:
        supervision = _supervision(d["supervision"], problems, _join(path, "supervision"))
    # Built even when a part failed, so the site's own fields are checked too.
    site = problems.build(
        path,
        lambda: Site(
            id=d["id"],
            customer_id=d["customer_id"],
            name=d["name"],
            kind=d.get("kind", ""),
            address=d.get("address", ""),
            postcode=d.get("postcode", ""),
            city=d.get("city", ""),
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            timezone=d.get("timezone") or "Europe/Paris",
            access=d.get("access", ""),
            dangers=d.get("dangers", ""),
            phone=d.get("phone", ""),
            schedule=SiteSchedule(days, exceptions, int(sched.get("tolerance_minutes", 15))),
            test_periods=tuple(t for t in tests if t is not None),
            partitions=partitions,
            zones=tuple(z for z in zones if z is not None),
            users=users,
            contacts=tuple(c for c in contacts if c is not None),
            transmitters=transmitters,
            supervision=supervision,
            provider_ids=tuple(d.get("provider_ids", [])),
        ),
    )
    return site if len(problems.errors) == before else None


def _exceptions(
    items: list[Data], problems: Problems, path: str
) -> tuple[tuple[date, DaySchedule | None], ...]:
    found: list[tuple[date, DaySchedule | None]] = []
    for i, item in enumerate(items):
        where = f"{path}.exceptions[{i}]"
        day = problems.build(where, _date, "date", item.get("date"))
        if day is None:
            continue
        if item.get("closed") or (item.get("opens") is None and item.get("closes") is None):
            found.append((day, None))
            continue
        hours = problems.build(
            where,
            _hours_on,
            day,
            item,
        )
        if hours is not None:
            found.append((day, hours))
    return tuple(sorted(found, key=lambda pair: pair[0]))


def _hours_on(day: date, item: Data) -> DaySchedule:
    opens, closes = _time("opens", item.get("opens")), _time("closes", item.get("closes"))
    return DaySchedule(day.weekday(), opens, closes)


def _step(d: Data, i: int) -> ProcedureStep:
    kind = _enum(StepKind, f"steps[{i}].kind", d.get("kind"))
    return ProcedureStep(kind, d.get("text", ""), bool(d.get("mandatory", True)))


def _test_period(d: Data) -> TestPeriod:
    starts, ends = _instant("starts", d.get("starts")), _instant("ends", d.get("ends"))
    if ends <= starts:
        raise InvalidValue("ends", "a time after starts")
    return TestPeriod(starts, ends, d.get("reason", ""))


def zone_from_dict(d: Data, problems: Problems, path: str = "") -> Zone | None:
    return problems.build(path, _zone, d)


def _zone(d: Data) -> Zone:
    return Zone(
        number=str(d.get("number", "")),
        label=d.get("label", ""),
        type=_enum(ZoneType, "type", d.get("type", "intrusion")),
        partition=None if d.get("partition") in (None, "") else str(d["partition"]),
        location=d.get("location", ""),
        cameras=tuple(d.get("cameras", [])),
    )


def contact_from_dict(d: Data, problems: Problems, path: str = "") -> Contact | None:
    availability = days_from_list(d.get("availability", []), problems, _join(path, "availability"))
    return problems.build(
        path,
        lambda: Contact(
            id=d["id"],
            name=d["name"],
            call_order=int(d["call_order"]),
            phones=tuple(d.get("phones", [])),
            role=d.get("role", ""),
            secret_word_hash=d.get("secret_word_hash"),
            duress_word_hash=d.get("duress_word_hash"),
            availability=availability,
            notes=d.get("notes", ""),
        ),
    )


def _supervision(d: Data, problems: Problems, path: str) -> Supervision | None:
    category = str(d.get("category") or "custom").upper()
    grace = int(d.get("grace_seconds") or 0)
    interval = d.get("interval_seconds")
    if category == "CUSTOM":
        if interval is None:
            problems.add(_join(path, "interval_seconds"), "expected seconds for a custom category")
            return None
        return problems.build(path, lambda: Supervision(int(interval), grace, "custom"))
    if category in SUPERVISION_PRESETS and interval not in (None, SUPERVISION_PRESETS[category]):
        problems.add(
            _join(path, "interval_seconds"),
            f"expected {SUPERVISION_PRESETS[category]} for {category} (or leave it out)",
        )
        return None
    return problems.build(path, lambda: Supervision.preset(category, grace))


def procedure_from_dict(d: Data, problems: Problems, path: str = "") -> Procedure | None:
    kinds = [
        problems.build(path, _enum, AlarmKind, f"kinds[{i}]", k)
        for i, k in enumerate(d.get("kinds", []))
    ]
    steps = [
        problems.build(
            path,
            _step,
            s,
            i,
        )
        for i, s in enumerate(d.get("steps", []))
    ]
    if not kinds:
        problems.add(_join(path, "kinds"), "expected at least one alarm kind")
    if any(k is None for k in kinds) or any(s is None for s in steps) or not kinds:
        return None
    return problems.build(
        path,
        lambda: Procedure(
            id=d["id"],
            name=d.get("name", ""),
            kinds=tuple(k for k in kinds if k is not None),
            steps=tuple(s for s in steps if s is not None),
            site_id=d.get("site_id"),
        ),
    )


def provider_from_dict(d: Data, problems: Problems, path: str = "") -> Provider | None:
    return problems.build(
        path,
        lambda: Provider(
            id=d["id"],
            name=d["name"],
            kind=d.get("kind", ""),
            phones=tuple(d.get("phones", [])),
            areas=tuple(d.get("areas", [])),
        ),
    )


def _enum(cls: type[E], name: str, value: object) -> E:
    try:
        return cls(str(value))
    except ValueError:
        raise InvalidValue(name, "one of " + ", ".join(m.value for m in cls)) from None


def _time(name: str, value: object) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(name, f"a time of day HH:MM, got {value!r}") from None


def _date(name: str, value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(name, f"a date YYYY-MM-DD, got {value!r}") from None


def _instant(name: str, value: object) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(name, f"an ISO-8601 time, got {value!r}") from None
    if when.tzinfo is None:
        raise InvalidValue(name, "a time with its UTC offset (2026-12-01T08:00:00+01:00)")
    return when
