"""Contact ID (SIA DC-05) data codec: the content of a DC-09 ``ADM-CID`` data block.

Input is the data *without* its brackets: ``#ACCT|QEEE GG CCC`` — Q qualifier, EEE event
code, GG group (partition), CCC zone or user. Spaces are optional (``#1234|113001003``).
Several events separated by ``|`` or ``/`` are all decoded. The native 16-digit DTMF
form ``AAAA18QEEEGGCCCS`` (account, message type 18/98, checksum) is accepted too.

Qualifier: ``1`` new event or opening (disarm), ``3`` restore or closing (arm), ``6``
condition still present (status). For codes read as openings/closings (4xx by table) the
qualifier sets ``closing``; for the others qualifier 3 sets ``restore``.

Digits: DC-05 sends a 0 as the DTMF digit 10, shown ``A`` by some equipment, so ``A`` is
read as ``0`` in EEE, GG and CCC. Sur-Gard style letter qualifiers ``E``/``R``/``P`` are
read as ``1``/``3``/``6``. Group ``00`` and zone/user ``000`` mean "none".

Keep-alive: an all-zero body (``#0000|0000 00 000``, sent by Hikvision panels in NULL
frames) or a data block with no body at all carries no event. :func:`is_keepalive_body`
says so, and :func:`parse_contact_id` returns ``[]`` exactly for those. Anything else
yields at least one event, an unreadable body being kept as an event with the empty
code, ``known=False`` and its text in ``raw``.
"""

from __future__ import annotations

import re

from vigie.protocols.codes import CidCode, cid_code
from vigie.protocols.events import Category, PanelEvent

__all__ = ["PROTOCOL", "is_keepalive_body", "parse_contact_id"]

PROTOCOL = "ADM-CID"

_QUALIFIER_ALIASES = {"E": "1", "R": "3", "P": "6"}
_HEX = frozenset("0123456789ABCDEF")
_SEPARATORS = re.compile(r"[|/]")
_NATIVE_MESSAGE_TYPES = ("18", "98")
_STRIP = "\x00 \t\r\n"


def parse_contact_id(data: str) -> list[PanelEvent]:
    """Decode an ADM-CID data block (without brackets) into its events, in order.

    Never raises for content. Returns ``[]`` only for a keep-alive body (see
    :func:`is_keepalive_body`).
    """
    account, bodies = _split(data)
    events: list[PanelEvent] = []
    for body in bodies:
        if _is_zero_body(body):
            continue
        events.append(_parse_body(body, account))
    return events


def is_keepalive_body(data: str) -> bool:
    """True for a CID data block that carries no event: no body, or all-zero bodies."""
    _, bodies = _split(data)
    return all(_is_zero_body(b) for b in bodies)


def _split(data: str) -> tuple[str | None, list[str]]:
    text = data.strip(_STRIP)
    if text.startswith("["):
        text = text[1:]
    if text.endswith("]"):
        text = text[:-1]
    text = text.replace("\x00", "")
    account: str | None = None
    bodies: list[str] = []
    for part in _SEPARATORS.split(text):
        p = part.strip(_STRIP)
        if not p:
            continue
        if p.startswith("#"):
            # "#1234" or, with the "|" missing, "#1234 1130 01 003"
            head, _, rest = p[1:].strip(_STRIP).partition(" ")
            account = account or (head or None)
            rest = rest.strip(_STRIP)
            if rest:
                bodies.append(rest)
            continue
        bodies.append(p)
    return account, bodies


def _digits(body: str) -> str:
    return "".join(body.split()).upper()


def _is_zero_body(body: str) -> bool:
    d = _digits(body)
    return bool(d) and all(c in "0A" for c in d)


def _fields(body: str) -> tuple[str, str, str, str, str | None] | None:
    """(qualifier, event, group, zone, account from native form) or None."""
    tokens = body.upper().split()
    native_account: str | None = None
    if (
        len(tokens) == 3
        and len(tokens[0]) == 4
        and 1 <= len(tokens[1]) <= 2
        and 1 <= len(tokens[2]) <= 3
    ):
        q, e, g, c = tokens[0][0], tokens[0][1:], tokens[1].zfill(2), tokens[2].zfill(3)
    else:
        d = "".join(tokens)
        if len(d) == 9:
            q, e, g, c = d[0], d[1:4], d[4:6], d[6:9]
        elif len(d) in (15, 16) and d[4:6] in _NATIVE_MESSAGE_TYPES:
            native_account = d[:4]
            q, e, g, c = d[6], d[7:10], d[10:12], d[12:15]
        else:
            return None
    q = _QUALIFIER_ALIASES.get(q, q)
    if not q.isdigit() or not all(ch in _HEX for ch in e + g + c):
        return None
    e, g, c = (x.replace("A", "0") for x in (e, g, c))
    return q, e, g, c, native_account


def _parse_body(body: str, account: str | None) -> PanelEvent:
    fields = _fields(body)
    if fields is None:
        return _undecoded(body, account)
    q, code, group, address, native_account = fields
    entry = cid_code(code)
    zone: str | None = None
    user: str | None = None
    if address != "000":
        if entry is not None and entry.address == "user":
            user = address
        else:
            zone = address
    opening_closing = entry.opening_closing if entry is not None else False
    restore = q == "3" and not opening_closing
    closing = {"1": False, "3": True}.get(q) if opening_closing else None
    fr, en = _descriptions(entry, code, q)
    return PanelEvent(
        protocol=PROTOCOL,
        code=code,
        category=entry.category if entry is not None else Category.OTHER,
        description_fr=fr,
        description_en=en,
        known=entry is not None,
        qualifier=q,
        restore=restore,
        closing=closing,
        zone=zone,
        user=user,
        area=None if group == "00" else group,
        account=account or native_account,
        raw=body,
    )


def _descriptions(entry: CidCode | None, code: str, q: str) -> tuple[str, str]:
    if entry is None:
        fr, en = f"Code inconnu {code}", f"Unknown code {code}"
    else:
        fr, en = entry.description_fr, entry.description_en
    if q == "1":
        return fr, en
    if q == "3":
        if entry is not None and entry.description_q3_fr:
            return entry.description_q3_fr, entry.description_q3_en
        return f"Rétablissement : {fr}", f"Restoral: {en}"
    if q == "6":
        return f"Toujours présent : {fr}", f"Still present: {en}"
    return f"{fr} (qualificatif {q})", f"{en} (qualifier {q})"


def _undecoded(raw: str, account: str | None) -> PanelEvent:
    return PanelEvent(
        protocol=PROTOCOL,
        code="",
        category=Category.OTHER,
        description_fr="Message Contact ID non décodé",
        description_en="Undecoded Contact ID message",
        known=False,
        account=account,
        raw=raw,
    )
