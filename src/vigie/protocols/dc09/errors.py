"""Error kinds of the DC-09 codec.

One small hierarchy for the layer: every failure the codec can see is a
:class:`Dc09Error` carrying an :class:`ErrorKind`, so the receiver can map it to a
wire reply (NAK/DUH) and a journal reason without parsing messages.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vigie.protocols.dc09.model import FrameHeader


class ErrorKind(StrEnum):
    """Why a frame was not accepted."""

    NOT_A_FRAME = "not_a_frame"
    BAD_FRAME = "bad_frame"
    BAD_CRC = "bad_crc"
    BAD_LENGTH = "bad_length"
    UNSUPPORTED_TOKEN = "unsupported_token"
    UNKNOWN_KEY = "unknown_key"
    DECRYPT_FAILED = "decrypt_failed"
    BAD_TIMESTAMP = "bad_timestamp"
    TIMESTAMP_MISSING = "timestamp_missing"
    TIMESTAMP_OUT_OF_WINDOW = "timestamp_out_of_window"


class Dc09Error(ValueError):
    """A frame (or reply) could not be decoded; ``kind`` says why."""

    def __init__(self, kind: ErrorKind, detail: str, header: FrameHeader | None = None) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail
        self.header = header
