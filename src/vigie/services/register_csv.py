"""CSV import and export of sites, zones and contacts (what a spreadsheet is good at).

A CSV import applies to the current register and gives back the new one: sites are
upserted (their zones and contacts kept); zones and contacts *replace* those of every
site the file names. Lists inside a cell are separated by ``;``. The file is refused as
a whole with every error named by line and column:
``line 7, field "call_order": expected an integer, got "first"``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from vigie.domain.register import Customer, DaySchedule, Site
from vigie.domain.register_codec import (
    Problems,
    contact_from_dict,
    days_to_list,
    site_from_dict,
    site_to_dict,
    zone_from_dict,
)
from vigie.domain.register_set import Register, RegisterError, RegisterInvalid
from vigie.services.register_schema import (
    ContactIn,
    Hasher,
    SiteIn,
    ZoneIn,
    pydantic_errors,
    resolve_words,
)
from vigie.services.secret_words import hash_word

__all__ = ["COLUMNS", "CsvKind", "apply_csv", "export_csv"]

CsvKind = Literal["sites", "zones", "contacts"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "sites": (
        "id", "customer_id", "customer_name", "name", "kind", "address", "postcode", "city",
        "latitude", "longitude", "timezone", "phone", "access", "dangers", "partitions",
        "supervision", "grace_seconds", "provider_ids",
    ),
    "zones": ("site_id", "number", "label", "type", "partition", "location", "cameras"),
    "contacts": (
        "site_id", "id", "name", "call_order", "phones", "role", "secret_word", "duress_word",
        "availability", "secret_word_hash", "duress_word_hash", "notes",
    ),
}  # fmt: skip
_REQUIRED = {
    "sites": {"id", "customer_id", "name"},
    "zones": {"site_id", "number"},
    "contacts": {"site_id", "id", "name", "call_order", "phones"},
}
_HOURS = re.compile(r"^\s*([0-6](?:\s*[-,]\s*[0-6])*)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


def apply_csv(
    register: Register, kind: CsvKind, text: str, *, hasher: Hasher = hash_word
) -> Register:
    """``register`` with the file applied, or ``RegisterInvalid`` listing every error."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    errors = [
        RegisterError(name, "unknown column", 1) for name in header if name not in COLUMNS[kind]
    ]
    errors += [
        RegisterError(name, "required column is missing", 1)
        for name in sorted(_REQUIRED[kind] - set(header))
    ]
    if errors:
        raise RegisterInvalid(errors)
    sites = {s.id: site_to_dict(s) for s in register.sites}
    accounts = {s.id: s.transmitters for s in register.sites}
    customers = {c.id: c for c in register.customers}
    replaced: set[str] = set()
    lines: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if kind == "sites":
            errors += _site_row(cells, line, sites, customers)
            lines[cells.get("id", "")] = line
            continue
        site = sites.get(cells.get("site_id", ""))
        if site is None:
            errors.append(
                RegisterError("site_id", f"an existing site, got {cells.get('site_id')!r}", line)
            )
            continue
        if site["id"] not in replaced:
            replaced.add(site["id"])
            site[kind] = []
        errors += _child_row(kind, cells, line, site, hasher)
        lines[site["id"]] = line
    if errors:
        raise RegisterInvalid(errors)
    return _rebuild(register, sites, accounts, customers, lines)


def _site_row(
    cells: dict[str, str],
    line: int,
    sites: dict[str, dict[str, Any]],
    customers: dict[str, Customer],
) -> list[RegisterError]:
    errors: list[RegisterError] = []
    customer_id, customer_name = cells.get("customer_id", ""), cells.get("customer_name", "")
    if customer_id not in customers:
        if customer_name:
            customers[customer_id] = Customer(customer_id, customer_name)
        else:
            message = f"an existing customer (or a customer_name to create it), got {customer_id!r}"
            errors.append(RegisterError("customer_id", message, line))
    current = sites.get(cells.get("id", ""), {})
    data: dict[str, Any] = {k: v for k, v in cells.items() if k in SiteIn.model_fields and v}
    for number in ("latitude", "longitude"):
        data[number] = cells.get(number) or None
    data["partitions"] = [
        {"number": n.strip(), "label": label.strip()}
        for n, _, label in (p.partition(":") for p in _split(cells.get("partitions", "")))
    ]
    data["provider_ids"] = _split(cells.get("provider_ids", ""))
    supervision = cells.get("supervision", "")
    data["supervision"] = None
    if supervision:
        grace = cells.get("grace_seconds") or "0"
        if supervision.isdigit():
            data["supervision"] = {"category": "custom", "interval_seconds": supervision}
        else:
            data["supervision"] = {"category": supervision}
        data["supervision"]["grace_seconds"] = grace
    for kept in ("schedule", "test_periods", "zones", "users", "contacts"):
        if kept in current:
            data[kept] = current[kept]
    parsed = _validate(SiteIn, data, line)
    if isinstance(parsed, list):
        return errors + parsed
    sites[parsed["id"]] = parsed
    return errors


def _child_row(
    kind: str, cells: dict[str, str], line: int, site: dict[str, Any], hasher: Hasher
) -> list[RegisterError]:
    data: dict[str, Any] = {k: v for k, v in cells.items() if k != "site_id" and v}
    if kind == "zones":
        data["cameras"] = _split(cells.get("cameras", ""))
        parsed = _validate(ZoneIn, data, line)
        if isinstance(parsed, list):
            return parsed
        zone_problems = Problems()
        if zone_from_dict(parsed, zone_problems) is None:
            return _at_line(zone_problems, line)
        partitions = {p["number"] for p in site["partitions"]}
        if parsed["partition"] is not None and parsed["partition"] not in partitions:
            got = parsed["partition"]
            return [
                RegisterError("partition", f"a partition of site {site['id']}, got {got!r}", line)
            ]
        site["zones"].append(parsed)
        return []
    data["phones"] = _split(cells.get("phones", ""))
    try:
        data["availability"] = _availability(cells.get("availability", ""))
    except ValueError as exc:
        return [RegisterError("availability", str(exc), line)]
    parsed = _validate(ContactIn, data, line)
    if isinstance(parsed, list):
        return parsed
    problems = Problems()
    resolve_words(parsed, problems, "", hasher)
    contact_from_dict(parsed, problems)
    site["contacts"].append(parsed)
    return _at_line(problems, line)


def _at_line(problems: Problems, line: int) -> list[RegisterError]:
    """A CSV error names the column: ``availability[0].closes`` is column ``availability``."""
    return [
        RegisterError(e.path.lstrip(".").split(".")[0].split("[")[0], e.message, line)
        for e in problems.errors
    ]


def _validate(
    model: type[BaseModel], data: dict[str, Any], line: int
) -> dict[str, Any] | list[RegisterError]:
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        return [
            RegisterError(e.path.split(".")[0].split("[")[0], e.message, line)
            for e in pydantic_errors(exc)
        ]


def _rebuild(
    register: Register,
    sites: dict[str, dict[str, Any]],
    accounts: dict[str, tuple[str, ...]],
    customers: dict[str, Customer],
    lines: dict[str, int],
) -> Register:
    """Domain rules of each touched site, then the cross-references of the whole set."""
    problems = Problems()
    built: list[Site] = []
    for site_id, data in sites.items():
        local = Problems()
        site = site_from_dict(data, local, "", accounts.get(site_id, ()))
        problems.errors += [replace(e, line=lines.get(site_id)) for e in local.errors]
        if site is not None:
            built.append(site)
    if problems.errors:
        raise RegisterInvalid(problems.errors)
    result = replace(register, customers=tuple(customers.values()), sites=tuple(built))
    errors = result.validate()
    if errors:
        raise RegisterInvalid(errors)
    return result


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _availability(cell: str) -> list[dict[str, Any]]:
    """``0-4 08:00-18:00; 5 09:00-12:00`` (0 = Monday) into schedule entries."""
    entries = []
    for part in _split(cell):
        match = _HOURS.match(part)
        if match is None:
            raise ValueError(f'expected "DAYS HH:MM-HH:MM" such as "0-4 08:00-18:00", got "{part}"')
        days: list[int] = []
        for chunk in match.group(1).replace(" ", "").split(","):
            first, _, last = chunk.partition("-")
            days += list(range(int(first), int(last or first) + 1))
        entries.append({"weekdays": days, "opens": match.group(2), "closes": match.group(3)})
    return entries


def _hours_cell(days: tuple[DaySchedule, ...]) -> str:
    return "; ".join(
        f"{','.join(str(d) for d in g['weekdays'])} {g['opens']}-{g['closes']}"
        for g in days_to_list(days)
    )


def export_csv(register: Register, kind: CsvKind) -> str:
    """One CSV of the register; contacts carry word hashes, never words."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[kind], lineterminator="\n")
    writer.writeheader()
    names = {c.id: c.name for c in register.customers}
    for s in register.sites:
        if kind == "sites":
            sup = s.supervision
            writer.writerow({
                "id": s.id, "customer_id": s.customer_id,
                "customer_name": names.get(s.customer_id, ""),
                "name": s.name, "kind": s.kind, "address": s.address, "postcode": s.postcode,
                "city": s.city, "latitude": s.latitude, "longitude": s.longitude,
                "timezone": s.timezone, "phone": s.phone, "access": s.access, "dangers": s.dangers,
                "partitions": ";".join(f"{p.number}:{p.label}" for p in s.partitions),
                "supervision": "" if sup is None else (
                    sup.interval_seconds if sup.category == "custom" else sup.category
                ),
                "grace_seconds": "" if sup is None else sup.grace_seconds,
                "provider_ids": ";".join(s.provider_ids),
            })  # fmt: skip
        elif kind == "zones":
            for z in s.zones:
                writer.writerow({
                    "site_id": s.id, "number": z.number, "label": z.label, "type": z.type.value,
                    "partition": z.partition or "", "location": z.location,
                    "cameras": ";".join(z.cameras),
                })  # fmt: skip
        else:
            for c in s.contacts:
                writer.writerow({
                    "site_id": s.id, "id": c.id, "name": c.name, "call_order": c.call_order,
                    "phones": ";".join(c.phones), "role": c.role, "secret_word": "",
                    "duress_word": "", "availability": _hours_cell(c.availability),
                    "secret_word_hash": c.secret_word_hash or "",
                    "duress_word_hash": c.duress_word_hash or "", "notes": c.notes,
                })  # fmt: skip
    return out.getvalue()
