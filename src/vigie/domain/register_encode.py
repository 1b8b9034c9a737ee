"""Register objects to JSON-shaped dicts (the decoding half is ``register_codec``).

Split from the decoder so each stays small; ``register_codec`` re-exports these.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from vigie.domain.register import (
    Contact,
    Customer,
    DaySchedule,
    Procedure,
    Provider,
    Site,
)

__all__ = [
    "customer_to_dict",
    "days_to_list",
    "procedure_to_dict",
    "provider_to_dict",
    "site_to_dict",
]

Data = dict[str, Any]


def customer_to_dict(c: Customer) -> Data:
    return {
        "id": c.id,
        "name": c.name,
        "phone": c.phone,
        "email": c.email,
        "address": c.address,
        "notes": c.notes,
    }


def days_to_list(days: tuple[DaySchedule, ...]) -> list[Data]:
    """Weekdays sharing the same hours are written once: ``{"weekdays": [0, 1, 2]...}``."""
    groups: dict[tuple[str, str], list[int]] = {}
    for d in days:
        groups.setdefault((_hm(d.opens), _hm(d.closes)), []).append(d.weekday)
    return [{"weekdays": w, "opens": o, "closes": c} for (o, c), w in groups.items()]


def site_to_dict(s: Site) -> Data:
    """The site without its transmitters (their links live with the transmitters)."""
    return {
        "id": s.id,
        "customer_id": s.customer_id,
        "name": s.name,
        "kind": s.kind,
        "address": s.address,
        "postcode": s.postcode,
        "city": s.city,
        "latitude": s.latitude,
        "longitude": s.longitude,
        "timezone": s.timezone,
        "access": s.access,
        "dangers": s.dangers,
        "phone": s.phone,
        "schedule": {
            "days": days_to_list(s.schedule.days),
            "exceptions": [_exception_to_dict(d, h) for d, h in s.schedule.exceptions],
            "tolerance_minutes": s.schedule.tolerance_minutes,
        },
        "test_periods": [
            {"starts": p.starts.isoformat(), "ends": p.ends.isoformat(), "reason": p.reason}
            for p in s.test_periods
        ],
        "partitions": [{"number": p.number, "label": p.label} for p in s.partitions],
        "zones": [
            {
                "number": z.number,
                "label": z.label,
                "type": z.type.value,
                "partition": z.partition,
                "location": z.location,
                "cameras": list(z.cameras),
            }
            for z in s.zones
        ],
        "users": [
            {"number": u.number, "name": u.name, "contact_id": u.contact_id} for u in s.users
        ],
        "contacts": [_contact_to_dict(c) for c in s.contacts],
        "supervision": None
        if s.supervision is None
        else {
            "category": s.supervision.category,
            "interval_seconds": s.supervision.interval_seconds,
            "grace_seconds": s.supervision.grace_seconds,
        },
        "provider_ids": list(s.provider_ids),
    }


def _exception_to_dict(day: date, hours: DaySchedule | None) -> Data:
    if hours is None:
        return {"date": day.isoformat(), "closed": True}
    return {"date": day.isoformat(), "opens": _hm(hours.opens), "closes": _hm(hours.closes)}


def _contact_to_dict(c: Contact) -> Data:
    return {
        "id": c.id,
        "name": c.name,
        "call_order": c.call_order,
        "phones": list(c.phones),
        "role": c.role,
        "secret_word_hash": c.secret_word_hash,
        "duress_word_hash": c.duress_word_hash,
        "availability": days_to_list(c.availability),
        "notes": c.notes,
    }


def procedure_to_dict(p: Procedure) -> Data:
    return {
        "id": p.id,
        "name": p.name,
        "kinds": [k.value for k in p.kinds],
        "site_id": p.site_id,
        "steps": [
            {"kind": s.kind.value, "text": s.text, "mandatory": s.mandatory} for s in p.steps
        ],
    }


def provider_to_dict(p: Provider) -> Data:
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "phones": list(p.phones),
        "areas": list(p.areas),
    }


def _hm(t: time) -> str:
    return t.strftime("%H:%M") if t.second == 0 else t.isoformat()
