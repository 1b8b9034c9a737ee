"""Decoding DC-09 frames: envelope (LF, CRC, length, CR), header, body.

Tolerant on syntax (empty or missing ``L``, no header account, non-hex accounts,
lower-case hex, binary CRC, CP1252 text), strict on integrity (CRC, length, key,
timestamp syntax). All checks run on raw bytes; text is decoded last.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from vigie.protocols.dc09.crc import crc16
from vigie.protocols.dc09.crypto import Dc09Key, decrypt
from vigie.protocols.dc09.errors import Dc09Error, ErrorKind
from vigie.protocols.dc09.model import (
    SUPPORTED_TOKENS,
    CrcForm,
    ExtendedData,
    Frame,
    FrameHeader,
)
from vigie.protocols.dc09.text import decode_text, parse_timestamp, sanitize

LF = 0x0A
CR = 0x0D
_HEX = frozenset(string.hexdigits.encode())

_HEADER_RE = re.compile(
    rb'"(?P<star>\*?)(?P<token>[!#-~]{1,16})"'
    rb"(?P<seq>[0-9]{4})"
    rb"(?:R(?P<rcvr>[0-9A-Fa-f]{1,6}))?"
    rb"(?:L(?P<pref>[0-9A-Fa-f]{0,6}))?"
    rb"(?:#(?P<acct>[0-9A-Za-z]{3,16}))?"
    rb"\["
)
_DATA_ACCOUNT_RE = re.compile(r"#([0-9A-Za-z]{1,16})\|")


def strip_padding(raw: bytes) -> bytes:
    """Drop trailing NULs/whitespace after CR and leading NULs/spaces before LF (UDP)."""
    return raw.rstrip(b"\x00\n\t ").lstrip(b"\x00\r\t ")


def _is_hex(b: bytes) -> bool:
    return bool(b) and all(c in _HEX for c in b)


@dataclass(frozen=True)
class Envelope:
    """A frame's framing, checked: CRC form and the CRC/length-covered body."""

    crc_form: CrcForm
    body: bytes  # from the opening quote up to, not including, CR


def crc_form_of(raw: bytes) -> CrcForm | None:
    """Which CRC form the frame uses, judged by where ``0LLL"`` sits; None if neither."""
    if len(raw) >= 10 and raw[5] == 0x30 and raw[9] == 0x22 and _is_hex(raw[5:9]):
        return "hex"
    if len(raw) >= 8 and raw[3] == 0x30 and raw[7] == 0x22 and _is_hex(raw[3:7]):
        return "binary"
    return None


def open_envelope(raw: bytes) -> Envelope:
    """Check LF/CR framing, CRC and length; return the covered body."""
    if len(raw) < 2 or raw[0] != LF or raw[-1] != CR:
        raise Dc09Error(ErrorKind.NOT_A_FRAME, "not framed by LF … CR")
    form = crc_form_of(raw)
    if form is None:
        raise Dc09Error(ErrorKind.BAD_FRAME, "no CRC/length field before the ID token")
    if form == "hex":
        sent_crc_text = raw[1:5]
        if not _is_hex(sent_crc_text):
            raise Dc09Error(ErrorKind.BAD_CRC, f"CRC field is not hex: {sanitize(sent_crc_text)}")
        sent_crc = int(sent_crc_text, 16)
        sent_len = int(raw[5:9], 16)
        body = raw[9:-1]
    else:
        sent_crc = (raw[1] << 8) | raw[2]
        sent_len = int(raw[3:7], 16)
        body = raw[7:-1]
    actual = crc16(body)
    if actual != sent_crc:
        raise Dc09Error(
            ErrorKind.BAD_CRC, f"CRC mismatch: frame says {sent_crc:04X}, computed {actual:04X}"
        )
    if sent_len != len(body):
        raise Dc09Error(
            ErrorKind.BAD_LENGTH, f"length mismatch: frame says {sent_len}, body is {len(body)}"
        )
    return Envelope(form, body)


def parse_header(body: bytes) -> tuple[FrameHeader, int]:
    """Parse the header at the start of ``body``; return it and the offset after ``[``."""
    m = _HEADER_RE.match(body)
    if m is None:
        raise Dc09Error(ErrorKind.BAD_FRAME, f"unreadable header: {sanitize(body[:48])}")
    rcvr, pref, acct = m.group("rcvr"), m.group("pref"), m.group("acct")
    header = FrameHeader(
        token=m.group("token").decode("ascii"),
        encrypted=bool(m.group("star")),
        sequence=m.group("seq").decode("ascii"),
        receiver=rcvr.decode("ascii") if rcvr is not None else None,
        prefix=pref.decode("ascii") if pref is not None else None,
        account=acct.decode("ascii") if acct is not None else None,
    )
    return header, m.end()


def peek_header(raw: bytes) -> FrameHeader | None:
    """Best-effort header read without integrity checks (for the journal only)."""
    raw = strip_padding(raw)
    form = crc_form_of(raw)
    if form is None:
        return None
    start = 9 if form == "hex" else 7
    try:
        return parse_header(raw[start:])[0]
    except Dc09Error:
        return None


@dataclass(frozen=True)
class Tail:
    """What follows ``[`` once cleartext: data, x-data, timestamp."""

    data: str
    data_account: str | None
    extended: tuple[ExtendedData, ...]
    timestamp_present: bool
    timestamp_raw: bytes


def parse_tail(tail: bytes, kind: ErrorKind = ErrorKind.BAD_FRAME) -> Tail:
    """Parse ``data]`` + ``[x…]``* + optional ``_timestamp`` (the part after ``[``)."""
    end = tail.find(b"]")
    if end < 0:
        raise Dc09Error(kind, "data block has no closing ']'")
    data_raw = tail[:end]
    pos = end + 1
    extended: list[ExtendedData] = []
    n = len(tail)
    while pos < n and tail[pos] == 0x5B:  # '['
        close = tail.find(b"]", pos + 1)
        if close < 0:
            raise Dc09Error(kind, "extended data block has no closing ']'")
        block = tail[pos + 1 : close]
        if b"[" in block:
            raise Dc09Error(kind, "'[' inside an extended data block")
        if block:
            letter = block[:1].decode("latin-1")
            value_raw = block[1:]
            extended.append(ExtendedData(letter, decode_text(value_raw), value_raw))
        pos = close + 1
    ts_raw = tail[pos:].lstrip(b" ")  # ioBroker writes "] _HH:…" in its *ACK
    if ts_raw and ts_raw[:1] != b"_":
        raise Dc09Error(kind, f"unexpected bytes after the data: {sanitize(ts_raw[:32])}")
    data = decode_text(data_raw)
    m = _DATA_ACCOUNT_RE.match(data)
    return Tail(
        data=data,
        data_account=m.group(1) if m else None,
        extended=tuple(extended),
        timestamp_present=bool(ts_raw),
        timestamp_raw=ts_raw,
    )


def _looks_like_text(b: bytes) -> bool:
    """No C0 control characters or DEL: what a right key yields and a wrong one rarely does."""
    return not any(c < 0x20 or c == 0x7F for c in b)


def decrypt_tail(key: Dc09Key, hex_text: bytes) -> bytes:
    """Decrypt the hex after ``[`` and strip the pad (protocols.md §1.2 rule)."""
    if not _is_hex(hex_text) or len(hex_text) % 32:
        raise Dc09Error(
            ErrorKind.DECRYPT_FAILED,
            f"ciphertext is not hex of whole AES blocks ({len(hex_text)} chars)",
        )
    clear = decrypt(key, bytes.fromhex(hex_text.decode("ascii")))
    bar = clear.find(b"|")
    close = clear.find(b"]")
    if close < 0:
        raise Dc09Error(ErrorKind.DECRYPT_FAILED, "no ']' in the cleartext (wrong key?)")
    start = bar + 1 if 0 <= bar < close else close
    tail = clear[start:]
    if not _looks_like_text(tail):
        raise Dc09Error(ErrorKind.DECRYPT_FAILED, "cleartext is not text (wrong key?)")
    return tail


def decode_body(
    header: FrameHeader,
    body: bytes,
    offset: int,
    *,
    key: Dc09Key | None,
    crc_form: CrcForm,
    raw: bytes,
) -> Frame:
    """Decode the part after ``[`` (decrypting with ``key`` if the frame is encrypted)."""
    rest = body[offset:]
    if header.encrypted:
        if key is None:
            raise Dc09Error(ErrorKind.UNKNOWN_KEY, "encrypted frame and no key", header)
        try:
            clear = decrypt_tail(key, rest)
            tail = parse_tail(clear, ErrorKind.DECRYPT_FAILED)
        except Dc09Error as exc:
            raise Dc09Error(exc.kind, exc.detail, header) from None
    else:
        try:
            tail = parse_tail(rest)
        except Dc09Error as exc:
            raise Dc09Error(exc.kind, exc.detail, header) from None
    timestamp = None
    if tail.timestamp_present:
        timestamp = parse_timestamp(tail.timestamp_raw)
        if timestamp is None:
            raise Dc09Error(
                ErrorKind.BAD_TIMESTAMP,
                f"malformed timestamp: {sanitize(tail.timestamp_raw)}",
                header,
            )
    return Frame(
        token=header.token,
        encrypted=header.encrypted,
        sequence=header.sequence,
        receiver=header.receiver,
        prefix=header.prefix,
        account=header.account,
        data=tail.data,
        data_account=tail.data_account,
        extended=tail.extended,
        timestamp=timestamp,
        crc_form=crc_form,
        raw=raw,
    )


def decode_frame(raw: bytes, key: Dc09Key | None = None) -> Frame:
    """Decode one frame (LF … CR, trailing NULs tolerated) or raise :class:`Dc09Error`.

    Unsupported tokens raise ``UNSUPPORTED_TOKEN`` with the header attached, so a
    caller can still answer DUH. Timestamps are parsed, not judged: the window is
    receiver policy (:func:`vigie.protocols.dc09.handler.handle_frame`).
    """
    raw = strip_padding(raw)
    env = open_envelope(raw)
    header, offset = parse_header(env.body)
    if header.token not in SUPPORTED_TOKENS:
        raise Dc09Error(
            ErrorKind.UNSUPPORTED_TOKEN, f"unsupported ID token {sanitize(header.token)}", header
        )
    return decode_body(header, env.body, offset, key=key, crc_form=env.crc_form, raw=raw)
