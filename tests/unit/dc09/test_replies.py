"""ACK / *ACK / NAK / DUH layout and the tolerant reply parser."""

from datetime import UTC, datetime

import pytest

from vigie.protocols.dc09 import (
    Dc09Error,
    Dc09Key,
    ErrorKind,
    FrameHeader,
    ReplyKind,
    build_ack,
    build_duh,
    build_nak,
    crc16,
    parse_reply,
)
from vigie.protocols.dc09.crypto import decrypt
from vigie.protocols.dc09.encode import wrap

NOW = datetime(2026, 11, 5, 8, 9, 10, tzinfo=UTC)
KEY = Dc09Key.from_text("AAAAAAAAAAAAAAAAAAAAAAAA")


def _body(raw: bytes) -> bytes:
    assert raw[:1] == b"\n" and raw[-1:] == b"\r"
    body = raw[9:-1]
    assert int(raw[1:5], 16) == crc16(body)
    assert int(raw[5:9], 16) == len(body)
    return body


@pytest.mark.parametrize(
    "header,expected",
    [
        (FrameHeader("SIA-DCS", False, "0042", "12", "3", "1234"), b'"ACK"0042R12L3#1234[]'),
        (FrameHeader("SIA-DCS", False, "0042", None, "0", "1234"), b'"ACK"0042L0#1234[]'),
        (FrameHeader("SIA-DCS", False, "0042", None, "", "1234"), b'"ACK"0042L#1234[]'),
        (FrameHeader("SIA-DCS", False, "0042", None, "", None), b'"ACK"0042L[]'),
        (FrameHeader("NULL", False, "9999", "579BDF", "789ABC", "foc7688"),
         b'"ACK"9999R579BDFL789ABC#foc7688[]'),
        (FrameHeader("NULL", False, "0001", None, None, "1234"), b'"ACK"0001#1234[]'),
    ],
)  # fmt: skip
def test_ack_echoes_header_exactly(header: FrameHeader, expected: bytes) -> None:
    raw = build_ack(header, now=NOW)
    assert _body(raw) == expected
    reply = parse_reply(raw)
    assert reply.kind is ReplyKind.ACK and not reply.encrypted
    assert (reply.sequence, reply.receiver, reply.prefix, reply.account) == (
        header.sequence, header.receiver, header.prefix, header.account,
    )  # fmt: skip


def test_encrypted_ack_layout() -> None:
    header = FrameHeader("SIA-DCS", True, "0007", "1", "0", "1234")
    raw = build_ack(header, now=NOW, key=KEY, rng=lambda n: bytes(range(n)))
    body = _body(raw)
    assert body.startswith(b'"*ACK"0007R1L0#1234[')
    hex_text = body[len(b'"*ACK"0007R1L0#1234[') :]
    clear = decrypt(KEY, bytes.fromhex(hex_text.decode()))
    assert len(clear) % 16 == 0
    assert clear.endswith(b"]_08:09:10,11-05-2026")
    pad = clear[: -len(b"]_08:09:10,11-05-2026")]
    assert 16 <= len(pad) <= 31
    assert not set(pad) & set(b"[]|") and all(0x20 <= b < 0x7F for b in pad)
    reply = parse_reply(raw, key=KEY)
    assert reply.kind is ReplyKind.ACK and reply.encrypted and reply.decrypted
    assert reply.timestamp == NOW
    undecrypted = parse_reply(raw)
    assert undecrypted.encrypted and not undecrypted.decrypted and undecrypted.timestamp is None


def test_encrypted_ack_needs_key() -> None:
    with pytest.raises(ValueError):
        build_ack(FrameHeader("SIA-DCS", True, "0007", None, "0", "1234"), now=NOW)


def test_ack_pad_varies_with_rng() -> None:
    header = FrameHeader("SIA-DCS", True, "0007", None, "0", "1234")
    a = build_ack(header, now=NOW, key=KEY)
    b = build_ack(header, now=NOW, key=KEY)
    assert a != b  # os.urandom default
    fixed = [build_ack(header, now=NOW, key=KEY, rng=lambda n: b"k" * n) for _ in range(2)]
    assert fixed[0] == fixed[1]


def test_nak_layout_carries_receiver_time() -> None:
    raw = build_nak(NOW)
    assert _body(raw) == b'"NAK"0000R0L0A0[]_08:09:10,11-05-2026'
    reply = parse_reply(raw)
    assert reply.kind is ReplyKind.NAK and reply.timestamp == NOW and not reply.encrypted


def test_known_nak_vector() -> None:
    raw = b'\n3C830025"NAK"0000R0L0A0[]_16:09:09,04-14-2015\r'
    reply = parse_reply(raw)
    assert reply.kind is ReplyKind.NAK
    assert reply.timestamp == datetime(2015, 4, 14, 16, 9, 9, tzinfo=UTC)


@pytest.mark.parametrize("routing", [b"L0R0A0", b"L0#000", b"R0L0A0", b""])
def test_nak_layout_variants_parse(routing: bytes) -> None:
    raw = wrap(b'"NAK"0000' + routing + b"[]_08:09:10,11-05-2026")
    reply = parse_reply(raw)
    assert reply.kind is ReplyKind.NAK and reply.timestamp == NOW


def test_duh_echoes_and_is_never_encrypted() -> None:
    header = FrameHeader("SIA-PUL", True, "0101", "A", "", "ABCD")
    raw = build_duh(header)
    assert _body(raw) == b'"DUH"0101RAL#ABCD[]'
    reply = parse_reply(raw)
    assert reply.kind is ReplyKind.DUH and reply.sequence == "0101" and not reply.encrypted


def test_rsp_parses_with_data_and_x_data() -> None:
    raw = wrap(b'"RSP"0003L0#1234[][Kabcd]_08:09:10,11-05-2026')
    reply = parse_reply(raw)
    assert reply.kind is ReplyKind.RSP and reply.extended[0].letter == "K"


def test_binary_crc_replies() -> None:
    header = FrameHeader("SIA-DCS", False, "0042", None, "0", "1234")
    raw = build_ack(header, now=NOW, crc="binary")
    assert raw[3:4] == b"0" and raw[7:8] == b'"'
    assert parse_reply(raw).kind is ReplyKind.ACK
    assert parse_reply(build_nak(NOW, crc="binary")).kind is ReplyKind.NAK


def test_iobroker_style_encrypted_ack_with_space_parses() -> None:
    # ioBroker.sia: NUL pad + "|] _timestamp"
    from vigie.protocols.dc09.crypto import encrypt

    tail = b"|] _08:09:10,11-05-2026"
    clear = b"\x00" * (16 - len(tail) % 16) + tail
    body = b'"*ACK"0001L0#1234[' + encrypt(KEY, clear).hex().upper().encode()
    reply = parse_reply(wrap(body), key=KEY)
    assert reply.kind is ReplyKind.ACK and reply.timestamp == NOW


def test_parse_reply_rejects_non_replies_and_bad_crc() -> None:
    with pytest.raises(Dc09Error) as exc:
        parse_reply(wrap(b'"SIA-DCS"0001L0#1234[#1234|NBA1]'))
    assert exc.value.kind is ErrorKind.UNSUPPORTED_TOKEN
    bad = bytearray(build_nak(NOW))
    bad[-3] ^= 1
    with pytest.raises(Dc09Error) as exc:
        parse_reply(bytes(bad))
    assert exc.value.kind is ErrorKind.BAD_CRC
