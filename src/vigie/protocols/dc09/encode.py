"""Transmitter-side encoder: builds frames for simulations, tests and benchmarks.

Also the single place that lays out the envelope (CRC + length) for replies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from vigie.protocols.dc09.crc import crc16
from vigie.protocols.dc09.crypto import (
    Dc09Key,
    Rng,
    default_rng,
    encrypt,
    make_pad,
    pad_length,
)
from vigie.protocols.dc09.model import CrcForm, ExtendedData, HexCase
from vigie.protocols.dc09.text import format_timestamp

_TOKEN_RE = re.compile(r"[!#-)+-~][!#-~]{0,15}")  # printable, no quote, no leading '*'
_HEX_RE = re.compile(r"[0-9A-Fa-f]{1,6}")
_ACCOUNT_RE = re.compile(r"[0-9A-Za-z]{3,16}")
_FORBIDDEN_PAD = frozenset(b"[]|")


def wrap(body: bytes, *, crc: CrcForm = "hex", hex_case: HexCase = "upper") -> bytes:
    """Put ``body`` (from the opening quote) in its envelope: LF, CRC, 0LLL, body, CR."""
    if len(body) > 0xFFF:
        raise ValueError(f"frame body too long for the 0LLL field: {len(body)} bytes")
    value = crc16(body)
    length = f"{len(body):04X}"
    if hex_case == "lower":
        length = length.lower()
    if crc == "binary":
        crc_field = value.to_bytes(2, "big")
    else:
        text = f"{value:04X}"
        crc_field = (text.lower() if hex_case == "lower" else text).encode("ascii")
    return b"\n" + crc_field + length.encode("ascii") + body + b"\r"


def header_bytes(
    token: str,
    *,
    encrypted: bool,
    sequence: str,
    receiver: str | None,
    prefix: str | None,
    account: str | None,
) -> bytes:
    """``"ID"seq[Rrcvr][Lpref][#acct][`` exactly as given (no re-formatting of echoes)."""
    parts = ['"', "*" if encrypted else "", token, '"', sequence]
    if receiver is not None:
        parts += ["R", receiver]
    if prefix is not None:
        parts += ["L", prefix]
    if account is not None:
        parts += ["#", account]
    parts.append("[")
    return "".join(parts).encode("ascii")


def _sequence_text(sequence: int | str) -> str:
    if isinstance(sequence, int):
        if not 0 <= sequence <= 9999:
            raise ValueError(f"sequence must be 0..9999, got {sequence}")
        return f"{sequence:04d}"
    if len(sequence) != 4 or not sequence.isdigit() or not sequence.isascii():
        raise ValueError(f"sequence must be 4 decimal digits, got {sequence!r}")
    return sequence


def encrypted_body(
    key: Dc09Key,
    tail: bytes,
    *,
    separator: bool,
    pad: bytes | None,
    rng: Rng,
    hex_case: HexCase,
) -> bytes:
    """Hex of AES(pad [+ '|'] + tail); ``tail`` starts with the data (or with ']')."""
    body = (b"|" if separator else b"") + tail
    if pad is None:
        pad = make_pad(pad_length(len(body)), rng)
    elif any(b in _FORBIDDEN_PAD for b in pad):
        raise ValueError("pad must not contain '[', ']' or '|'")
    clear = pad + body
    if len(clear) % 16:
        raise ValueError(f"pad + cleartext must be a multiple of 16 bytes, got {len(clear)}")
    text = encrypt(key, clear).hex()
    return (text.upper() if hex_case == "upper" else text).encode("ascii")


def encode_frame(
    token: str,
    *,
    sequence: int | str,
    account: str | None,
    prefix: str | None = "0",
    receiver: str | None = None,
    data: str | bytes = "",
    extended: Iterable[ExtendedData] = (),
    timestamp: datetime | None = None,
    key: Dc09Key | None = None,
    pad: bytes | None = None,
    crc: CrcForm = "hex",
    hex_case: HexCase = "upper",
    rng: Rng = default_rng,
) -> bytes:
    """Build a transmitter frame (``token`` without ``*``; encrypted when ``key`` is given).

    ``data`` is the data block content without brackets (e.g. ``#1234|Nri1BA3``);
    ``prefix=""`` gives an empty ``L``, ``prefix=None`` omits it, ``account=None``
    omits ``#acct``. An encrypted frame needs ``timestamp`` (no clock is read here).
    """
    if not _TOKEN_RE.fullmatch(token):
        raise ValueError(f"invalid ID token {token!r}")
    if receiver is not None and not _HEX_RE.fullmatch(receiver):
        raise ValueError(f"receiver must be 1-6 hex digits, got {receiver!r}")
    if prefix is not None and prefix and not _HEX_RE.fullmatch(prefix):
        raise ValueError(f"prefix must be 0-6 hex digits, got {prefix!r}")
    if account is not None and not _ACCOUNT_RE.fullmatch(account):
        raise ValueError(f"account must be 3-16 letters or digits, got {account!r}")
    data_b = data.encode("utf-8") if isinstance(data, str) else data
    if any(b in b"[]\r\n" for b in data_b):
        raise ValueError("data must not contain '[', ']', CR or LF")
    xparts = []
    for x in extended:
        value = x.value_bytes()
        if len(x.letter) != 1 or any(b in b"[]\r\n" for b in value + x.letter.encode("latin-1")):
            raise ValueError(f"invalid extended data block {x.letter!r}")
        xparts.append(b"[" + x.letter.encode("latin-1") + value + b"]")
    xdata = b"".join(xparts)
    if key is not None and timestamp is None:
        raise ValueError("an encrypted frame needs a timestamp")
    ts = format_timestamp(timestamp).encode("ascii") if timestamp is not None else b""
    head = header_bytes(
        token,
        encrypted=key is not None,
        sequence=_sequence_text(sequence),
        receiver=receiver,
        prefix=prefix,
        account=account,
    )
    tail = data_b + b"]" + xdata + ts
    if key is None:
        return wrap(head + tail, crc=crc, hex_case=hex_case)
    body = encrypted_body(key, tail, separator=bool(data_b), pad=pad, rng=rng, hex_case=hex_case)
    return wrap(head + body, crc=crc, hex_case=hex_case)
