"""Receiver policy table of handle_frame."""

from datetime import UTC, datetime, timedelta

import pytest

from vigie.protocols.dc09 import (
    AccountPolicy,
    Dc09Key,
    ErrorKind,
    FrameHeader,
    ReplyKind,
    encode_frame,
    handle_frame,
    parse_reply,
)
from vigie.protocols.dc09.encode import wrap

NOW = datetime(2026, 11, 5, 12, 0, 0, tzinfo=UTC)
KEY = Dc09Key.from_hex("000102030405060708090A0B0C0D0E0F1011121314151617")
RNG = lambda n: b"r" * n  # noqa: E731

POLICIES = {
    "1234": AccountPolicy(),
    "5678": AccountPolicy(key=KEY),
    "9999": AccountPolicy(ignore_timestamp=True),
    "ABCD": AccountPolicy(key=KEY, ignore_timestamp=True),
    "4321": AccountPolicy(key=None),
}


def lookup(header: FrameHeader) -> AccountPolicy | None:
    return POLICIES.get(header.account or "")


def handle(raw: bytes):  # type: ignore[no-untyped-def]
    return handle_frame(raw, now=NOW, lookup=lookup, rng=RNG)


def frame(account: str | None = "1234", **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("data", f"#{account or '1234'}|Nri1BA3")
    return encode_frame("SIA-DCS", sequence=kw.pop("sequence", 17), account=account, **kw)


def test_plaintext_known_account_ack() -> None:
    h = handle(frame(timestamp=NOW))
    assert h.error is None and h.reply_kind is ReplyKind.ACK and h.known_account
    assert h.frame is not None and h.frame.data == "#1234|Nri1BA3"
    assert h.header is not None and h.header.account == "1234"
    assert h.accepted
    reply = parse_reply(h.reply)
    assert reply.kind is ReplyKind.ACK and reply.sequence == "0017" and reply.account == "1234"


def test_plaintext_unknown_account_ack_flagged() -> None:
    h = handle(frame(account="7777"))
    assert h.reply_kind is ReplyKind.ACK and h.error is None and not h.known_account
    assert h.detail == "unknown account"


def test_account_only_in_data() -> None:
    raw = wrap(b'"SIA-DCS"0005L[#1234|Nri1BA3]')
    seen: list[FrameHeader] = []

    def spy(header: FrameHeader) -> AccountPolicy | None:
        seen.append(header)
        return lookup(header)

    h = handle_frame(raw, now=NOW, lookup=spy)
    assert h.reply_kind is ReplyKind.ACK and h.known_account
    assert [s.account for s in seen] == [None, "1234"]
    assert parse_reply(h.reply).account is None and parse_reply(h.reply).prefix == ""


def test_encrypted_known_key_gets_encrypted_ack() -> None:
    h = handle(frame("5678", key=KEY, timestamp=NOW - timedelta(seconds=10)))
    assert h.reply_kind is ReplyKind.ACK and h.known_account and h.error is None
    assert h.reply.find(b'"*ACK"0017L0#5678[') == 9
    reply = parse_reply(h.reply, key=KEY)
    assert reply.encrypted and reply.timestamp == NOW


@pytest.mark.parametrize("account,known", [("7777", False), ("4321", True)])
def test_encrypted_without_key_is_duh(account: str, known: bool) -> None:
    h = handle(frame(account, key=KEY, timestamp=NOW))
    assert h.error is ErrorKind.UNKNOWN_KEY and h.reply_kind is ReplyKind.DUH
    assert h.known_account is known and h.frame is None
    reply = parse_reply(h.reply)
    assert reply.kind is ReplyKind.DUH and not reply.encrypted and reply.account == account


def test_wrong_key_is_nak() -> None:
    other = Dc09Key.from_hex("FF" * 24)
    h = handle(frame("5678", key=other, timestamp=NOW))
    assert h.error is ErrorKind.DECRYPT_FAILED and h.reply_kind is ReplyKind.NAK
    assert parse_reply(h.reply).timestamp == NOW


def test_encrypted_without_timestamp_is_nak() -> None:
    # build by hand: encode_frame refuses to make an encrypted frame without timestamp
    from vigie.protocols.dc09.encode import encrypted_body

    body = encrypted_body(KEY, b"#5678|NBA1]", separator=True, pad=None, rng=RNG,
                          hex_case="upper")  # fmt: skip
    h = handle(wrap(b'"*SIA-DCS"0001L0#5678[' + body))
    assert h.error is ErrorKind.TIMESTAMP_MISSING and h.reply_kind is ReplyKind.NAK
    assert h.frame is not None  # decoded, kept for the journal


@pytest.mark.parametrize(
    "offset,ok", [(-40, True), (-41, False), (20, True), (21, False), (0, True), (-3600, False)]
)
def test_timestamp_window_minus_40_plus_20(offset: int, ok: bool) -> None:
    for account, key in (("1234", None), ("5678", KEY)):
        h = handle(frame(account, key=key, timestamp=NOW + timedelta(seconds=offset)))
        if ok:
            assert h.reply_kind is ReplyKind.ACK, (account, offset)
        else:
            assert h.error is ErrorKind.TIMESTAMP_OUT_OF_WINDOW, (account, offset)
            assert h.reply_kind is ReplyKind.NAK
            assert parse_reply(h.reply).timestamp == NOW


def test_custom_window() -> None:
    raw = frame(timestamp=NOW - timedelta(seconds=100))
    assert handle_frame(raw, now=NOW, lookup=lookup, window=(120, 5)).reply_kind is ReplyKind.ACK


def test_ignore_timestamp_only_for_plaintext() -> None:
    stale = NOW - timedelta(hours=3)
    assert handle(frame("9999", timestamp=stale)).reply_kind is ReplyKind.ACK
    h = handle(frame("ABCD", key=KEY, timestamp=stale))
    assert h.error is ErrorKind.TIMESTAMP_OUT_OF_WINDOW


def test_plaintext_without_timestamp_accepted() -> None:
    assert handle(frame()).reply_kind is ReplyKind.ACK


@pytest.mark.parametrize("token", ["SIA-PUL", "SCN-S8", "FOO", "ACK"])
def test_unsupported_token_is_duh(token: str) -> None:
    raw = encode_frame(token, sequence=5, account="1234", data="x")
    h = handle(raw)
    assert h.error is ErrorKind.UNSUPPORTED_TOKEN and h.reply_kind is ReplyKind.DUH
    assert h.known_account
    reply = parse_reply(h.reply)
    assert reply.kind is ReplyKind.DUH and reply.sequence == "0005"


def test_unknown_event_code_is_not_duh() -> None:
    h = handle(frame(data="#1234|NZZ99"))
    assert h.reply_kind is ReplyKind.ACK


def test_bad_crc_and_length_are_nak_with_header_for_journal() -> None:
    raw = bytearray(frame())
    raw[-3] ^= 0x01
    h = handle(bytes(raw))
    assert h.error is ErrorKind.BAD_CRC and h.reply_kind is ReplyKind.NAK
    assert h.header is not None and h.header.account == "1234"
    good = frame()
    body = good[9:-1]
    from vigie.protocols.dc09 import crc16

    bad_len = b"\n" + f"{crc16(body):04X}{len(body) + 1:04X}".encode() + body + b"\r"
    h = handle(bad_len)
    assert h.error is ErrorKind.BAD_LENGTH and h.reply_kind is ReplyKind.NAK


def test_binary_crc_request_gets_binary_crc_reply() -> None:
    h = handle(frame(crc="binary"))
    assert h.reply_kind is ReplyKind.ACK
    assert h.reply[3:4] == b"0" and h.reply[7:8] == b'"'
    raw = bytearray(frame(crc="binary"))
    raw[-3] ^= 1
    nak = handle(bytes(raw))
    assert nak.reply_kind is ReplyKind.NAK and nak.reply[7:8] == b'"'


def test_truncated_frame_is_nak_and_noise_is_ignored() -> None:
    raw = frame()
    h = handle(raw[:30])
    assert h.error is ErrorKind.NOT_A_FRAME and h.reply_kind is ReplyKind.NAK
    h = handle(raw[1:])  # LF lost
    assert h.reply_kind is ReplyKind.NAK
    for noise in (b"", b"GET / HTTP/1.1", b"\x05\x01\x81\x59\x68", b"\x00\x00"):
        h = handle(noise)
        assert h.error is ErrorKind.NOT_A_FRAME and h.reply_kind is None and h.reply == b""


def test_unreadable_header_is_nak() -> None:
    h = handle(wrap(b'"SIA-DCS"12L0#1234[#1234|NBA1]'))
    assert h.error is ErrorKind.BAD_FRAME and h.reply_kind is ReplyKind.NAK


def test_detail_is_sanitised() -> None:
    h = handle(b"\n\x1b[31mEVIL\x07" + b"x" * 500 + b"\r")
    assert "\x1b" not in h.detail and "\x07" not in h.detail
    assert len(h.detail) < 300


def test_naive_now_rejected() -> None:
    with pytest.raises(ValueError):
        handle_frame(frame(), now=datetime(2026, 1, 1), lookup=lookup)
