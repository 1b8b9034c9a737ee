"""Contact ID (SIA DC-05, ADM-CID) data codec."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from my_dc09_spt.msg.dc05_msg import dc05_msg
from pysiaalarm.utils.regexes import ADM_CONTENT_MATCHER
from siadc09.admcid import parse_admcid

from vigie.protocols.codes import cid_code, cid_codes
from vigie.protocols.contact_id import is_keepalive_body, parse_contact_id
from vigie.protocols.events import Category, PanelEvent


def one(data: str) -> PanelEvent:
    events = parse_contact_id(data)
    assert len(events) == 1, events
    return events[0]


@pytest.mark.parametrize(
    "data", ["#1234|1130 01 003", "#1234|113001003", "#1234|1130 1 3", "#1234|1130  01 003 \x00"]
)
def test_burglary_alarm(data: str) -> None:
    e = one(data)
    assert (e.protocol, e.code, e.qualifier, e.area, e.zone, e.user, e.account) == (
        "ADM-CID",
        "130",
        "1",
        "01",
        "003",
        None,
        "1234",
    )
    assert e.category is Category.INTRUSION
    assert e.known and not e.restore and e.closing is None
    assert (e.description_fr, e.description_en) == ("Alarme intrusion", "Burglary")


def test_qualifier_3_on_an_alarm_code_is_a_restore() -> None:
    e = one("#1234|3130 01 003")
    assert (e.code, e.qualifier, e.restore, e.closing) == ("130", "3", True, None)
    assert e.description_fr == "Rétablissement : Alarme intrusion"
    assert e.description_en == "Restoral: Burglary"


def test_qualifier_6_is_still_present() -> None:
    e = one("#1234|6302 00 000")
    assert (e.code, e.qualifier, e.restore, e.category) == ("302", "6", False, Category.TROUBLE)
    assert e.description_fr.startswith("Toujours présent")


def test_non_standard_qualifier_is_kept() -> None:
    e = one("#1234|2130 01 003")  # siadc09 encodes restores as 2: not DC-05
    assert (e.qualifier, e.restore, e.known) == ("2", False, True)
    assert "qualificatif 2" in e.description_fr


def test_opening_and_closing_by_user() -> None:
    opening = one("#1234|1401 02 012")
    closing = one("#1234|3401 02 012")
    for e in (opening, closing):
        assert (e.code, e.user, e.zone, e.area) == ("401", "012", None, "02")
        assert e.category is Category.OPENING_CLOSING
        assert not e.restore
    assert opening.closing is False
    assert closing.closing is True
    assert opening.description_fr == "Mise à l'arrêt par utilisateur"
    assert closing.description_fr == "Mise en service par utilisateur"
    assert closing.description_en == "Closing by user"


def test_duress_is_a_user_event() -> None:
    e = one("#1234|1121 01 005")
    assert (e.user, e.zone, e.category) == ("005", None, Category.PANIC)


def test_zero_group_and_zone_mean_none() -> None:
    e = one("#1234|1602 00 000")
    assert (e.code, e.area, e.zone, e.user, e.category) == ("602", None, None, None, Category.TEST)


def test_several_events() -> None:
    events = parse_contact_id("#1234|1130 01 003/3130 01 003|1401 01 002")
    assert [(e.code, e.qualifier, e.restore, e.closing) for e in events] == [
        ("130", "1", False, None),
        ("130", "3", True, None),
        ("401", "1", False, False),
    ]
    assert [e.raw for e in events] == ["1130 01 003", "3130 01 003", "1401 01 002"]


def test_dtmf_zero_sent_as_a() -> None:
    e = one("#1234|113A 0A 00A")  # DC-05 §4.1.2.2: 0 is the DTMF digit 10
    assert (e.code, e.area, e.zone) == ("130", None, None)
    assert one("#1234|1A3A A1 A12").code == "030"  # not a table code, kept as such


def test_surgard_letter_qualifiers() -> None:
    assert one("#1234|E130 01 003").qualifier == "1"
    assert one("#1234|R130 01 003").restore is True
    assert one("#1234|P130 01 003").qualifier == "6"


def test_native_dtmf_form() -> None:
    e = one("1234181130010037")
    assert (e.account, e.code, e.area, e.zone) == ("1234", "130", "01", "003")


def test_account_variants() -> None:
    assert one("1130 01 003").account is None
    assert one("#0000|1130 01 003").account == "0000"
    assert one("#1234 1130 01 003").account == "1234"


def test_unknown_code_is_kept() -> None:
    e = one("#1234|1999 01 003")
    assert (e.code, e.known, e.category, e.zone) == ("999", False, Category.OTHER, "003")
    assert (e.description_fr, e.description_en) == ("Code inconnu 999", "Unknown code 999")


@pytest.mark.parametrize("body", ["garbage", "1130 01", "X130 01 003", "11300100312345"])
def test_unreadable_body_is_kept(body: str) -> None:
    e = one(f"#1234|{body}")
    assert (e.code, e.known, e.category, e.raw, e.account) == (
        "",
        False,
        Category.OTHER,
        body,
        "1234",
    )


@pytest.mark.parametrize("data", ["#0000|0000 00 000", "#1234|000000000", "#1234", "", "  \x00"])
def test_keepalive_bodies(data: str) -> None:
    assert is_keepalive_body(data)
    assert parse_contact_id(data) == []


@pytest.mark.parametrize("data", ["#1234|1130 01 003", "#1234|junk", "#0000|1602 00 000"])
def test_event_bodies_are_not_keepalive(data: str) -> None:
    assert not is_keepalive_body(data)
    assert parse_contact_id(data)


# --- cross-checks ------------------------------------------------------------------

CROSS = [
    "#1234|1130 01 003",
    "#1234|3130 01 003",
    "#1234|1401 02 012",
    "#1234|3401 02 012",
    "#1234|1602 00 000",
    "#1234|1121 01 005",
    "#5678|6301 00 000",
    "#1234|1570 03 017",
]


@pytest.mark.parametrize("data", CROSS)
def test_agrees_with_siadc09(data: str) -> None:
    theirs = parse_admcid(data.encode()).event
    e = one(data)
    # siadc09 parses qualifier 3 correctly; only its labels and its encoder are wrong
    assert (e.qualifier, e.code) == (theirs.qualifier, theirs.code)
    assert int(e.area or "0", 16) == theirs.group
    assert int(e.zone or e.user or "0", 16) == theirs.addr


@pytest.mark.parametrize("data", CROSS)
def test_agrees_with_pysiaalarm(data: str) -> None:
    m = ADM_CONTENT_MATCHER.match(data + "]")
    assert m is not None
    g = m.groupdict()
    e = one(data)
    assert (e.account, e.qualifier, e.code) == (g["account"], g["event_qualifier"], g["event_type"])
    assert (e.area or "00") == g["partition"]
    assert (e.zone or e.user or "000") == g["ri"]


CID_CODES = [c.code for c in cid_codes()]


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(CID_CODES),
    q=st.sampled_from([1, 3, 6]),
    zone=st.none() | st.integers(0, 999),
    user=st.none() | st.integers(0, 999),
    area=st.none() | st.integers(0, 99),
)
def test_round_trip_with_the_my_dc09_spt_transmitter(
    code: str, q: int, zone: int | None, user: int | None, area: int | None
) -> None:
    params: dict[str, object] = {"code": int(code), "q": q}
    for key, value in (("zone", zone), ("user", user), ("area", area)):
        if value is not None:
            params[key] = value
    data = dc05_msg.dc05event("1234", params)
    assert data.endswith("]")
    events = parse_contact_id(data[:-1])
    entry = cid_code(code)
    assert entry is not None
    assert len(events) == 1
    e = events[0]
    assert (e.code, e.qualifier, e.account, e.category) == (code, str(q), "1234", entry.category)
    assert e.area == (None if not area else f"{area:02d}")
    assert e.restore == (q == 3 and not entry.opening_closing)
    assert e.closing == ({1: False, 3: True}.get(q) if entry.opening_closing else None)
    address = e.user if entry.address == "user" else e.zone
    other = e.zone if entry.address == "user" else e.user
    assert other is None
    assert address is None or (address.isdigit() and len(address) == 3 and address != "000")


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(CID_CODES),
    q=st.sampled_from("136"),
    group=st.integers(0, 99),
    address=st.integers(0, 999),
    spaces=st.booleans(),
    account=st.text(st.sampled_from("0123456789ABCDEF"), min_size=3, max_size=8),
)
def test_round_trip_generated_bodies(
    code: str, q: str, group: int, address: int, spaces: bool, account: str
) -> None:
    sep = " " if spaces else ""
    data = f"#{account}|{q}{code}{sep}{group:02d}{sep}{address:03d}"
    e = one(data)
    entry = cid_code(code)
    assert entry is not None
    assert (e.code, e.qualifier, e.account, e.known) == (code, q, account, True)
    assert e.area == (None if group == 0 else f"{group:02d}")
    expected = None if address == 0 else f"{address:03d}"
    assert (e.user if entry.address == "user" else e.zone) == expected
    assert e.restore == (q == "3" and not entry.opening_closing)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_random_text_never_raises(data: str) -> None:
    events = parse_contact_id(data)
    assert (events == []) == is_keepalive_body(data)
    for e in events:
        assert e.protocol == "ADM-CID"
        assert e.description_fr and e.description_en


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("#|/ 0123456789ABCDEFREP\x00")))
def test_protocol_like_text_never_raises(data: str) -> None:
    events = parse_contact_id(data)
    assert (events == []) == is_keepalive_body(data)
