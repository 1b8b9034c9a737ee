"""Byte-to-text helpers and the DC-09 timestamp: never raise on what a peer sends."""

from __future__ import annotations

from datetime import UTC, datetime

# Bytes that CP1252 leaves undefined; we map them like latin-1 instead of failing.
_CP1252_HOLES = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


def decode_text(raw: bytes) -> str:
    """Decode a text field: ASCII, else strict UTF-8, else CP1252 (holes as latin-1).

    siadc09 writes UTF-8 x-data; older panels write CP1252 (ioBroker #63). Valid
    UTF-8 is almost never accidental CP1252, so trying UTF-8 first is safe.
    """
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if not any(b in _CP1252_HOLES for b in raw):
        return raw.decode("cp1252")
    return "".join(chr(b) if b in _CP1252_HOLES else bytes((b,)).decode("cp1252") for b in raw)


def sanitize(raw: bytes | str, limit: int = 120) -> str:
    """Printable, bounded rendering of peer input for logs and the journal."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    out = []
    for ch in text[:limit]:
        code = ord(ch)
        out.append(ch if 0x20 <= code < 0x7F else f"\\x{code:02x}" if code < 0x100 else "?")
    suffix = "…" if len(text) > limit else ""
    return "".join(out) + suffix


TIMESTAMP_LEN = 20  # "_HH:MM:SS,MM-DD-YYYY"


def format_timestamp(when: datetime) -> str:
    """``_HH:MM:SS,MM-DD-YYYY`` in UTC (month before day, as the standard says)."""
    if when.tzinfo is None:
        raise ValueError("DC-09 timestamps need an aware datetime")
    t = when.astimezone(UTC)
    return f"_{t.hour:02d}:{t.minute:02d}:{t.second:02d},{t.month:02d}-{t.day:02d}-{t.year:04d}"


def parse_timestamp(raw: bytes) -> datetime | None:
    """Parse ``_HH:MM:SS,MM-DD-YYYY`` to an aware UTC datetime; None if malformed."""
    if len(raw) != TIMESTAMP_LEN or raw[0:1] != b"_":
        return None
    s = raw[1:]
    if s[2:3] != b":" or s[5:6] != b":" or s[8:9] != b"," or s[11:12] != b"-" or s[14:15] != b"-":
        return None
    parts = (s[0:2], s[3:5], s[6:8], s[9:11], s[12:14], s[15:19])
    if not all(p.isdigit() and p.isascii() for p in parts):
        return None
    hh, mi, ss, mo, dd, yy = (int(p) for p in parts)
    try:
        return datetime(yy, mo, dd, hh, mi, ss, tzinfo=UTC)
    except ValueError:
        return None
