"""Reception: decode, store, then answer — with in-memory fakes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import count

import pytest

from tests.conftest import FakeClock
from tests.unit.services.fakes import MemoryJournal, MemoryTransmitters
from vigie.domain.signals import Transport
from vigie.domain.transmitters import Transmitter
from vigie.protocols.dc09 import Dc09Key, encode_frame, parse_reply
from vigie.services.reception import Reception, ReceptionOptions
from vigie.services.transmitter_directory import TransmitterDirectory

KEY = Dc09Key.from_hex("000102030405060708090A0B0C0D0E0F")


def _rng(n: int) -> bytes:
    return bytes(range(n))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _reception(clock: FakeClock, *, nak_bad_frames: bool = True) -> tuple[Reception, MemoryJournal]:
    directory = TransmitterDirectory(
        MemoryTransmitters(
            Transmitter("1234"),
            Transmitter("5678", key=KEY.key, key_notation="hex"),
            Transmitter("9999", key=None, ignore_timestamp=True),
        )
    )
    directory.refresh()
    journal = MemoryJournal()
    options = ReceptionOptions(nak_bad_frames=nak_bad_frames, listener="test")
    return Reception(directory, journal, clock, _rng, options), journal


_seq = count(1)


def _frame(clock: FakeClock, account: str, data: str, *, key: Dc09Key | None = None,
           token: str = "SIA-DCS", seq: int | None = None, offset: float = 0) -> bytes:  # fmt: skip
    return encode_frame(
        token,
        sequence=seq if seq is not None else next(_seq) % 10000,
        account=account,
        prefix="0",
        data=data,
        timestamp=clock.now() + timedelta(seconds=offset),
        key=key,
    )


def _receive(reception: Reception, raw: bytes) -> bytes | None:
    return asyncio.run(reception.receive(raw, "127.0.0.1:5000", Transport.TCP))


def test_a_known_plaintext_frame_is_stored_with_its_events_then_acked(clock: FakeClock) -> None:
    reception, journal = _reception(clock)
    reply = _receive(reception, _frame(clock, "1234", "#1234|Nri1/BA3"))
    assert reply is not None and parse_reply(reply).kind == "ACK"
    ((_, record),) = journal.records
    assert record.known_account and record.account == "1234"
    assert [(e.code, e.zone, e.area, e.category) for e in record.events] == [
        ("BA", "3", "1", "intrusion")
    ]
    assert record.reply == reply and record.listener == "test"
    assert record.received_at == clock.now()


def test_unknown_account_is_acked_kept_and_flagged(clock: FakeClock) -> None:
    reception, journal = _reception(clock)
    reply = _receive(reception, _frame(clock, "4321", "#4321|NFA7"))
    assert reply is not None and parse_reply(reply).kind == "ACK"
    record = journal.records[0][1]
    assert not record.known_account and record.events[0].code == "FA"


def test_an_encrypted_frame_gets_an_encrypted_ack(clock: FakeClock) -> None:
    reception, journal = _reception(clock)
    reply = _receive(reception, _frame(clock, "5678", "#5678|1130 01 003", key=KEY,
                                       token="ADM-CID"))  # fmt: skip
    assert reply is not None and b'"*ACK"' in reply
    assert parse_reply(reply, key=KEY).kind == "ACK"
    record = journal.records[0][1]
    assert record.encrypted and record.events[0].code == "130"


def test_encrypted_without_a_known_key_is_duh_and_kept_raw(clock: FakeClock) -> None:
    reception, journal = _reception(clock)
    raw = _frame(clock, "1234", "#1234|NBA1", key=KEY)  # 1234 has no key
    reply = _receive(reception, raw)
    assert reply is not None and parse_reply(reply).kind == "DUH"
    record = journal.records[0][1]
    assert record.raw == raw and record.error == "unknown_key" and record.events == ()


def test_a_stale_timestamp_is_naked_with_receiver_time(clock: FakeClock) -> None:
    reception, journal = _reception(clock)
    reply = _receive(reception, _frame(clock, "5678", "#5678|NBA1", key=KEY, offset=-60))
    assert reply is not None
    parsed = parse_reply(reply)
    assert parsed.kind == "NAK" and parsed.timestamp == clock.now()
    assert journal.records[0][1].error == "timestamp_out_of_window"


def test_a_plaintext_account_may_ignore_timestamps(clock: FakeClock) -> None:
    reception, _ = _reception(clock)
    reply = _receive(reception, _frame(clock, "9999", "#9999|NBA1", offset=-3600))
    assert reply is not None and parse_reply(reply).kind == "ACK"
    reply = _receive(reception, _frame(clock, "1234", "#1234|NBA1", offset=-3600))
    assert reply is not None and parse_reply(reply).kind == "NAK"


def test_bad_crc_is_naked_or_dropped_as_configured_and_always_kept(clock: FakeClock) -> None:
    good = _frame(clock, "1234", "#1234|NBA1")
    bad = good[:1] + (b"0000" if good[1:5] != b"0000" else b"1111") + good[5:]
    for nak, expected in ((True, "NAK"), (False, None)):
        reception, journal = _reception(clock, nak_bad_frames=nak)
        reply = _receive(reception, bad)
        assert (parse_reply(reply).kind if reply else None) == expected
        assert journal.records[0][1].error == "bad_crc"


def test_a_retransmission_is_acked_and_recognised_even_encrypted(clock: FakeClock) -> None:
    reception, journal = _reception(clock)
    first = _frame(clock, "5678", "#5678|NBA2", key=KEY, seq=42)
    again = encode_frame("SIA-DCS", sequence=42, account="5678", prefix="0", data="#5678|NBA2",
                         timestamp=clock.now(), key=KEY, rng=lambda n: b"\x07" * n)  # fmt: skip
    assert first != again  # another pad, another ciphertext
    assert _receive(reception, first) is not None
    clock.advance(5)
    reply = _receive(reception, again)
    assert reply is not None and parse_reply(reply, key=KEY).kind == "ACK"
    (s1, _), (s2, _) = journal.records
    assert s2.duplicate_of == s1.id


def test_nothing_is_answered_when_the_journal_cannot_store(clock: FakeClock) -> None:
    reception, journal = _reception(clock)
    journal.fail_with = RuntimeError("disk full")
    with pytest.raises(RuntimeError, match="disk full"):
        _receive(reception, _frame(clock, "1234", "#1234|NBA1"))
