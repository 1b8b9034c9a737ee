"""Events decoded from an alarm payload, common to SIA DCS (DC-03) and Contact ID (DC-05).

The codecs produce these; the processing engine maps them onto the domain. Nothing here
knows about sites or alarms: a ``PanelEvent`` says only what the panel said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Category", "PanelEvent"]


class Category(StrEnum):
    """What kind of event a code reports, as a station sorts them."""

    INTRUSION = "intrusion"
    FIRE = "fire"
    PANIC = "panic"  # panic and hold-up (raised by a person)
    MEDICAL = "medical"
    TECHNICAL = "technical"  # gas, water, heat, freezer... (24 h technical detectors)
    TAMPER = "tamper"
    TROUBLE = "trouble"  # power, battery, communication, supervision faults
    OPENING_CLOSING = "opening_closing"
    TEST = "test"
    BYPASS = "bypass"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PanelEvent:
    """One event of a payload block.

    ``code`` is the SIA two-letter code (``"BA"``) or the Contact ID three-digit event
    (``"130"``). ``restore`` is true for a restoral (SIA ``BR``, CID qualifier 3 on an
    alarm code); for openings and closings ``closing`` tells which (CID qualifier 3 = arm).
    ``known`` is false for a code missing from the tables: it is kept, never refused.
    """

    protocol: str  # "SIA-DCS" or "ADM-CID"
    code: str
    category: Category
    description_fr: str
    description_en: str
    known: bool = True
    qualifier: str | None = None  # Contact ID: "1", "3", "6"
    restore: bool = False
    closing: bool | None = None  # opening/closing events only
    zone: str | None = None
    user: str | None = None
    area: str | None = None  # partition / group
    account: str | None = None  # account written inside the data block
    time: str | None = None  # SIA "ti" (HH:MM) and "da" (MM-DD-YY) as sent
    text: str | None = None  # SIA ^descriptor^ or A-block text
    modifiers: tuple[tuple[str, str], ...] = field(default=())
    raw: str = ""  # the slice of the data block this event came from
