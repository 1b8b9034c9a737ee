"""SIA DC-03 (SIA-DCS) data codec."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from my_dc09_spt.msg.dc03_msg import dc03_msg
from pysiaalarm.utils.regexes import SIA_CONTENT_MATCHER
from siadc09 import dc03
from siadc09.siadcs import parse_siadcs

from vigie.protocols.codes import sia_code, sia_codes
from vigie.protocols.events import Category, PanelEvent
from vigie.protocols.sia_dcs import parse_sia_dcs


def one(data: str) -> PanelEvent:
    events = parse_sia_dcs(data)
    assert len(events) == 1, events
    return events[0]


# --- conformance -------------------------------------------------------------------


@pytest.mark.parametrize("data", ["#1234|Nri1/BA3", "#1234|Nri1BA3", "#1234|Nri1/BA3/"])
def test_burglary_alarm_with_area(data: str) -> None:
    e = one(data)
    assert (e.protocol, e.code, e.zone, e.area, e.user, e.account) == (
        "SIA-DCS",
        "BA",
        "3",
        "1",
        None,
        "1234",
    )
    assert e.category is Category.INTRUSION
    assert e.known and not e.restore and e.closing is None
    assert e.description_fr == "Alarme intrusion"
    assert e.description_en == "Burglary Alarm"


def test_opening_by_user_in_area() -> None:
    e = one("#AAA|Nid12/ri1/OP12")
    assert (e.code, e.user, e.area, e.zone, e.account) == ("OP", "12", "1", None, "AAA")
    assert e.closing is False
    assert e.category is Category.OPENING_CLOSING


def test_closing_is_closing_and_restoral_is_restore() -> None:
    assert one("#1234|Nri2/CL5").closing is True
    assert one("#1234|Nri2/CL5").user == "5"
    br = one("#1234|Nri1/BR3")
    assert br.restore and br.zone == "3" and br.category is Category.INTRUSION
    assert one("#1234|NBU3").restore  # unbypass ends a bypass


def test_zone_event_keeps_the_id_modifier_as_user() -> None:
    e = one("#1234|Nid7/ri2/BB4")
    assert (e.code, e.zone, e.user, e.area) == ("BB", "4", "7", "2")
    assert e.category is Category.BYPASS


def test_area_addressed_codes_fill_area() -> None:
    e = one("#1234|Nid3/CA2")
    assert (e.code, e.area, e.user, e.zone, e.closing) == ("CA", "2", "3", None, True)
    j = one("#1234|NJA1")
    assert (j.area, j.category) == ("1", Category.TAMPER)


def test_address_overrides_conflicting_modifier_but_keeps_it() -> None:
    e = one("#1234|Nid9/OP12")
    assert e.user == "12"
    assert ("id", "9") in e.modifiers


def test_unaddressed_code_with_digits_reports_them_in_zone() -> None:
    e = one("#1234|NRP0000")
    assert (e.code, e.zone, e.category) == ("RP", "0000", Category.TEST)
    assert one("#1234|NRP").zone is None


def test_several_events_share_modifiers_until_redefined() -> None:
    events = parse_sia_dcs("#1234|Nti12:30/ri1/BA3/BA4/ri2/FA5")
    assert [(e.code, e.zone, e.area, e.time) for e in events] == [
        ("BA", "3", "1", "12:30"),
        ("BA", "4", "1", "12:30"),
        ("FA", "5", "2", "12:30"),
    ]
    assert [e.raw for e in events] == ["Nti12:30/ri1/BA3", "BA4", "ri2/FA5"]


def test_several_blocks() -> None:
    events = parse_sia_dcs("#1234|NRP|Nri2/CL5")
    assert [(e.code, e.area, e.user) for e in events] == [("RP", None, None), ("CL", "2", "5")]
    assert all(e.account == "1234" for e in events)


def test_events_concatenated_without_slash() -> None:
    events = parse_sia_dcs("#1234|NBA3BA4")
    assert [(e.code, e.zone) for e in events] == [("BA", "3"), ("BA", "4")]


def test_peripheral_modifier_is_not_an_event_code() -> None:
    # pysiaalarm reads "pi" as the event code (PR #87); it is a modifier
    e = one("#1234|Npi4/BA3")
    assert (e.code, e.zone) == ("BA", "3")
    assert e.modifiers == (("pi", "4"),)
    e = one("#1234|Nri1pi12BA3")
    assert (e.code, e.zone, e.area, e.modifiers) == ("BA", "3", "1", (("pi", "12"),))


def test_time_date_and_other_modifiers() -> None:
    e = one("#1234|Nri1/da05-03-24ti12:30:45/lt2/xy7/BA3")
    assert e.time == "12:30:45 05-03-24"
    assert e.modifiers == (("lt", "2"), ("xy", "7"))
    assert one("#1234|Nda12-31-25/BA3").time == "12-31-25"


def test_descriptor_and_ascii_block_become_text() -> None:
    e = one("#1234|Nri1/BA3^Porte d'entrée / hall|nord^")
    assert (e.code, e.zone, e.text) == ("BA", "3", "Porte d'entrée / hall|nord")
    assert one("#1234|NBA3|Aback door").text == "back door"
    # an A block that starts like an event code is still text when followed by words
    assert one("#1234|NBA3|AR5 rear").text == "R5 rear"
    # descriptors of modifiers (area name, user name) go to the next event
    e = one("#1234|Nri1^Cuisine^id4^Marie^/BA3^Fenetre^")
    assert e.text == "Cuisine / Marie / Fenetre"


def test_units_are_kept() -> None:
    e = one("#1234|NBA3*12C^Front^")
    assert (e.zone, e.text) == ("3", "Front")
    assert ("units", "12C") in e.modifiers


def test_hex_address_tail() -> None:
    assert one("#1234|NBA1F").zone == "1F"


@pytest.mark.parametrize(
    ("data", "code", "address"),
    [
        ("#1234|Nri1/BA3", "BA", "3"),  # reference
        ("#1234|ri1/BA3", "BA", "3"),  # missing N
        ("ri1/BA3", "BA", "3"),  # missing account
        ("#1234|NL1", "NL", "1"),  # NL without the N function code
        ("OP12", "OP", "12"),  # O is also "old event"; OP12 alone is the event
        ("#1234|OBA3", "BA", "3"),  # old-event block
        ("#1234|nri1/ba3", "BA", "3"),  # all lower case
        ("#1234|Nri1/BA3  \x00\x00\r\n", "BA", "3"),  # trailing noise
        ("[#1234|Nri1/BA3]", "BA", "3"),  # brackets left on
        ("#1234 Nri1/BA3", "BA", "3"),  # missing "|"
    ],
)
def test_tolerated_deviations(data: str, code: str, address: str) -> None:
    e = one(data)
    assert e.code == code
    assert address in (e.zone, e.user, e.area)
    assert e.known


def test_satel_account_is_reported_as_sent() -> None:
    # SATEL writes #0000 whatever the header account: reported, the receiver decides
    assert one("#0000|Nri1/BA3").account == "0000"
    assert one("Nri1/BA3").account is None


def test_unknown_code_is_kept() -> None:
    e = one("#1234|Nri1/QQ7")
    assert (e.code, e.known, e.category, e.zone, e.area) == ("QQ", False, Category.OTHER, "7", "1")
    assert e.description_fr == "Code inconnu QQ"
    assert e.description_en == "Unknown code QQ"


def test_ajax_field_codes_are_known() -> None:
    e = one("#1234|Nri1/PC12")
    assert (e.code, e.known, e.user, e.category) == ("PC", True, "12", Category.OTHER)


@pytest.mark.parametrize("data", ["", "garbage", "GARBAGE", "#1234|", "#1234|N", "12345", "///"])
def test_undecodable_data_is_kept_whole(data: str) -> None:
    e = one(data)
    assert (e.code, e.known, e.category, e.raw) == ("", False, Category.OTHER, data)


def test_undecodable_block_next_to_events_is_kept() -> None:
    events = parse_sia_dcs("#1234|NBA3|N123")
    assert [(e.code, e.raw) for e in events] == [("BA", "NBA3"), ("", "N123")]


def test_noise_inside_a_block_stays_in_raw() -> None:
    e = one("#1234|Nri1/BA3 front door")
    assert (e.code, e.zone) == ("BA", "3")
    assert "front door" in e.raw


# --- cross-checks with the reference libraries -------------------------------------

CROSS = [
    "#1234|Nri1/BA3",
    "#1234|Nri1BA3",
    "#AAA|Nid12/ri1/OP12",
    "#1234|Nti12:30/ri1/BA3/OP12",
    "#1234|Nri2/CL5",
    "#1234|NFA7",
    "#1234|Nri3/TA12/TR12",
    "#1234|Nid4/ri1/HA2",
    "#1234|NRP",
    "#1234|NYC",
]


@pytest.mark.parametrize("data", CROSS)
def test_agrees_with_siadc09(data: str) -> None:
    blocks = parse_siadcs(data.encode()).blocks
    theirs = [ev for b in blocks for ev in (getattr(b, "events", None) or [])]
    ours = parse_sia_dcs(data)
    assert [e.code for e in ours] == [ev.code for ev in theirs]
    for e, ev in zip(ours, theirs, strict=True):
        entry = sia_code(e.code)
        assert entry is not None
        address = {"user": e.user, "area": e.area}.get(entry.address, e.zone)
        if ev.addr is None:
            assert address is None
        else:
            assert address is not None and int(address, 16) == ev.addr  # siadc09 reads hex
        if "ri" in ev.modifiers and entry.address != "area":
            assert e.area is not None and int(e.area) == ev.modifiers["ri"].value


@pytest.mark.parametrize("data", CROSS[:5])
def test_agrees_with_pysiaalarm_on_single_events(data: str) -> None:
    m = SIA_CONTENT_MATCHER.match(data + "]")
    assert m is not None
    g = m.groupdict()
    e = parse_sia_dcs(data)[-1]
    if len(parse_sia_dcs(data)) == 1:
        assert e.code == g["code"]
        assert e.area == g["ri"]
        assert g["message"] in (e.zone, e.user)
        if g["id"]:
            assert e.user == g["id"]
    assert e.account == g["account"]


DC03_CODES = sorted(dc03.EVENT)


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(DC03_CODES),
    zone=st.none() | st.integers(0, 9999),
    area=st.none() | st.integers(0, 99),
    user=st.none() | st.integers(0, 9999),
    hhmmss=st.none() | st.times().map(lambda t: t.strftime("%H:%M:%S")),
    text=st.none() | st.text(st.sampled_from("abcdefghij KLMNO0123456789-_.,"), min_size=1),
)
def test_round_trip_with_the_my_dc09_spt_transmitter(
    code: str,
    zone: int | None,
    area: int | None,
    user: int | None,
    hhmmss: str | None,
    text: str | None,
) -> None:
    params: dict[str, object] = {"code": code}
    for key, value in (("zone", zone), ("area", area), ("user", user), ("time", hhmmss)):
        if value is not None:
            params[key] = value
    if text is not None:
        params["text"] = text
    data = dc03_msg.dc03event("1234", params)
    assert data.endswith("]")
    e = one(data[:-1])
    entry = sia_code(code)
    assert entry is not None
    assert (e.code, e.known, e.category, e.account) == (code, True, entry.category, "1234")
    z, a, u = (None if v is None else str(v) for v in (zone, area, user))
    if entry.address == "user":
        assert (e.user, e.area, e.zone) == (u, a, None)
    elif entry.address == "area":
        # my-dc09-spt writes the zone number after an area code when no area is given
        assert (e.area, e.user, e.zone) == (a if a is not None else z, u, None)
    else:
        assert (e.zone, e.area, e.user) == (z, a, u)
    assert e.time == hhmmss
    assert e.text == ((text.strip() or None) if text is not None else None)


# --- properties --------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_random_text_never_raises_and_loses_nothing(data: str) -> None:
    events = parse_sia_dcs(data)
    assert events
    for e in events:
        assert e.protocol == "SIA-DCS"
        assert isinstance(e.category, Category)
        assert e.description_fr and e.description_en
        assert e.known == (sia_code(e.code) is not None and e.code != "")


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("#|/^NOABCDEFRPLTri0123456789:- id\x00pi")))
def test_protocol_like_text_never_raises(data: str) -> None:
    assert parse_sia_dcs(data)


ALL_SIA = [c.code for c in sia_codes()]
_event = st.fixed_dictionaries(
    {
        "code": st.sampled_from(ALL_SIA),
        "address": st.none() | st.integers(0, 9999).map(str),
        "ri": st.none() | st.integers(1, 99).map(str),
        "id": st.none() | st.integers(1, 999).map(str),
        "descr": st.none()
        | st.text(st.sampled_from("abc XYZ/|-01"), min_size=1).map(str.strip).filter(bool),
        "slash": st.booleans(),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    account=st.text(st.sampled_from("0123456789ABCDEF"), min_size=3, max_size=8),
    specs=st.lists(_event, min_size=1, max_size=4),
)
def test_round_trip_generated_bodies(account: str, specs: list[dict[str, object]]) -> None:
    packets = []
    for s in specs:
        mods = ""
        for key in ("ri", "id"):
            if s[key] is not None:
                mods += f"{key}{s[key]}" + ("/" if s["slash"] else "")
        ev = f"{s['code']}{s['address'] or ''}"
        if s["descr"]:
            ev += f"^{s['descr']}^"
        packets.append(mods + ev)
    data = f"#{account}|N" + "/".join(packets)
    events = parse_sia_dcs(data)
    assert [e.code for e in events] == [s["code"] for s in specs]
    ri: object = None
    id_: object = None
    for e, s in zip(events, specs, strict=True):
        ri = s["ri"] if s["ri"] is not None else ri  # modifiers carry over
        id_ = s["id"] if s["id"] is not None else id_
        entry = sia_code(str(s["code"]))
        assert entry is not None and e.account == account
        if entry.address == "user" and s["address"] is not None:
            assert (e.user, e.area) == (s["address"], ri)
        elif entry.address == "area" and s["address"] is not None:
            assert (e.area, e.user) == (s["address"], id_)
        else:
            assert (e.zone, e.area, e.user) == (s["address"], ri, id_)
        assert e.text == s["descr"]
        assert e.restore == entry.restore
