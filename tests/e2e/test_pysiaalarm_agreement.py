"""What our receiver journals agrees with pysiaalarm 3.2.2's reading of the same lines.

pysiaalarm (Home Assistant's parser) is used as a second opinion on plain frames, only
where it is right. Its known faults (protocols.md §2, §4.10), kept out of the comparison:

* the ``pi`` modifier is read as the event code (``Npi2/BA3`` -> code ``pi``), see
  ``test_pi_modifier_is_where_pysiaalarm_goes_wrong``;
* CRC compared as an upper-case string: a lower-case CRC is "invalid";
* the length field is never checked;
* its SIA regex reads modifiers only in the order ``ti``, ``id``, ``ri``, and only one
  event per block; the address after the code lands in ``message``;
* for ADM-CID the zone is in ``ri`` and the group in ``partition``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pysiaalarm import SIAEvent

from tests.e2e.wire import TcpPeer, journal_rows
from tests.support.station import ThreadStation, declare, station_in_thread
from vigie.domain.transmitters import Transmitter
from vigie.protocols.dc09 import encode_frame, parse_reply

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

# (token, header account, data block) — all plain, all known to both parsers
CASES = [
    ("SIA-DCS", "1234", "#1234|NBA3"),
    ("SIA-DCS", "1234", "#1234|Nri1/BA3"),
    ("SIA-DCS", "1234", "#1234|Nri2FA17"),
    ("SIA-DCS", "5678", "#5678|Nri12/TA104"),
    ("SIA-DCS", "5678", "#5678|Nid7/ri3/PA2"),
    ("SIA-DCS", "5678", "#5678|Nti14:05/ri1/BR3"),
    ("SIA-DCS", "ABC", "#ABC|Nri4/YT0"),
    ("ADM-CID", "1234", "#1234|1130 01 003"),
    ("ADM-CID", "1234", "#1234|3130 01 003"),
    ("ADM-CID", "5678", "#5678|1110 02 017"),
    ("ADM-CID", "5678", "#5678|1401 03 012"),
    ("ADM-CID", "ABC", "#ABC|1602 00 000"),
]


@pytest.fixture
def station(sqlite_url: str) -> Iterator[ThreadStation]:
    declare(sqlite_url, Transmitter("1234"), Transmitter("5678"), Transmitter("ABC"))
    with station_in_thread(sqlite_url) as running:
        yield running


def _pysia(raw: bytes) -> SIAEvent:
    # from_line takes the line without LF and CR: CRC, length, then the body.
    event = SIAEvent.from_line(raw[1:-1].decode("ascii"))
    assert event.valid_message, "pysiaalarm finds the CRC wrong"
    return event


def test_journaled_fields_agree_with_pysiaalarm(station: ThreadStation, sqlite_url: str) -> None:
    frames = [
        encode_frame(token, sequence=seq, account=account, data=data)
        for seq, (token, account, data) in enumerate(CASES, start=1)
    ]
    with TcpPeer(station.port) as peer:
        for frame in frames:
            assert parse_reply(peer.exchange(frame)).kind == "ACK"
    rows = journal_rows(sqlite_url, None, len(frames))
    by_raw = {record.raw: record for _, record in rows}

    for (token, _, _), frame in zip(CASES, frames, strict=True):
        ours = by_raw[frame]
        theirs = _pysia(frame)
        assert (ours.account, ours.sequence, ours.token) == (
            theirs.account, theirs.sequence, theirs.message_type.value,
        ), frame  # fmt: skip
        (event,) = ours.events
        if token == "SIA-DCS":
            address = event.zone or event.user or event.area
            assert (event.code, address) == (theirs.code, theirs.message), frame
            assert event.area == theirs.ri or (theirs.ri is None and event.area == address)
            assert event.user == theirs.id or (theirs.id is None and event.user == address)
        else:
            assert (event.code, event.qualifier) == (theirs.event_type, theirs.event_qualifier)
            assert (event.area or "00") == theirs.partition, frame
            assert (event.zone or event.user or "000") == theirs.ri, frame


def test_pi_modifier_is_where_pysiaalarm_goes_wrong(
    station: ThreadStation, sqlite_url: str
) -> None:
    # SATEL/Ksenia send a peripheral modifier; pysiaalarm takes "pi" for the event code and
    # would answer DUH (PR #87). We must read BA on zone 3, peripheral 2, and ACK.
    frame = encode_frame("SIA-DCS", sequence=1, account="1234", data="#1234|Npi2/BA3")
    with TcpPeer(station.port) as peer:
        assert parse_reply(peer.exchange(frame)).kind == "ACK"
    ((_, record),) = journal_rows(sqlite_url, "1234", 1)
    (event,) = record.events
    assert (event.code, event.zone) == ("BA", "3")
    assert ("pi", "2") in event.modifiers
    assert _pysia(frame).code == "pi"  # the peer's bug, pinned at 3.2.2


def test_lower_case_crc_is_accepted_where_pysiaalarm_refuses(
    station: ThreadStation, sqlite_url: str
) -> None:
    frame = encode_frame("ADM-CID", sequence=7, account="1234", data="#1234|1130 01 003",
                         hex_case="lower")  # fmt: skip
    assert frame[1:5] != frame[1:5].upper(), "pick a frame whose CRC has a hex letter"
    with TcpPeer(station.port) as peer:
        assert parse_reply(peer.exchange(frame)).kind == "ACK"
    ((_, record),) = journal_rows(sqlite_url, "1234", 1)
    assert record.events[0].code == "130"
    assert not SIAEvent.from_line(frame[1:-1].decode()).valid_message  # pysiaalarm's bug
