"""SIA DC-03 (SIA-DCS) data codec: the content of a DC-09 ``SIA-DCS`` data block.

Input is the data *without* its brackets, e.g. ``#1234|Nri1/BA3``. Layout (DC-03):

* blocks separated by ``|``: ``#acct`` (account), ``N``/``O`` (new/old events),
  ``A<text>`` (ASCII text, attached to the event before it);
* inside an event block, packets separated by ``/`` (optional after a modifier:
  ``Nri1BA3`` == ``Nri1/BA3``). A packet is either a modifier — two lower-case letters
  and a value (``ri`` area, ``id`` user, ``ti`` HH:MM, ``da`` MM-DD-YY, ``pi``
  peripheral...) — or an event: two upper-case letters and an address, optionally
  ``*units`` and a ``^descriptor^``. Modifiers apply to every later event of the block
  until redefined.

The parser is lenient on syntax (missing ``N``, missing or odd account, all-lower-case
bodies, trailing spaces or NULs) and never raises on content: an unknown code is kept
with ``known=False``; a block that yields no event at all is kept as an event with the
empty code, so nothing is lost. An address that is not a zone, user or area (codes whose
address type is ``none``, and unknown codes) is reported in ``zone``, as sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vigie.protocols.codes import sia_code
from vigie.protocols.events import Category, PanelEvent

__all__ = ["PROTOCOL", "parse_sia_dcs"]

PROTOCOL = "SIA-DCS"

# DC-03 modifiers (siadc09 table) plus ``lt`` seen in the field. Two lower-case letters
# not listed here are still read as modifiers when a value follows them.
_KNOWN_MODIFIERS = frozenset(
    {"ri", "id", "ti", "da", "pi", "lt", "ai", "ph", "lv", "va", "pt", "rg", "ss"}
)
_FIELD_MODIFIERS = frozenset({"ri", "id", "ti", "da"})
_MODIFIER_VALUE = frozenset("0123456789.:-")
_ADDRESS_DIGITS = frozenset("0123456789:-")
_HEX_UPPER = frozenset("0123456789ABCDEF")
_ADDRESS_END = frozenset("/^*| \t")
_EVENT_FOLLOW = frozenset("0123456789/^*| \t")
# what may follow an event code: address, *units, ^descriptor^, then "/" and more
_EVENT_PACKET = re.compile(r"[0-9A-F:\-]*(?:\*[^/^]*)?(?:\^[^^]*\^?)?\s*(?:/.*)?\Z", re.S)
_EVENT_FUNCTIONS = ("N", "O")  # new event, old event
_STRIP = "\x00 \t\r\n"


@dataclass(slots=True)
class _Draft:
    code: str
    address: str
    modifiers: dict[str, str]
    account: str | None
    start: int
    end: int
    block: str
    units: str | None = None
    texts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Unparsed:
    raw: str
    account: str | None
    texts: list[str] = field(default_factory=list)


def parse_sia_dcs(data: str) -> list[PanelEvent]:
    """Decode a SIA-DCS data block (without brackets) into its events, in order.

    Never raises for content. Returns at least one event: when nothing can be read as an
    event, a single event with ``code=""``, ``known=False`` and ``raw=data``.
    """
    text = _clean(data)
    account: str | None = None
    first_account: str | None = None
    items: list[_Draft | _Unparsed] = []
    pending_texts: list[str] = []
    explicit_function = False

    for block in _split_outside_carets(text, "|"):
        b = block.strip(_STRIP)
        if not b:
            continue
        if b.startswith("#"):
            acct, rest = _split_account(b[1:])
            account = acct or account
            if first_account is None:
                first_account = acct
            if not rest:
                continue
            b = rest
        # After a block with its N/O function code, a block starting with "A" is text
        # even when it reads like an event ("AN", "AR5"): only blocks of senders that
        # omit the function code are ambiguous.
        if b.startswith("A") and (explicit_function or _is_ascii_block(b)):
            ascii_text = b[1:].strip(_STRIP)
            if ascii_text:
                last = items[-1] if items else None
                if last is not None:
                    last.texts.append(ascii_text)
                else:
                    pending_texts.append(ascii_text)
            continue
        explicit_function = explicit_function or _strip_function_code(b)[1] == 1
        drafts = _parse_event_block(b, account)
        if not drafts:
            items.append(_Unparsed(raw=b, account=account))
            continue
        if pending_texts:
            drafts[0].texts[:0] = pending_texts
            pending_texts = []
        items.extend(drafts)

    if not any(isinstance(item, _Draft) for item in items):
        return [
            _undecoded(
                data, account or first_account, [t for i in items for t in i.texts] + pending_texts
            )
        ]
    events: list[PanelEvent] = []
    for item in items:
        acct = item.account or first_account
        if isinstance(item, _Draft):
            events.append(_build(item, acct))
        else:
            events.append(_undecoded(item.raw, acct, item.texts))
    return events


def _clean(data: str) -> str:
    s = data.strip(_STRIP)
    if s.startswith("["):
        s = s[1:]
    if s.endswith("]"):
        s = s[:-1]
    return s.replace("\x00", "")


def _split_outside_carets(text: str, sep: str) -> list[str]:
    """Split on ``sep`` except inside ``^descriptor^`` text."""
    parts: list[str] = []
    start = 0
    in_caret = False
    for i, ch in enumerate(text):
        if ch == "^":
            in_caret = not in_caret
        elif ch == sep and not in_caret:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _split_account(s: str) -> tuple[str | None, str]:
    """``1234`` -> ("1234", ""); ``1234 Nri1BA3`` (missing ``|``) -> ("1234", "Nri1BA3")."""
    s = s.strip(_STRIP)
    i = 0
    while i < len(s) and s[i].isascii() and s[i].isalnum() and s[i] not in "NO":
        i += 1
    # An account is hex-ish; a following N/O block or space ends it.
    acct = s[:i] or None
    return acct, s[i:].strip(_STRIP)


def _is_ascii_block(b: str) -> bool:
    """``A<text>`` block, told apart from an event code starting with A (``AR``, ``AT3``)."""
    if not b.startswith("A"):
        return False
    if len(b) == 1:
        return True  # empty text
    pair = b[:2]
    if pair.isupper() and sia_code(pair) is not None:
        return _EVENT_PACKET.match(b[2:]) is None
    return True


def _strip_function_code(b: str) -> tuple[str, int]:
    """Drop the ``N``/``O`` function code when present; return content and offset."""
    if b[0].upper() in _EVENT_FUNCTIONS and len(b) > 1:
        rest = b[1:]
        if rest[0] in "/^" or (len(rest) >= 2 and rest[:2].isascii() and rest[:2].isalpha()):
            return rest, 1
    return b, 0


def _parse_event_block(block: str, account: str | None) -> list[_Draft]:
    content, offset = _strip_function_code(block)
    lower_mode = not any(c.isupper() for c in content)
    drafts: list[_Draft] = []
    modifiers: dict[str, str] = {}
    pending: list[str] = []  # descriptors of modifiers, for the next event
    last_was_event = False
    seg_start = 0
    n = len(content)
    i = 0
    while i < n:
        ch = content[i]
        if ch in "/ \t":
            i += 1
            continue
        if ch == "^":
            j = content.find("^", i + 1)
            j = n if j < 0 else j
            descr = content[i + 1 : j].strip(_STRIP)
            i = j + 1
            if descr:
                if last_was_event and drafts:
                    drafts[-1].texts.append(descr)
                else:
                    pending.append(descr)
            if last_was_event and drafts:
                drafts[-1].end = min(i, n) + offset
                seg_start = min(i, n)
            continue
        pair = content[i : i + 2]
        if len(pair) == 2 and pair.isascii() and pair.isalpha():
            if pair.islower() and not (lower_mode and _lower_event(pair)):
                j = i + 2
                while j < n and content[j] in _MODIFIER_VALUE:
                    j += 1
                if j > i + 2 or pair in _KNOWN_MODIFIERS:
                    modifiers[pair] = content[i + 2 : j]
                    i = j
                    last_was_event = False
                    continue
            elif (pair.isupper() or (lower_mode and pair.islower())) and (
                i + 2 == n or content[i + 2] in _EVENT_FOLLOW
            ):
                code = pair.upper()
                j, address = _scan_address(content, i + 2)
                units: str | None = None
                if j < n and content[j] == "*":
                    k = j + 1
                    while k < n and content[k] not in "/^|":
                        k += 1
                    units = content[j + 1 : k] or None
                    j = k
                draft = _Draft(
                    code=code,
                    address=address,
                    modifiers=dict(modifiers),
                    account=account,
                    start=seg_start + offset,
                    end=j + offset,
                    block=block,
                    units=units,
                    texts=pending,
                )
                pending = []
                drafts.append(draft)
                seg_start = j
                i = j
                last_was_event = True
                continue
            # a run of letters that is neither a modifier nor an event: noise, which
            # stays in the raw slice of the nearest event
            while i < n and content[i].isascii() and content[i].isalpha():
                i += 1
            continue
        i += 1  # stray character: kept in the raw slice of the nearest event
    if drafts:
        drafts[-1].end = len(block)
        drafts[0].start = 0
        if pending:
            drafts[-1].texts.extend(pending)
    return drafts


def _lower_event(pair: str) -> bool:
    """In an all-lower-case body, a known event code that is not a modifier name."""
    return pair not in _KNOWN_MODIFIERS and sia_code(pair) is not None


def _scan_address(s: str, i: int) -> tuple[int, str]:
    """Decimal address (with ``:``/``-``), extended by a hex tail that is not an event."""
    n = len(s)
    j = i
    while j < n and s[j] in _ADDRESS_DIGITS:
        j += 1
    k = j
    while k < n and s[k] in _HEX_UPPER:
        k += 1
    if k > j and (k == n or s[k] in _ADDRESS_END):
        tail = s[j:k]
        starts_event = len(tail) >= 2 and tail[:2].isalpha() and sia_code(tail[:2]) is not None
        if not starts_event:
            j = k
    return j, s[i:j]


def _build(d: _Draft, account: str | None) -> PanelEvent:
    mods = d.modifiers
    area = mods.get("ri") or None
    user = mods.get("id") or None
    time = " ".join(v for v in (mods.get("ti"), mods.get("da")) if v) or None
    extra = [(k, v) for k, v in mods.items() if k not in _FIELD_MODIFIERS]
    zone: str | None = None
    address = d.address or None
    entry = sia_code(d.code)
    kind = entry.kind if entry is not None else "event"
    target = entry.address if entry is not None else "zone"
    if address is not None:
        if target == "user":
            if user is not None and user != address:
                extra.append(("id", user))
            user = address
        elif target == "area":
            if area is not None and area != address:
                extra.append(("ri", area))
            area = address
        else:
            zone = address
    if d.units is not None:
        extra.append(("units", d.units))
    if entry is not None:
        category = entry.category
        fr, en = entry.description_fr, entry.description_en
    else:
        category = Category.OTHER
        fr, en = f"Code inconnu {d.code}", f"Unknown code {d.code}"
    return PanelEvent(
        protocol=PROTOCOL,
        code=d.code,
        category=category,
        description_fr=fr,
        description_en=en,
        known=entry is not None,
        restore=kind == "restore",
        closing={"opening": False, "closing": True}.get(kind),
        zone=zone,
        user=user,
        area=area,
        account=account,
        time=time,
        text=" / ".join(d.texts) or None,
        modifiers=tuple(extra),
        raw=d.block[d.start : d.end].strip("/ \t"),
    )


def _undecoded(raw: str, account: str | None, texts: list[str]) -> PanelEvent:
    return PanelEvent(
        protocol=PROTOCOL,
        code="",
        category=Category.OTHER,
        description_fr="Message SIA non décodé",
        description_en="Undecoded SIA message",
        known=False,
        account=account,
        text=" / ".join(texts) or None,
        raw=raw,
    )
