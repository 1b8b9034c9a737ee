"""Payload dispatch by DC-09 token, and the codecs' public API."""

from __future__ import annotations

import pytest

import vigie.protocols.codes as codes
import vigie.protocols.contact_id as contact_id
import vigie.protocols.payload as payload
import vigie.protocols.sia_dcs as sia_dcs
from vigie.protocols.events import Category
from vigie.protocols.payload import is_keepalive, normalise_token, parse_payload


@pytest.mark.parametrize("token", ["SIA-DCS", "*SIA-DCS", '"SIA-DCS"', '"*sia-dcs"', " SIA-DCS "])
def test_sia_dcs_tokens(token: str) -> None:
    events = parse_payload(token, "#1234|Nri1/BA3")
    assert [(e.protocol, e.code, e.zone, e.area) for e in events] == [("SIA-DCS", "BA", "3", "1")]
    assert not is_keepalive(token, "#1234|Nri1/BA3")


@pytest.mark.parametrize("token", ["ADM-CID", "*ADM-CID", '"ADM-CID"'])
def test_adm_cid_tokens(token: str) -> None:
    events = parse_payload(token, "#1234|1130 01 003")
    assert [(e.protocol, e.code, e.zone, e.category) for e in events] == [
        ("ADM-CID", "130", "003", Category.INTRUSION)
    ]


def test_null_is_a_keepalive_with_no_event() -> None:
    assert parse_payload("NULL", "") == []
    assert parse_payload("*NULL", "#0000|0000 00 000") == []
    assert is_keepalive("NULL", "")
    assert is_keepalive("ADM-CID", "#0000|0000 00 000")
    assert not is_keepalive("ADM-CID", "#0000|1602 00 000")


@pytest.mark.parametrize("token", ["ACK", "NAK", "DUH", "RSP", "XNM", "SIA-XYZ", ""])
def test_other_tokens_carry_no_event(token: str) -> None:
    assert parse_payload(token, "#1234|Nri1/BA3") == []
    assert not is_keepalive(token, "#1234|Nri1/BA3")


def test_unknown_content_is_kept_not_refused() -> None:
    [e] = parse_payload("SIA-DCS", "#1234|NZQ9")
    assert (e.code, e.known, e.zone) == ("ZQ", False, "9")


def test_normalise_token() -> None:
    assert normalise_token('"*adm-cid"') == "ADM-CID"


def test_public_api_is_locked() -> None:
    assert sorted(sia_dcs.__all__) == ["PROTOCOL", "parse_sia_dcs"]
    assert sorted(contact_id.__all__) == ["PROTOCOL", "is_keepalive_body", "parse_contact_id"]
    assert sorted(payload.__all__) == [
        "ADM_CID",
        "NULL",
        "SIA_DCS",
        "is_keepalive",
        "normalise_token",
        "parse_payload",
    ]
    assert sorted(codes.__all__) == [
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
    for module in (sia_dcs, contact_id, payload, codes):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
