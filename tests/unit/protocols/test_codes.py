"""The SIA DC-03 and Contact ID code tables (CSV package data) and their loader."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from importlib import resources

import pytest
from pysiaalarm.data.sia_codes import SIA_CODES as PYSIAALARM_SIA
from siadc09 import dc03, dc05

from vigie.protocols.codes import (
    CidCode,
    SiaCode,
    cid_code,
    cid_codes,
    parse_cid_table,
    parse_sia_table,
    sia_code,
    sia_codes,
)
from vigie.protocols.events import Category


def _raw_rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("vigie.protocols.codes").joinpath(filename).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("filename", ["sia_codes.csv", "cid_codes.csv"])
def test_csv_rows_are_valid(filename: str) -> None:
    rows = _raw_rows(filename)
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)), "duplicate codes"
    valid = {c.value for c in Category}
    for row in rows:
        assert row["category"] in valid, row
        assert row["description_fr"].strip(), row
        assert row["description_en"].strip(), row
        assert row["description_fr"] != row["description_en"], row  # translated, not copied


def test_table_sizes() -> None:
    assert len(sia_codes()) >= 300
    assert len(cid_codes()) >= 300
    assert len(sia_codes()) == 325
    assert len(cid_codes()) == 322


def test_every_standard_code_is_in_the_tables() -> None:
    sia = {c.code for c in sia_codes()}
    cid = {c.code for c in cid_codes()}
    assert set(dc03.EVENT) <= sia
    assert set(PYSIAALARM_SIA) <= sia  # includes the Ajax extensions (PC, PD, ZY...)
    assert set(dc05.EVENT) <= cid


def test_code_formats_and_types() -> None:
    for s in sia_codes():
        assert isinstance(s, SiaCode)
        assert len(s.code) == 2 and s.code.isalpha() and s.code.isupper()
        assert s.address in {"zone", "user", "area", "none"}
        assert s.kind in {"event", "restore", "opening", "closing"}
        assert isinstance(s.category, Category)
    for c in cid_codes():
        assert isinstance(c, CidCode)
        assert len(c.code) == 3 and c.code.isdigit()
        assert c.address in {"zone", "user", "none"}
        assert isinstance(c.category, Category)


def test_sia_address_types_follow_the_standard() -> None:
    expected = {"User": "user", "Area": "area", None: "none"}
    # CG and CJ are swapped in siadc09; DC-03, pysiaalarm and my-dc09-spt agree on these
    overrides = {"CG": "area", "CJ": "user"}
    for code, entry in dc03.EVENT.items():
        want = overrides.get(code, expected.get(entry["addr"], "zone"))
        got = sia_code(code)
        assert got is not None and got.address == want, code


def test_cid_user_addressed_codes() -> None:
    for code, entry in dc05.EVENT.items():
        got = cid_code(code)
        assert got is not None
        assert (got.address == "user") == (entry["addr"] == "User"), code


@pytest.mark.parametrize(
    ("code", "fr", "category"),
    [
        ("BA", "Alarme intrusion", Category.INTRUSION),
        ("FA", "Alarme incendie", Category.FIRE),
        ("HA", "Alarme agression", Category.PANIC),
        ("OP", "Mise à l'arrêt (ouverture)", Category.OPENING_CLOSING),
        ("CL", "Mise en service (fermeture)", Category.OPENING_CLOSING),
        ("RP", "Test cyclique automatique", Category.TEST),
        ("YC", "Défaut de communication", Category.TROUBLE),
    ],
)
def test_sia_operator_wording(code: str, fr: str, category: Category) -> None:
    entry = sia_code(code)
    assert entry is not None
    assert entry.description_fr == fr
    assert entry.category is category


@pytest.mark.parametrize(
    ("code", "category", "kind"),
    [
        ("BA", Category.INTRUSION, "event"),
        ("BR", Category.INTRUSION, "restore"),
        ("BH", Category.INTRUSION, "restore"),
        ("PA", Category.PANIC, "event"),
        ("MA", Category.MEDICAL, "event"),
        ("QA", Category.MEDICAL, "event"),
        ("GA", Category.TECHNICAL, "event"),
        ("WA", Category.TECHNICAL, "event"),
        ("KA", Category.TECHNICAL, "event"),
        ("ZA", Category.TECHNICAL, "event"),
        ("TA", Category.TAMPER, "event"),
        ("TR", Category.TAMPER, "restore"),
        ("JA", Category.TAMPER, "event"),
        ("AT", Category.TROUBLE, "event"),
        ("AR", Category.TROUBLE, "restore"),
        ("YT", Category.TROUBLE, "event"),
        ("YA", Category.TROUBLE, "event"),
        ("XT", Category.TROUBLE, "event"),
        ("CA", Category.OPENING_CLOSING, "closing"),
        ("OA", Category.OPENING_CLOSING, "opening"),
        ("NL", Category.OPENING_CLOSING, "closing"),
        ("RX", Category.TEST, "event"),
        ("BB", Category.BYPASS, "event"),
        ("BU", Category.BYPASS, "restore"),
        ("SA", Category.FIRE, "event"),
        ("PC", Category.OTHER, "event"),
    ],
)
def test_sia_categories_and_kinds(code: str, category: Category, kind: str) -> None:
    entry = sia_code(code)
    assert entry is not None
    assert (entry.category, entry.kind) == (category, kind)
    assert entry.restore is (kind == "restore")
    assert entry.opening is (kind == "opening")
    assert entry.closing is (kind == "closing")


def test_sia_openings_and_closings_are_opening_closing_events() -> None:
    for s in sia_codes():
        if s.kind in ("opening", "closing"):
            # ND: night mode stopped with a duress code stays a panic event
            assert s.category is Category.OPENING_CLOSING or s.code == "ND", s.code


@pytest.mark.parametrize(
    ("code", "category", "address", "qualifiers"),
    [
        ("100", Category.MEDICAL, "zone", "alarm_restore"),
        ("110", Category.FIRE, "zone", "alarm_restore"),
        ("120", Category.PANIC, "zone", "alarm_restore"),
        ("121", Category.PANIC, "user", "alarm_restore"),
        ("130", Category.INTRUSION, "zone", "alarm_restore"),
        ("137", Category.TAMPER, "zone", "alarm_restore"),
        ("151", Category.TECHNICAL, "zone", "alarm_restore"),
        ("154", Category.TECHNICAL, "zone", "alarm_restore"),
        ("301", Category.TROUBLE, "zone", "alarm_restore"),
        ("350", Category.TROUBLE, "zone", "alarm_restore"),
        ("383", Category.TAMPER, "zone", "alarm_restore"),
        ("401", Category.OPENING_CLOSING, "user", "opening_closing"),
        ("403", Category.OPENING_CLOSING, "user", "opening_closing"),
        ("441", Category.OPENING_CLOSING, "user", "opening_closing"),
        ("570", Category.BYPASS, "zone", "alarm_restore"),
        ("601", Category.TEST, "zone", "alarm_restore"),
        ("602", Category.TEST, "zone", "alarm_restore"),
    ],
)
def test_cid_categories(code: str, category: Category, address: str, qualifiers: str) -> None:
    entry = cid_code(code)
    assert entry is not None
    assert (entry.category, entry.address, entry.qualifiers) == (category, address, qualifiers)


def test_cid_opening_closing_codes_name_both_directions() -> None:
    oc = [c for c in cid_codes() if c.opening_closing]
    assert {"400", "401", "402", "403", "407", "408", "409", "441", "456"} <= {c.code for c in oc}
    for c in oc:
        assert c.category is Category.OPENING_CLOSING
        assert c.description_q3_fr and c.description_q3_en, c.code
        assert c.description_q3_fr != c.description_fr


def test_lookup_is_case_and_space_tolerant() -> None:
    assert sia_code(" ba ") == sia_code("BA")
    assert sia_code("XY") is None
    assert cid_code("999") is None
    assert cid_code(" 130") == cid_code("130")


def test_tables_are_not_loaded_at_import() -> None:
    code = (
        "import vigie.protocols.codes.tables as t, vigie.protocols.payload;"
        "assert t._sia_table.cache_info().currsize == 0;"
        "assert t._cid_table.cache_info().currsize == 0;"
        "t.sia_code('BA');"
        "assert t._sia_table.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


_SIA_HEADER = "code,address,unit,category,kind,description_fr,description_en,source\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("BA,zone,zone,burglary,event,Alarme,Alarm,x", "line 2: unknown category"),
        ("BA,door,zone,intrusion,event,Alarme,Alarm,x", "line 2: address"),
        ("BA,zone,zone,intrusion,alarm,Alarme,Alarm,x", "line 2: kind"),
        ("BA,zone,zone,intrusion,event,,Alarm,x", "line 2: empty 'description_fr'"),
        ("BA,zone,zone,intrusion,event,Alarme", "line 2: missing column"),
    ],
)
def test_bad_sia_rows_are_refused_with_their_line(row: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_sia_table(_SIA_HEADER + row + "\n")


def test_duplicate_codes_are_refused() -> None:
    row = "BA,zone,zone,intrusion,event,Alarme,Alarm,x\n"
    with pytest.raises(ValueError, match="line 3: duplicate code 'BA'"):
        parse_sia_table(_SIA_HEADER + row + row)
    header = (
        "code,address,unit,category,qualifiers,description_fr,description_en,"
        "description_q3_fr,description_q3_en,source\n"
    )
    cid_row = "130,zone,zone,intrusion,alarm_restore,Alarme,Burglary,,,x\n"
    assert parse_cid_table(header + cid_row)["130"].category is Category.INTRUSION
    with pytest.raises(ValueError, match="line 3: duplicate code '130'"):
        parse_cid_table(header + cid_row + cid_row)
