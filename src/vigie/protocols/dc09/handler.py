"""Receiver-side policy: one pure function from raw bytes to a decision and a reply.

Policy table (first matching row wins; "header" = what could be read of it):

=====================================================  ===========================  ======
situation                                              error                        reply
=====================================================  ===========================  ======
bytes with no LF/CR framing and no frame-like header   NOT_A_FRAME                  none
unframed/truncated bytes that look like a frame        NOT_A_FRAME                  NAK
CRC wrong (hex or binary form)                         BAD_CRC                      NAK
length field wrong                                     BAD_LENGTH                   NAK
header unreadable                                      BAD_FRAME                    NAK
ID token not SIA-DCS / ADM-CID / NULL / XNM            UNSUPPORTED_TOKEN            DUH
encrypted, account unknown or has no key               UNKNOWN_KEY                  DUH
encrypted, wrong key / cleartext not text              DECRYPT_FAILED               NAK
data / x-data / timestamp syntax wrong                 BAD_FRAME / BAD_TIMESTAMP    NAK
encrypted without timestamp (replay defence)           TIMESTAMP_MISSING            NAK
timestamp outside -40 s … +20 s of ``now``             TIMESTAMP_OUT_OF_WINDOW      NAK
  (plaintext accounts with ``ignore_timestamp`` skip
  the window; encrypted frames are always checked)
plaintext, account unknown                             none (known_account=False)   ACK
otherwise                                              none                         ACK
=====================================================  ===========================  ======

The account is looked up by the header account, falling back to ``#acct|`` in
the data for plaintext frames (an encrypted frame's data is unreadable before the
key is chosen). Event codes are not judged here: an unknown code is ACKed and
kept (DUH stalls Ajax panels, protocols.md §4.3). NAK and DUH are never
encrypted; replies use the request's CRC form (binary-CRC panels expect it back).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from vigie.protocols.dc09.crypto import Dc09Key, Rng, default_rng
from vigie.protocols.dc09.errors import Dc09Error, ErrorKind
from vigie.protocols.dc09.frame import (
    crc_form_of,
    decode_body,
    open_envelope,
    parse_header,
    parse_tail,
    peek_header,
    strip_padding,
)
from vigie.protocols.dc09.model import SUPPORTED_TOKENS, CrcForm, Frame, FrameHeader
from vigie.protocols.dc09.replies import ReplyKind, build_ack, build_duh, build_nak
from vigie.protocols.dc09.text import format_timestamp, sanitize


@dataclass(frozen=True)
class AccountPolicy:
    """What the receiver knows about one account: its key and timestamp tolerance."""

    key: Dc09Key | None = None
    ignore_timestamp: bool = False


#: Returns the policy for a header, or None for an unknown account.
PolicyLookup = Callable[[FrameHeader], AccountPolicy | None]

_DEFAULT_POLICY = AccountPolicy()
# "looks like a truncated frame": LF then something CRC/length-like, or a quoted token.
_FRAMEISH = re.compile(rb'^\n.{2,4}0[0-9A-Fa-f]{3}"|"\*?[A-Z][A-Z0-9-]{2,7}"[0-9]{4}', re.S)


@dataclass(frozen=True)
class Handled:
    """The decision for one received frame: journal fields plus the bytes to send."""

    frame: Frame | None
    header: FrameHeader | None
    error: ErrorKind | None
    detail: str
    reply_kind: ReplyKind | None
    reply: bytes
    known_account: bool

    @property
    def accepted(self) -> bool:
        """True when the frame was acknowledged."""
        return self.reply_kind is ReplyKind.ACK


def _check_window(ts: datetime, now: datetime, window: tuple[float, float]) -> tuple[bool, float]:
    delta = (ts - now).total_seconds()
    past, future = window
    return -past <= delta <= future, delta


def handle_frame(
    raw: bytes,
    *,
    now: datetime,
    lookup: PolicyLookup,
    rng: Rng = default_rng,
    window: tuple[float, float] = (40, 20),
) -> Handled:
    """Decide what to do with one raw frame (one TCP frame or one UDP datagram).

    ``now`` is the receiver's aware UTC time; ``window`` is (seconds in the past,
    seconds in the future) a timestamp may be off by. Never raises on peer input.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    raw = strip_padding(raw)
    form: CrcForm = crc_form_of(raw) or "hex"

    def nak(error: ErrorKind, detail: str, header: FrameHeader | None,
            frame: Frame | None = None, known: bool = False) -> Handled:  # fmt: skip
        return Handled(frame, header, error, detail, ReplyKind.NAK,
                       build_nak(now, crc=form), known)  # fmt: skip

    try:
        env = open_envelope(raw)
    except Dc09Error as exc:
        header = peek_header(raw)
        detail = f"{exc.detail} [{sanitize(raw, 64)}]"
        if exc.kind is ErrorKind.NOT_A_FRAME and not _FRAMEISH.search(raw[:64]):
            return Handled(None, header, exc.kind, detail, None, b"", False)
        return nak(exc.kind, detail, header)
    form = env.crc_form
    try:
        header, offset = parse_header(env.body)
    except Dc09Error as exc:
        return nak(exc.kind, exc.detail, None)

    if header.token not in SUPPORTED_TOKENS:
        policy = lookup(header)
        return Handled(
            None, header, ErrorKind.UNSUPPORTED_TOKEN,
            f"unsupported ID token {sanitize(header.token)}", ReplyKind.DUH,
            build_duh(header, crc=form), policy is not None,
        )  # fmt: skip

    policy = lookup(header)
    if policy is None and not header.encrypted and header.account is None:
        # account only in the data block: peek at it (plaintext, no key needed)
        try:
            data_account = parse_tail(env.body[offset:]).data_account
        except Dc09Error:
            data_account = None
        if data_account is not None:
            policy = lookup(replace(header, account=data_account))
    known = policy is not None
    if header.encrypted and (policy is None or policy.key is None):
        why = "unknown account" if policy is None else "no key configured for the account"
        return Handled(
            None, header, ErrorKind.UNKNOWN_KEY, f"encrypted frame, {why}", ReplyKind.DUH,
            build_duh(header, crc=form), known,
        )  # fmt: skip
    effective = policy or _DEFAULT_POLICY
    key = effective.key if header.encrypted else None
    try:
        frame = decode_body(header, env.body, offset, key=key, crc_form=form, raw=raw)
    except Dc09Error as exc:
        return nak(exc.kind, exc.detail, header, known=known)

    if frame.encrypted or not effective.ignore_timestamp:
        if frame.timestamp is None:
            if frame.encrypted:
                return nak(ErrorKind.TIMESTAMP_MISSING,
                           "encrypted frame without timestamp", header, frame, known)  # fmt: skip
        else:
            ok, delta = _check_window(frame.timestamp, now, window)
            if not ok:
                detail = (
                    f"timestamp {format_timestamp(frame.timestamp)[1:]} is {delta:+.0f} s "
                    f"from receiver time {format_timestamp(now)[1:]}"
                )
                return nak(ErrorKind.TIMESTAMP_OUT_OF_WINDOW, detail, header, frame, known)

    reply = build_ack(header, now=now, key=key, rng=rng, crc=form)
    detail = "ok" if known else "unknown account"
    return Handled(frame, header, None, detail, ReplyKind.ACK, reply, known)
