"""Dispatch a DC-09 data block to its payload codec by the frame's ID token.

``SIA-DCS`` -> :func:`parse_sia_dcs`, ``ADM-CID`` -> :func:`parse_contact_id`. ``NULL``
(supervision/poll) and every other token carry no alarm event here and give ``[]``; the
receiver still records the frame itself. The token may come with its encryption ``*``
and quotes (``"*SIA-DCS"``); case and surrounding spaces are ignored.
"""

from __future__ import annotations

from vigie.protocols.contact_id import is_keepalive_body, parse_contact_id
from vigie.protocols.events import PanelEvent
from vigie.protocols.sia_dcs import parse_sia_dcs

__all__ = ["ADM_CID", "NULL", "SIA_DCS", "is_keepalive", "normalise_token", "parse_payload"]

SIA_DCS = "SIA-DCS"
ADM_CID = "ADM-CID"
NULL = "NULL"


def normalise_token(token: str) -> str:
    """``'"*sia-dcs"'`` -> ``"SIA-DCS"``."""
    return token.strip().strip('"').strip().lstrip("*").strip().upper()


def parse_payload(token: str, data: str) -> list[PanelEvent]:
    """The events of one DC-09 data block (without brackets), by the frame's ID token."""
    kind = normalise_token(token)
    if kind == SIA_DCS:
        return parse_sia_dcs(data)
    if kind == ADM_CID:
        return parse_contact_id(data)
    return []


def is_keepalive(token: str, data: str) -> bool:
    """True for a frame that only says "I am alive": ``NULL``, or an ``ADM-CID`` frame
    whose body is empty or all zeros (Hikvision sends ``#0000|0000 00 000``)."""
    kind = normalise_token(token)
    if kind == NULL:
        return True
    if kind == ADM_CID:
        return is_keepalive_body(data)
    return False
