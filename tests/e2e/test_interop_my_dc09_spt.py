"""my-dc09-spt 0.2.2 (a transmitter, as a panel sends) against a live Vigie receiver.

Quirks of the peer met here (protocols.md §2, §4.10):

* without ``line=`` it writes no ``L`` field at all (DC-09 makes it mandatory);
* ``[H]`` (``event_ts``, in milliseconds) is written ``%H:%M:%S,%d-%m-%Y`` in *local* time:
  day and month swapped;
* after a NAK it recomputes its clock offset and resends on the same connection, then
  crashes decoding the answer (``TypeError`` from ``ord()``: bytes where str expected);
* its encrypted NULL still carries the ``|`` pad separator (``if type != "NULL"`` tests
  the builtin ``type``), so the cleartext is ``pad|]_timestamp``;
* pad bytes come from chr(20)…chr(125): control characters included;
* one TCP connection per message; over UDP the "5 tries" loop gives up at the first
  timeout (``e != TimeoutError`` compares an instance with a class);
* keys are raw bytes, 16 or 32 only (no AES-192).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from my_dc09_spt import dc09_spt

from tests.e2e.wire import HOST, journal_rows
from tests.support.station import ThreadStation, declare, station_in_thread
from vigie.domain.transmitters import Transmitter

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

KEY_128 = b"0123456789ABCDEF"
KEY_256 = b"0123456789ABCDEF0123456789abcdef"
VERIFY_URL = "http://127.0.0.1/v/1"


def _panel(station: ThreadStation, account: str, key: bytes | None, transport: str, **path: Any):
    spt = dc09_spt.dc09_spt(account)
    spt.set_path("main", "primary", HOST, station.port, account=account, key=key,
                 type=transport, **path)  # fmt: skip
    return spt


def _send_null(spt: Any) -> bool:
    # send_msg only knows SIA-DCS and ADM-CID; the poll thread sends NULL through
    # transfer_msg(0, "NULL", "]", path), which returns True only on an ACK.
    return bool(spt.transfer_msg(0, "NULL", "]", spt.tpaths["main"]["primary"]["path"]))


@pytest.mark.parametrize("transport", ["TCP", "UDP"])
@pytest.mark.parametrize(
    ("key", "notation"),
    [(None, None), (KEY_128, "text"), (KEY_256, "text")],
    ids=["plain", "aes128", "aes256"],
)
def test_events_and_poll_are_acked_and_journaled(
    sqlite_url: str, transport: str, key: bytes | None, notation: str | None
) -> None:
    account = "4321"
    declare(sqlite_url, Transmitter(account, key=key, key_notation=notation))
    with station_in_thread(sqlite_url) as station:
        spt = _panel(station, account, key, transport, line=0)
        # send_msg raises unless the receiver ACKs (it checks CRC, length, sequence).
        spt.send_msg("SIA-DCS", {"code": "BA", "zone": 3, "area": 1})
        spt.send_msg("ADM-CID", {"code": 130, "q": 1, "zone": 5, "area": 2})
        spt.send_msg("SIA-DCS", {"code": "OP", "user": 12, "area": 1, "lon": "002E20.1234",
                                 "lat": "48N51.5678", "verification": VERIFY_URL})  # fmt: skip
        assert _send_null(spt), "NULL poll not acknowledged"
        rows = journal_rows(sqlite_url, account, 4)

    assert len(rows) == 4
    records = [record for _, record in rows]
    for stored, record in rows:
        assert record.reply_kind == "ACK", record.detail
        assert record.error is None
        assert record.transport.value == transport.lower()
        assert record.encrypted is (key is not None)
        assert record.account == account
        assert record.prefix == "0"
        assert record.known_account
        assert not stored.duplicate
        if key is not None:
            assert record.panel_time is not None  # encrypted frames carry the timestamp
            assert abs((record.panel_time - record.received_at).total_seconds()) < 20

    burglary, cid, opening, poll = records
    assert [r.token for r in records] == ["SIA-DCS", "ADM-CID", "SIA-DCS", "NULL"]
    assert [r.sequence for r in records] == ["0001", "0002", "0003", "0000"]

    (event,) = burglary.events
    assert (event.code, event.zone, event.area, event.user) == ("BA", "3", "1", None)
    assert event.category == "intrusion" and event.known and not event.restore

    (event,) = cid.events
    assert (event.code, event.qualifier, event.zone, event.area) == ("130", "1", "005", "02")
    assert event.category == "intrusion" and not event.restore

    (event,) = opening.events
    assert (event.code, event.user, event.area, event.zone) == ("OP", "12", "1", None)
    assert event.category == "opening_closing" and event.closing is False
    assert dict(opening.extended) == {"X": "002E20.1234", "Y": "48N51.5678", "V": VERIFY_URL}

    assert poll.events == ()


def test_header_without_line_is_still_acked(sqlite_url: str) -> None:
    # Quirk: without line= the peer writes "SIA-DCS"0001#4321[ — no L field at all.
    declare(sqlite_url, Transmitter("4321"))
    with station_in_thread(sqlite_url) as station:
        spt = _panel(station, "4321", None, "TCP")
        spt.send_msg("SIA-DCS", {"code": "FA", "zone": 7, "area": 2})
        ((_, record),) = journal_rows(sqlite_url, "4321", 1)
    assert b"L" not in record.raw.partition(b"#")[0][10:], record.raw
    assert record.reply_kind == "ACK" and record.prefix is None
    assert [(e.code, e.zone, e.area, e.category) for e in record.events] == [
        ("FA", "7", "2", "fire")
    ]


def test_swapped_day_month_time_of_occurrence_is_kept_as_sent(sqlite_url: str) -> None:
    # Quirk: [H] written %d-%m-%Y in local time. 28 November can only be read one way,
    # so the block is malformed for DC-09: the alarm must still be ACKed and the x-data
    # kept verbatim (an operator sees what the panel said).
    occurred = datetime(2026, 11, 28, 12, 0, 5, tzinfo=UTC)
    declare(sqlite_url, Transmitter("4321"))
    with station_in_thread(sqlite_url) as station:
        spt = _panel(station, "4321", None, "UDP", line=0)
        spt.send_msg("SIA-DCS", {"code": "BA", "zone": 9, "event_ts": occurred.timestamp() * 1000})
        ((_, record),) = journal_rows(sqlite_url, "4321", 1)
    assert record.reply_kind == "ACK"
    (h_value,) = [value for letter, value in record.extended if letter == "H"]
    local = datetime.fromtimestamp(occurred.timestamp())
    assert h_value == local.strftime("%H:%M:%S,%d-%m-%Y")
    assert record.events[0].zone == "9"


@pytest.mark.parametrize("transport", ["TCP", "UDP"])
def test_nak_with_receiver_time_then_resent_frame_is_acked(sqlite_url: str, transport: str) -> None:
    # The panel's clock is 2 minutes slow: its encrypted frame is NAKed with our time;
    # it corrects its offset and resends (on the same TCP connection), which we ACK.
    # Quirk: the peer then crashes decoding that ACK (TypeError), so send_msg raises.
    declare(sqlite_url, Transmitter("4321", key=KEY_128, key_notation="text"))
    with station_in_thread(sqlite_url) as station:
        spt = _panel(station, "4321", KEY_128, transport, line=0)
        spt.tpaths["main"]["primary"]["path"].set_offset(-120)
        with pytest.raises(TypeError, match="ord"):
            spt.send_msg("SIA-DCS", {"code": "FA", "zone": 7, "area": 2})
        rows = journal_rows(sqlite_url, "4321", 2)

    (_, stale), (_, resent) = rows
    assert stale.reply_kind == "NAK" and stale.error == "timestamp_out_of_window"
    assert b'"NAK"0000R0L0A0[]_' in stale.reply
    assert stale.panel_time is not None
    assert -140 < (stale.panel_time - stale.received_at).total_seconds() < -100
    assert stale.events == ()  # a refused frame carries no event to process

    assert resent.reply_kind == "ACK", resent.detail
    assert resent.sequence == stale.sequence == "0001"
    assert [(e.code, e.zone, e.area) for e in resent.events] == [("FA", "7", "2")]
    assert resent.reply.startswith(b"\n") and b'"*ACK"0001L0#4321[' in resent.reply
