"""Receiver replies (ACK, *ACK, NAK, DUH) and a tolerant parser for replies.

Echo rules (protocols.md §1.3, §4.7): ACK and DUH echo sequence, R, L and #acct
exactly as received (absent stays absent, empty ``L`` stays empty); an encrypted
request gets ``*ACK`` whose cleartext is ``pad]_timestamp``; NAK carries the
receiver's UTC time in the de-facto ``"NAK"0000R0L0A0[]_…`` layout and is never
encrypted; DUH is never encrypted either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from vigie.protocols.dc09.crypto import Dc09Key, Rng, default_rng
from vigie.protocols.dc09.encode import encrypted_body, header_bytes, wrap
from vigie.protocols.dc09.errors import Dc09Error, ErrorKind
from vigie.protocols.dc09.frame import (
    decrypt_tail,
    open_envelope,
    parse_header,
    parse_tail,
    strip_padding,
)
from vigie.protocols.dc09.model import CrcForm, ExtendedData, FrameHeader, HexCase
from vigie.protocols.dc09.text import format_timestamp, parse_timestamp, sanitize


class ReplyKind(StrEnum):
    """What the receiver answered."""

    ACK = "ACK"
    NAK = "NAK"
    DUH = "DUH"
    RSP = "RSP"


def build_ack(
    header: FrameHeader,
    *,
    now: datetime,
    key: Dc09Key | None = None,
    rng: Rng = default_rng,
    crc: CrcForm = "hex",
    hex_case: HexCase = "upper",
) -> bytes:
    """ACK echoing the header; ``*ACK`` (pad + ``]`` + timestamp, encrypted) if it was encrypted."""
    if header.encrypted and key is None:
        raise ValueError("an encrypted frame needs the account key to build its *ACK")
    head = header_bytes(
        "ACK",
        encrypted=header.encrypted,
        sequence=header.sequence,
        receiver=header.receiver,
        prefix=header.prefix,
        account=header.account,
    )
    if not header.encrypted or key is None:
        return wrap(head + b"]", crc=crc, hex_case=hex_case)
    tail = b"]" + format_timestamp(now).encode("ascii")
    body = encrypted_body(key, tail, separator=False, pad=None, rng=rng, hex_case=hex_case)
    return wrap(head + body, crc=crc, hex_case=hex_case)


def build_nak(now: datetime, *, crc: CrcForm = "hex") -> bytes:
    """NAK with the receiver's UTC time so the panel can fix its clock and resend."""
    body = b'"NAK"0000R0L0A0[]' + format_timestamp(now).encode("ascii")
    return wrap(body, crc=crc)


def build_duh(header: FrameHeader, *, crc: CrcForm = "hex") -> bytes:
    """DUH echoing the header, never encrypted."""
    head = header_bytes(
        "DUH",
        encrypted=False,
        sequence=header.sequence,
        receiver=header.receiver,
        prefix=header.prefix,
        account=header.account,
    )
    return wrap(head + b"]", crc=crc)


@dataclass(frozen=True)
class Reply:
    """A decoded receiver reply (what a simulated panel reads back)."""

    kind: ReplyKind
    encrypted: bool
    sequence: str
    receiver: str | None
    prefix: str | None
    account: str | None
    timestamp: datetime | None
    data: str
    extended: tuple[ExtendedData, ...]
    decrypted: bool
    raw: bytes


# NAK routing as various receivers write it: R0L0A0, L0R0A0 (pysiaalarm), L0#000 (siadc09).
_NAK_RE = re.compile(rb'"NAK"(?P<seq>[0-9]{4})[0-9A-Za-z#]*\[')
# pysiaalarm 3.2.2 writes the text "None" where an absent R should be omitted.
_PYSIA_NONE_RE = re.compile(rb'^("\*?[A-Z]{3}"[0-9]{4})None')


def parse_reply(raw: bytes, key: Dc09Key | None = None) -> Reply:
    """Decode ACK / *ACK / NAK / DUH / RSP; raise :class:`Dc09Error` if it is none of them.

    Without ``key`` an ``*ACK`` is still recognised (``decrypted=False``, no timestamp).
    """
    raw = strip_padding(raw)
    env = open_envelope(raw)
    body = env.body
    nak = _NAK_RE.match(body)
    if nak is not None:
        header = FrameHeader("NAK", False, nak.group("seq").decode("ascii"), None, None, None)
        offset = nak.end()
    else:
        body = _PYSIA_NONE_RE.sub(rb"\1", body)
        header, offset = parse_header(body)
    try:
        kind = ReplyKind(header.token)
    except ValueError:
        raise Dc09Error(
            ErrorKind.UNSUPPORTED_TOKEN, f"not a reply token: {sanitize(header.token)}", header
        ) from None
    rest = body[offset:]
    decrypted = False
    if header.encrypted:
        if key is None:
            return Reply(
                kind, True, header.sequence, header.receiver, header.prefix, header.account,
                None, "", (), False, raw,
            )  # fmt: skip
        rest = decrypt_tail(key, rest)
        decrypted = True
    tail = parse_tail(rest, ErrorKind.DECRYPT_FAILED if header.encrypted else ErrorKind.BAD_FRAME)
    timestamp = None
    if tail.timestamp_present:
        timestamp = parse_timestamp(tail.timestamp_raw)
        if timestamp is None:
            raise Dc09Error(ErrorKind.BAD_TIMESTAMP, "malformed timestamp in reply", header)
    return Reply(
        kind=kind,
        encrypted=header.encrypted,
        sequence=header.sequence,
        receiver=header.receiver,
        prefix=header.prefix,
        account=header.account,
        timestamp=timestamp,
        data=tail.data,
        extended=tail.extended,
        decrypted=decrypted,
        raw=raw,
    )
