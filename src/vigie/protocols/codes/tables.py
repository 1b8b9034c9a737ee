"""Loader for the SIA DC-03 and Contact ID (DC-05) code tables kept as CSV package data.

The tables are read on first use and cached (no work at import time). A malformed row
raises ``ValueError`` naming the file and line, so a bad edit fails the first test run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal, cast

from vigie.protocols.events import Category

__all__ = [
    "CidAddress",
    "CidCode",
    "CidQualifiers",
    "SiaAddress",
    "SiaCode",
    "SiaKind",
    "cid_code",
    "cid_codes",
    "parse_cid_table",
    "parse_sia_table",
    "sia_code",
    "sia_codes",
]

SiaAddress = Literal["zone", "user", "area", "none"]
SiaKind = Literal["event", "restore", "opening", "closing"]
CidAddress = Literal["zone", "user", "none"]
CidQualifiers = Literal["alarm_restore", "opening_closing"]

SIA_FILE = "sia_codes.csv"
CID_FILE = "cid_codes.csv"

_SIA_ADDRESSES: frozenset[str] = frozenset({"zone", "user", "area", "none"})
_SIA_KINDS: frozenset[str] = frozenset({"event", "restore", "opening", "closing"})
_CID_ADDRESSES: frozenset[str] = frozenset({"zone", "user", "none"})
_CID_QUALIFIERS: frozenset[str] = frozenset({"alarm_restore", "opening_closing"})


@dataclass(frozen=True, slots=True)
class SiaCode:
    """One SIA DC-03 event code.

    ``address`` says what the number after the code designates (``none``: nothing
    meaningful); ``unit`` is the finer unit named by the standard (door, expander...).
    ``kind`` is ``restore`` for restorals and unbypasses, ``opening``/``closing`` for
    disarm/arm reports, ``event`` otherwise.
    """

    code: str
    address: SiaAddress
    unit: str
    category: Category
    kind: SiaKind
    description_fr: str
    description_en: str
    source: str

    @property
    def restore(self) -> bool:
        return self.kind == "restore"

    @property
    def opening(self) -> bool:
        return self.kind == "opening"

    @property
    def closing(self) -> bool:
        return self.kind == "closing"


@dataclass(frozen=True, slots=True)
class CidCode:
    """One Contact ID (DC-05) event code.

    ``qualifiers`` tells how to read the qualifier digit: ``alarm_restore`` (1 new event,
    3 restore) or ``opening_closing`` (1 opening/disarm, 3 closing/arm). The ``*_q3``
    descriptions, when not empty, name the qualifier-3 event (the closing, or a specific
    restore wording); otherwise the codec derives it from the main description.
    """

    code: str
    address: CidAddress
    unit: str
    category: Category
    qualifiers: CidQualifiers
    description_fr: str
    description_en: str
    description_q3_fr: str
    description_q3_en: str
    source: str

    @property
    def opening_closing(self) -> bool:
        return self.qualifiers == "opening_closing"


def _read(filename: str) -> str:
    return resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")


def _rows(filename: str, text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return [(reader.line_num, row) for row in reader]


_OPTIONAL_COLUMNS = frozenset({"unit", "description_q3_fr", "description_q3_en"})


def _field(filename: str, line: int, row: Mapping[str, str | None], name: str) -> str:
    value = row.get(name)
    if value is None:
        raise ValueError(f"{filename} line {line}: missing column {name!r}")
    value = value.strip()
    if not value and name not in _OPTIONAL_COLUMNS:
        raise ValueError(f"{filename} line {line}: empty {name!r}")
    return value


def _choice(filename: str, line: int, value: str, allowed: frozenset[str], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{filename} line {line}: {name} {value!r} not one of {sorted(allowed)}")
    return value


def _category(filename: str, line: int, value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        raise ValueError(f"{filename} line {line}: unknown category {value!r}") from None


def _add(table: Mapping[str, object], filename: str, line: int, code: str) -> None:
    if not code:
        raise ValueError(f"{filename} line {line}: empty code")
    if code in table:
        raise ValueError(f"{filename} line {line}: duplicate code {code!r}")


@lru_cache(maxsize=1)
def _sia_table() -> dict[str, SiaCode]:
    return parse_sia_table(_read(SIA_FILE), SIA_FILE)


@lru_cache(maxsize=1)
def _cid_table() -> dict[str, CidCode]:
    return parse_cid_table(_read(CID_FILE), CID_FILE)


def parse_sia_table(text: str, name: str = "sia_codes.csv") -> dict[str, SiaCode]:
    """Parse SIA table CSV text; ``ValueError`` names the line of a bad row."""
    table: dict[str, SiaCode] = {}
    for line, row in _rows(name, text):

        def f(col: str, line: int = line, row: dict[str, str] = row) -> str:
            return _field(name, line, row, col)

        code = f("code").upper()
        _add(table, name, line, code)
        table[code] = SiaCode(
            code=code,
            address=cast(SiaAddress, _choice(name, line, f("address"), _SIA_ADDRESSES, "address")),
            unit=f("unit"),
            category=_category(name, line, f("category")),
            kind=cast(SiaKind, _choice(name, line, f("kind"), _SIA_KINDS, "kind")),
            description_fr=f("description_fr"),
            description_en=f("description_en"),
            source=f("source"),
        )
    return table


def parse_cid_table(text: str, name: str = "cid_codes.csv") -> dict[str, CidCode]:
    """Parse Contact ID table CSV text; ``ValueError`` names the line of a bad row."""
    table: dict[str, CidCode] = {}
    for line, row in _rows(name, text):

        def f(col: str, line: int = line, row: dict[str, str] = row) -> str:
            return _field(name, line, row, col)

        code = f("code").upper()
        _add(table, name, line, code)
        table[code] = CidCode(
            code=code,
            address=cast(CidAddress, _choice(name, line, f("address"), _CID_ADDRESSES, "address")),
            unit=f("unit"),
            category=_category(name, line, f("category")),
            qualifiers=cast(
                CidQualifiers,
                _choice(name, line, f("qualifiers"), _CID_QUALIFIERS, "qualifiers"),
            ),
            description_fr=f("description_fr"),
            description_en=f("description_en"),
            description_q3_fr=f("description_q3_fr"),
            description_q3_en=f("description_q3_en"),
            source=f("source"),
        )
    return table


def sia_code(code: str) -> SiaCode | None:
    """The SIA code ``code`` (two letters, any case), or None when not in the table."""
    return _sia_table().get(code.strip().upper())


def cid_code(code: str) -> CidCode | None:
    """The Contact ID event ``code`` (three digits), or None when not in the table."""
    return _cid_table().get(code.strip().upper())


def sia_codes() -> tuple[SiaCode, ...]:
    """Every SIA code, sorted by code."""
    return tuple(sorted(_sia_table().values(), key=lambda c: c.code))


def cid_codes() -> tuple[CidCode, ...]:
    """Every Contact ID code, sorted by code."""
    return tuple(sorted(_cid_table().values(), key=lambda c: c.code))
