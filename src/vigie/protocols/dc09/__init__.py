"""Sans-IO SIA DC-09 codec: bytes in, frames and replies out.

No sockets, no clock reads, no randomness except through injected arguments.
Imports nothing from vigie outside ``vigie.protocols``.
"""

from vigie.protocols.dc09.crc import crc16
from vigie.protocols.dc09.crypto import PAD_ALPHABET, Dc09Key, KeyNotation, Rng, default_rng
from vigie.protocols.dc09.encode import encode_frame
from vigie.protocols.dc09.errors import Dc09Error, ErrorKind
from vigie.protocols.dc09.frame import decode_frame, peek_header
from vigie.protocols.dc09.handler import AccountPolicy, Handled, PolicyLookup, handle_frame
from vigie.protocols.dc09.model import (
    KNOWN_TOKENS,
    LEGACY_TOKENS,
    SUPPORTED_TOKENS,
    CrcForm,
    ExtendedData,
    Frame,
    FrameHeader,
    HexCase,
)
from vigie.protocols.dc09.replies import (
    Reply,
    ReplyKind,
    build_ack,
    build_duh,
    build_nak,
    parse_reply,
)
from vigie.protocols.dc09.stream import StreamDecoder, datagram_frame
from vigie.protocols.dc09.text import format_timestamp, parse_timestamp

__all__ = [
    "KNOWN_TOKENS",
    "LEGACY_TOKENS",
    "PAD_ALPHABET",
    "SUPPORTED_TOKENS",
    "AccountPolicy",
    "CrcForm",
    "Dc09Error",
    "Dc09Key",
    "ErrorKind",
    "ExtendedData",
    "Frame",
    "FrameHeader",
    "Handled",
    "HexCase",
    "KeyNotation",
    "PolicyLookup",
    "Reply",
    "ReplyKind",
    "Rng",
    "StreamDecoder",
    "build_ack",
    "build_duh",
    "build_nak",
    "crc16",
    "datagram_frame",
    "decode_frame",
    "default_rng",
    "encode_frame",
    "format_timestamp",
    "handle_frame",
    "parse_reply",
    "parse_timestamp",
    "peek_header",
]
