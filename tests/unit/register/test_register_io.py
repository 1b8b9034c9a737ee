"""File import: every error of a bad file named by line and field; nothing built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigie.domain.register_set import RegisterInvalid
from vigie.services.json_lines import json_line_map, line_of
from vigie.services.register_csv import apply_csv, export_csv
from vigie.services.register_io import parse_register_json, register_to_json
from vigie.services.secret_words import check_word, hash_word

EXAMPLE = Path(__file__).parents[3] / "examples" / "register.json"


def cheap(word: str) -> str:
    return hash_word(word, cost=2**4)


def _errors(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(RegisterInvalid) as caught:
        parse_register_json(text, hasher=cheap)
    return [(e.line, e.path, e.message) for e in caught.value.errors]


def test_example_round_trips_and_hashes_words() -> None:
    register = parse_register_json(EXAMPLE.read_text(), hasher=cheap)
    assert len(register.sites) == 12 and len(register.transmitters) == 12
    exported = register_to_json(register)
    assert "Clé de sol" not in exported and "secret_word_hash" in exported
    assert parse_register_json(exported) == register
    boulangerie = next(s for s in register.sites if s.id == "BOUL-MARTIN")
    sophie = next(c for c in boulangerie.contacts if c.id == "C2")
    assert sophie.secret_word_hash and check_word(sophie.secret_word_hash, "cle de sol")
    assert boulangerie.transmitters == ("1001",)
    keys = {t.transmitter.account: t.transmitter.describe_key() for t in register.transmitters}
    assert keys["1003"] == "AES-128 (hex)" and keys["1004"] == "AES-256 (text)"


BAD = """{
  "format": "vigie-register",
  "version": 1,
  "customers": [{"id": "C1", "name": "Client"}, {"id": "C2"}],
  "sites": [
    {
      "id": "S1",
      "customer_id": "C1",
      "name": "Pharmacie",
      "latitude": 123.0,
      "zones": [
        {"number": "1", "label": "Porte", "type": "door"}
      ],
      "contacts": [
        {"id": "K1", "name": "Jean", "call_order": "first", "phones": ["06"]},
        {"id": "K2", "name": "Paul", "call_order": 2, "phones": ["06"], "secret_word": "---"}
      ]
    }
  ],
  "procedures": [
    {"id": "P1", "kinds": ["intrusion"], "steps": [], "colour": "red"}
  ],
  "transmitters": [{"account": "1001", "key_hex": "00112233"}]
}
"""


def test_bad_json_reports_every_error_with_line_and_path() -> None:
    errors = _errors(BAD)
    found = {(line, path) for line, path, _ in errors}
    assert found == {
        (12, "sites[0].zones[0].type"),
        (15, "sites[0].contacts[0].call_order"),
        (21, "procedures[0].colour"),
        (23, "transmitters[0].key_hex"),
        (4, "customers[1].name"),
    }
    messages = {path: message for _, path, message in errors}
    assert messages["sites[0].contacts[0].call_order"] == 'expected an integer, got "first"'
    assert messages["procedures[0].colour"] == "unknown field"


def test_domain_rules_are_reported_after_the_schema() -> None:
    data = json.loads(BAD)
    data["sites"][0]["zones"][0]["type"] = "entry_exit"
    data["sites"][0]["contacts"][0]["call_order"] = 1
    data["procedures"][0].pop("colour")
    data["customers"].pop()
    data["transmitters"][0]["key_hex"] = "00112233445566778899AABBCCDDEEFF"
    data["sites"][0]["schedule"] = {"days": [{"weekdays": [0], "opens": "19:00", "closes": "8h"}]}
    errors = _errors(json.dumps(data, indent=2))
    paths = {path for _, path, _ in errors}
    assert paths == {
        "sites[0].latitude",
        "sites[0].contacts[1].secret_word",
        "sites[0].schedule.days[0].closes",
        "procedures[0].steps",
    }
    assert all(line is not None for line, _, _ in errors)


def test_envelope_and_syntax_errors() -> None:
    assert _errors('{"format": "other", "version": 2}')[0][1] == "format"
    line, path, message = _errors('{\n  "format": "vigie-register",\n  oops\n}')[0]
    assert (line, path) == (3, "(file)") and message.startswith("not JSON")


def test_line_map_tracks_nested_paths() -> None:
    text = '{\n "a": [\n  {"b": 1},\n  {"b": "x\\"y",\n   "c": [true, null]}\n ]\n}'
    lines = json_line_map(text)
    assert lines["a[0].b"] == 3 and lines["a[1].b"] == 4 and lines["a[1].c[1]"] == 5
    assert line_of(lines, "a[1].missing") == 4


def test_csv_contacts_errors_name_line_and_field() -> None:
    register = parse_register_json(EXAMPLE.read_text(), hasher=cheap)
    text = (
        "site_id,id,name,call_order,phones,role,secret_word,duress_word,availability\n"
        "BOUL-MARTIN,C1,Jean,1,+33 6 11,,Mot,,\n"
        "NOWHERE,C2,Paul,2,+33 6 12,,,,\n"
        "BOUL-MARTIN,C3,Luc,first,+33 6 13,,,,\n"
        "BOUL-MARTIN,C4,Léa,4,,,,,\n"
        "BOUL-MARTIN,C5,Zoé,5,+33 6 15,,,,lundi 8h\n"
        "BOUL-MARTIN,C6,Max,6,+33 6 16,,,,0-4 18:00-08:00\n"
    )
    with pytest.raises(RegisterInvalid) as caught:
        apply_csv(register, "contacts", text, hasher=cheap)
    shown = [str(e) for e in caught.value.errors]
    assert 'line 4, field "call_order": expected an integer, got "first"' in shown
    assert {(e.line, e.path) for e in caught.value.errors} == {
        (3, "site_id"),
        (4, "call_order"),
        (5, "phones"),
        (6, "availability"),
        (7, "availability"),
    }


def test_csv_round_trip_and_zone_partition_check() -> None:
    register = parse_register_json(EXAMPLE.read_text(), hasher=cheap)
    for kind in ("sites", "zones", "contacts"):
        assert apply_csv(register, kind, export_csv(register, kind), hasher=cheap) == register
    bad = "site_id,number,label,type,partition\nBOUL-MARTIN,1,Porte,entry_exit,9\n"
    with pytest.raises(RegisterInvalid) as caught:
        apply_csv(register, "zones", bad)
    assert [(e.line, e.path) for e in caught.value.errors] == [(2, "partition")]


def test_csv_unknown_columns_are_refused() -> None:
    with pytest.raises(RegisterInvalid) as caught:
        apply_csv(parse_register_json(EXAMPLE.read_text(), hasher=cheap), "zones", "site_id,nb\n")
    assert {(e.line, e.path) for e in caught.value.errors} == {(1, "nb"), (1, "number")}
