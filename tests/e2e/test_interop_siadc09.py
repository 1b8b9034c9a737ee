"""Frames built by siadc09 1.0.1 written to a live receiver over raw TCP and UDP.

siadc09 builds anything (AES-192, every x-data type, XNM, any timestamp) and decodes our
replies. Quirks met here (protocols.md §2, §4.10):

* ``parse_frame`` cannot read the de-facto NAK layout ``"NAK"0000R0L0A0[]_…`` we send
  (it insists on a ``#acct`` field: "Missing #acct field"); NAKs are checked with its CRC
  function and our tolerant reply parser instead;
* it writes the account as ``#%03X`` of an integer: accounts must be hex;
* its pads are 16-31 bytes of any value but ``[ ] |`` (binary bytes included);
* it writes ``[J…]`` JSON verbatim: a JSON array would close the block, so objects only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from siadc09 import message as sia_message
from siadc09 import util as sia_util
from siadc09 import xdata as sia_xdata
from siadc09.account import Account

from tests.e2e.wire import TcpPeer, journal_rows, udp_exchange
from tests.support.station import ThreadStation, declare, station_in_thread
from vigie.domain.transmitters import Transmitter
from vigie.protocols.dc09 import parse_reply

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

KEY_192 = bytes(range(1, 25))
WRONG_192 = bytes(range(101, 125))
ACCOUNT = "1234"  # AES-192
UNKNOWN = "9876"  # not declared
XDATA = [
    b"X002E20.1234",
    b"Y48N51.5678",
    b"Vhttp://127.0.0.1/v/1",
    b"H13:59:58,12-31-2026",
    "IÉtage 2 — bureau".encode(),
    b'J{"room": "hall", "floor": 2}',
    b"E115000",  # not in any table: must be kept as sent
]


@pytest.fixture
def station(sqlite_url: str) -> Iterator[ThreadStation]:
    declare(sqlite_url, Transmitter(ACCOUNT, key=KEY_192, key_notation="hex"))
    with station_in_thread(sqlite_url) as running:
        yield running


def _frame(
    seq: int,
    token: str,
    data: bytes | None = None,
    *,
    shift: float = 0.0,
    key: bytes = KEY_192,
    acct: int = 0x1234,
    xdata: tuple[bytes, ...] = (),
) -> bytes:
    """An encrypted frame stamped ``shift`` seconds away from now."""
    account = Account(acct=acct, pref=0, key=key)
    blocks = [sia_xdata.parse_xdata(x) for x in xdata]
    msg: sia_message.Message
    if token == "NULL":
        msg = sia_message.NullMessage(account)
    elif token == "XNM":
        msg = sia_message.ExtendedNullMessage(account, xdata=blocks)
    else:
        content = sia_xdata.Data(content=data)
        msg = sia_message.EventMessage(
            account, config={"idtoken": token, "data": content, "xdata": blocks}
        )
    stamp = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=shift)
    frame: bytes = msg.encode(seq=seq, timestamp=stamp, encrypt=True)
    return frame


def _scenario() -> list[tuple[str, bytes]]:
    """(expected reply kind, frame) — valid and invalid frames, all AES-192."""
    seq = itertools.count(1)
    good = _frame(next(seq), "SIA-DCS", b"#1234|Nri1/BA01", xdata=tuple(XDATA))
    bad_crc = bytearray(_frame(next(seq), "SIA-DCS", b"#1234|Nri1/BA02"))
    bad_crc[1:5] = b"0000" if bad_crc[1:5] != b"0000" else b"FFFF"
    return [
        ("ACK", good),
        ("ACK", _frame(next(seq), "ADM-CID", b"#1234|1130 01 004")),
        ("ACK", _frame(next(seq), "NULL")),
        ("ACK", _frame(next(seq), "XNM", xdata=(b"CDP", b"G2"))),
        ("NAK", _frame(next(seq), "SIA-DCS", b"#1234|Nri1/FA05", shift=-60)),
        ("NAK", _frame(next(seq), "SIA-DCS", b"#1234|Nri1/FA06", shift=+30)),
        ("NAK", bytes(bad_crc)),
        ("NAK", _frame(next(seq), "SIA-DCS", b"#1234|Nri1/BA08", key=WRONG_192)),
        ("DUH", _frame(next(seq), "SIA-DCS", b"#9876|Nri1/BA09", acct=0x9876)),
    ]


def _check_reply(expected: str, frame: bytes, reply: bytes) -> None:
    assert reply.startswith(b"\n") and reply.endswith(b"\r"), reply
    request = sia_message.parse_frame(frame, keys=KEY_192) if expected == "ACK" else None
    if expected == "NAK":
        # siadc09 cannot parse our R0L0A0 NAK: check its envelope with siadc09's CRC.
        body = reply[9:-1]
        assert int(reply[1:5], 16) == sia_util.crc(body) and int(reply[5:9], 16) == len(body)
        nak = parse_reply(reply)
        assert nak.kind == "NAK" and nak.sequence == "0000" and not nak.encrypted
        assert nak.timestamp is not None  # receiver time, for the panel to re-sync
        assert abs((nak.timestamp - datetime.now(UTC)).total_seconds()) < 10
        return
    decoded = sia_message.parse_frame(reply, keys=KEY_192)
    if expected == "DUH":
        assert isinstance(decoded, sia_message.DuhMessage) and not decoded.encrypted
        assert decoded.account.acct == 0x9876
        return
    assert request is not None
    assert isinstance(decoded, sia_message.AckMessage)
    assert decoded.encrypted, "an encrypted frame must get *ACK"
    assert decoded.seq == request.seq
    assert (decoded.account.acct, decoded.account.pref) == (0x1234, None)  # pref 0 -> None
    assert decoded.timestamp is not None
    assert abs((decoded.timestamp - datetime.now(UTC)).total_seconds()) < 10


def _check_journal(
    db_url: str, scenario: list[tuple[str, bytes]], transport: str, extra: int = 0
) -> None:
    rows = journal_rows(db_url, None, len(scenario) + extra)
    assert len(rows) == len(scenario) + extra
    by_raw = {record.raw: (stored, record) for stored, record in rows}
    errors = {}
    labels = ["good", "cid", "null", "xnm", "stale", "future", "crc", "key", "duh"]
    for (expected, frame), label in zip(scenario, labels, strict=True):
        stored, record = by_raw[frame]
        assert record.reply_kind == expected, (label, record.detail)
        assert record.transport.value == transport and record.encrypted
        assert not stored.duplicate
        errors[label] = record.error
        assert (record.reply_kind == "ACK") == (record.error is None)
    assert errors == {
        "good": None, "cid": None, "null": None, "xnm": None,
        "stale": "timestamp_out_of_window", "future": "timestamp_out_of_window",
        "crc": "bad_crc", "key": "decrypt_failed", "duh": "unknown_key",
    }  # fmt: skip

    _, good = by_raw[scenario[0][1]]
    assert good.account == ACCOUNT and good.sequence == "0001" and good.known_account
    assert [(e.code, e.zone, e.area, e.category) for e in good.events] == [
        ("BA", "01", "1", "intrusion")
    ]
    assert [letter for letter, _ in good.extended] == [x[:1].decode() for x in XDATA]
    extended = dict(good.extended)
    assert extended["X"] == "002E20.1234" and extended["Y"] == "48N51.5678"
    assert extended["V"] == "http://127.0.0.1/v/1"
    assert extended["H"] == "13:59:58,12-31-2026"
    assert extended["I"] == "Étage 2 — bureau"
    assert extended["J"] == '{"room": "hall", "floor": 2}'
    assert extended["E"] == "115000"

    _, cid = by_raw[scenario[1][1]]
    assert [(e.code, e.qualifier, e.zone, e.area) for e in cid.events] == [
        ("130", "1", "004", "01")
    ]
    _, xnm = by_raw[scenario[3][1]]
    assert xnm.token == "XNM" and dict(xnm.extended) == {"C": "DP", "G": "2"}
    _, duh = by_raw[scenario[8][1]]
    assert duh.account == UNKNOWN and not duh.known_account


def test_tcp_one_persistent_connection_with_joined_and_split_writes(
    station: ThreadStation, sqlite_url: str
) -> None:
    scenario = _scenario()
    frames = [frame for _, frame in scenario]
    with TcpPeer(station.port) as peer:
        # the first three frames in one write, the fourth split in three writes,
        # then the rest one by one, all on the same connection
        peer.send(b"".join(frames[:3]))
        fourth = frames[3]
        peer.send(fourth[:7])
        peer.send(fourth[7:40])
        peer.send(fourth[40:])
        for frame in frames[4:]:
            peer.send(frame)
        replies = [peer.reply() for _ in frames]  # in arrival order
        for (expected, frame), reply in zip(scenario, replies, strict=True):
            _check_reply(expected, frame, reply)
        # the connection is still usable after the NAKs and the DUH
        again = _frame(20, "SIA-DCS", b"#1234|Nri2/BR01")
        _check_reply("ACK", again, peer.exchange(again))
    _check_journal(sqlite_url, scenario, "tcp", extra=1)


def test_udp_one_datagram_per_frame(station: ThreadStation, sqlite_url: str) -> None:
    scenario = _scenario()
    for expected, frame in scenario:
        _check_reply(expected, frame, udp_exchange(station.port, frame))
    _check_journal(sqlite_url, scenario, "udp")
