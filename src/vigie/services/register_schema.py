"""The register's outside schema (file format version 1 and REST bodies), in pydantic.

Pydantic checks shapes and types and names the field of each mistake; the domain codec
then checks the rules. Both kinds of error come back as ``RegisterError`` with a path
such as ``sites[3].zones[1].number``. Secret words may arrive in clear
(``secret_word``) and are hashed here; a stored hash (``secret_word_hash``) is accepted
only if it is one ``secret_words`` can check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vigie.domain.errors import InvalidValue
from vigie.domain.register import AlarmKind, StepKind, ZoneType
from vigie.domain.register_codec import Problems
from vigie.domain.register_set import RegisterError
from vigie.domain.transmitters import Transmitter
from vigie.services.secret_words import hash_word, is_word_hash

__all__ = [
    "FORMAT",
    "VERSION",
    "ContactIn",
    "CustomerIn",
    "Hasher",
    "ProcedureIn",
    "ProviderIn",
    "RegisterFile",
    "SiteIn",
    "TransmitterIn",
    "loc_path",
    "pydantic_errors",
    "resolve_words",
    "transmitter_from_model",
]

FORMAT = "vigie-register"
VERSION = 1
Hasher = Callable[[str], str]


class _In(BaseModel):
    # Unknown fields are mistakes (a typo would silently lose data); numbers may be
    # written bare where a string is meant (zone 3 is zone "3").
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class CustomerIn(_In):
    id: str
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""
    notes: str = ""


class HoursIn(_In):
    weekdays: list[int] = Field(description="0 = lundi … 6 = dimanche")
    opens: str = Field(description="HH:MM, heure locale du site")
    closes: str = Field(description="HH:MM, après opens")


class ExceptionIn(_In):
    date: str = Field(description="YYYY-MM-DD")
    closed: bool = False
    opens: str | None = None
    closes: str | None = None


class ScheduleIn(_In):
    days: list[HoursIn] = []
    exceptions: list[ExceptionIn] = []
    tolerance_minutes: int = Field(default=15, ge=0, le=720)


class TestPeriodIn(_In):
    starts: str
    ends: str
    reason: str = ""


class PartitionIn(_In):
    number: str
    label: str = ""


class ZoneIn(_In):
    number: str
    label: str = ""
    type: ZoneType = ZoneType.INTRUSION
    partition: str | None = None
    location: str = ""
    cameras: list[str] = []


class UserIn(_In):
    number: str
    name: str = ""
    contact_id: str | None = None


class ContactIn(_In):
    id: str
    name: str
    call_order: int = Field(ge=0)
    phones: list[str]
    role: str = ""
    secret_word: str | None = Field(default=None, description="en clair, haché à l'écriture")
    secret_word_hash: str | None = None
    duress_word: str | None = Field(default=None, description="mot de contrainte, en clair")
    duress_word_hash: str | None = None
    availability: list[HoursIn] = []
    notes: str = ""


class SupervisionIn(_In):
    category: str = Field(default="custom", description="SP1 … SP6 (EN 50136-1) ou custom")
    interval_seconds: int | None = None
    grace_seconds: int = Field(default=0, ge=0)


class SiteIn(_In):
    id: str
    customer_id: str
    name: str
    kind: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    timezone: str = "Europe/Paris"
    access: str = ""
    dangers: str = ""
    phone: str = ""
    schedule: ScheduleIn = ScheduleIn()
    test_periods: list[TestPeriodIn] = []
    partitions: list[PartitionIn] = []
    zones: list[ZoneIn] = []
    users: list[UserIn] = []
    contacts: list[ContactIn] = []
    supervision: SupervisionIn | None = None
    provider_ids: list[str] = []


class StepIn(_In):
    kind: StepKind
    text: str = ""
    mandatory: bool = True


class ProcedureIn(_In):
    id: str
    name: str = ""
    kinds: list[AlarmKind]
    steps: list[StepIn]
    site_id: str | None = None


class ProviderIn(_In):
    id: str
    name: str
    kind: str = ""
    phones: list[str] = []
    areas: list[str] = []


class TransmitterIn(_In):
    account: str
    receiver: str | None = None
    prefix: str | None = None
    key_hex: str | None = Field(default=None, description="clé AES en hexadécimal (32, 48 ou 64)")
    key_text: str | None = Field(default=None, description="clé AES en texte (16, 24 ou 32)")
    ignore_timestamp: bool = False
    label: str = ""
    site_id: str | None = None


class RegisterFile(_In):
    """The envelope; lists are checked item by item so that every error is reported."""

    format: Literal["vigie-register"]
    version: Literal[1]
    comment: str = ""
    customers: list[CustomerIn] = []
    sites: list[SiteIn] = []
    procedures: list[ProcedureIn] = []
    providers: list[ProviderIn] = []
    transmitters: list[TransmitterIn] = []


def loc_path(loc: tuple[int | str, ...]) -> str:
    """``("sites", 3, "zones", 1, "number")`` -> ``sites[3].zones[1].number``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def pydantic_errors(exc: ValidationError, prefix: str = "") -> list[RegisterError]:
    errors = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
        path = loc_path(loc)
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        got = error.get("input")
        shown = ""
        if error["type"] not in ("missing", "extra_forbidden") and _short(got):
            shown = f", got {json.dumps(got, ensure_ascii=False)}"
        errors.append(RegisterError(path or "(file)", _message(error) + shown))
    return errors


_MESSAGES = {
    "int_parsing": "expected an integer",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "missing": "required",
    "extra_forbidden": "unknown field",
}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in ("enum", "literal_error"):
        return f"expected {ctx.get('expected', 'one of the listed values')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        return f"expected {'at least' if kind == 'greater_than_equal' else 'at most'} {bound}"
    return str(error["msg"]).lower()


def _short(value: object) -> bool:
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 60


def resolve_words(
    contact: dict[str, Any], problems: Problems, path: str, hasher: Hasher = hash_word
) -> None:
    """Replace clear words by hashes in a contact dict, in place; never keep a clear word."""
    for word in ("secret_word", "duress_word"):
        clear = contact.pop(word, None)
        stored = contact.get(f"{word}_hash")
        if clear is not None and stored is not None:
            problems.add(f"{path}.{word}", f"expected {word} or {word}_hash, not both")
        elif clear is not None:
            try:
                contact[f"{word}_hash"] = hasher(clear)
            except ValueError:
                problems.add(f"{path}.{word}", "expected at least one letter or digit")
        elif stored is not None and not is_word_hash(stored):
            problems.add(f"{path}.{word}_hash", "expected a hash written by a Vigie export")


def transmitter_from_model(t: TransmitterIn, problems: Problems, path: str) -> Transmitter | None:
    """Key in the notation it was written in: hex and text of one key are different keys."""
    if t.key_hex is not None and t.key_text is not None:
        problems.add(f"{path}.key_hex", "expected key_hex or key_text, not both")
        return None
    key: bytes | None = None
    notation: str | None = None
    try:
        if t.key_hex is not None:
            key, notation = bytes.fromhex(t.key_hex), "hex"
        elif t.key_text is not None:
            key, notation = t.key_text.encode("ascii"), "text"
    except ValueError:
        field = "key_hex" if t.key_hex is not None else "key_text"
        problems.add(f"{path}.{field}", "expected hexadecimal digits or ASCII text")
        return None
    renamed = {"key": "key_hex" if notation == "hex" else "key_text"}
    try:
        return Transmitter(
            account=t.account,
            receiver=t.receiver or None,
            prefix=t.prefix or None,
            key=key,
            key_notation=notation,
            ignore_timestamp=t.ignore_timestamp,
            label=t.label,
        )
    except InvalidValue as exc:
        name = renamed.get(exc.field, exc.field.replace("-", "_"))
        problems.add(f"{path}.{name}", f"expected {exc.expected}")
        return None
