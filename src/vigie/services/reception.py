"""Reception: one frame in, one durable journal record, then the reply to send.

The order is the point: decode (pure), store and wait for the commit, and only then hand
back the ACK. If the journal cannot store, nothing is answered: the panel retries or fails
over to its secondary path, which is what a station wants rather than a false ACK.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from vigie.domain.signals import SignalEvent, SignalRecord, StoredSignal, Transport
from vigie.protocols.dc09 import ErrorKind, Frame, Handled, handle_frame
from vigie.protocols.events import PanelEvent
from vigie.protocols.payload import parse_payload
from vigie.services.ports import Clock, SignalJournal
from vigie.services.transmitter_directory import TransmitterDirectory

__all__ = ["Reception", "ReceptionOptions"]

log = logging.getLogger(__name__)

_FRAMING_ERRORS = {ErrorKind.BAD_CRC, ErrorKind.BAD_LENGTH}


@dataclass(frozen=True, slots=True)
class ReceptionOptions:
    timestamp_past: int = 40
    timestamp_future: int = 20
    nak_bad_frames: bool = True
    listener: str = ""


class Reception:
    def __init__(
        self,
        directory: TransmitterDirectory,
        journal: SignalJournal,
        clock: Clock,
        rng: Callable[[int], bytes],
        options: ReceptionOptions | None = None,
    ) -> None:
        self._directory = directory
        self._journal = journal
        self._clock = clock
        self._rng = rng
        self._options = options or ReceptionOptions()

    async def receive(self, raw: bytes, peer: str, transport: Transport) -> bytes | None:
        """Store the frame durably; return the bytes to answer with, or None."""
        reply, stored = self.submit(raw, peer, transport)
        await stored
        return reply

    def submit(
        self, raw: bytes, peer: str, transport: Transport
    ) -> tuple[bytes | None, asyncio.Future[StoredSignal]]:
        """Decode and queue the frame: its reply may be sent once the future resolves.

        No task per frame: a busy TCP connection queues many frames from one read.
        """
        record = self.decode(raw, peer, transport)
        reply = record.reply if record.reply_kind is not None else None
        return reply, self._journal.submit(record)

    def decode(self, raw: bytes, peer: str, transport: Transport) -> SignalRecord:
        options = self._options
        handled = handle_frame(
            raw,
            now=self._clock.now(),
            lookup=self._directory.policy,
            rng=self._rng,
            window=(options.timestamp_past, options.timestamp_future),
        )
        reply_kind = handled.reply_kind.value if handled.reply_kind is not None else None
        reply = handled.reply
        if handled.error in _FRAMING_ERRORS and not options.nak_bad_frames:
            reply_kind, reply = None, b""
        return _record(handled, raw, peer, transport, self._clock, reply_kind, reply, options)


def _record(
    handled: Handled,
    raw: bytes,
    peer: str,
    transport: Transport,
    clock: Clock,
    reply_kind: str | None,
    reply: bytes,
    options: ReceptionOptions,
) -> SignalRecord:
    frame, header = handled.frame, handled.header
    events: tuple[SignalEvent, ...] = ()
    dedup_key = None
    account = header.account if header else None
    if frame is not None:
        account = frame.account or frame.data_account
        if reply_kind == "ACK":
            events = tuple(_event(e) for e in parse_payload(frame.token, frame.data))
            if events:  # a link test heard twice is harmless: no lookup for polls
                dedup_key = _dedup_key(frame, account)
    return SignalRecord(
        received_at=clock.now(),
        listener=options.listener,
        transport=transport,
        peer=peer,
        raw=raw,
        reply_kind=reply_kind,
        reply=reply,
        token=header.token if header else None,
        encrypted=header.encrypted if header else False,
        sequence=header.sequence if header else None,
        receiver=header.receiver if header else None,
        prefix=header.prefix if header else None,
        account=account,
        known_account=handled.known_account,
        panel_time=frame.timestamp if frame else None,
        events=events,
        extended=tuple((x.letter, x.value) for x in frame.extended) if frame else (),
        error=handled.error.value if handled.error else None,
        detail=handled.detail,
        dedup_key=dedup_key,
    )


def _event(event: PanelEvent) -> SignalEvent:
    return SignalEvent(
        protocol=event.protocol,
        code=event.code,
        category=event.category.value,
        description_fr=event.description_fr,
        description_en=event.description_en,
        known=event.known,
        qualifier=event.qualifier,
        restore=event.restore,
        closing=event.closing,
        zone=event.zone,
        user=event.user,
        area=event.area,
        text=event.text,
        time=event.time,
        modifiers=event.modifiers,
    )


def _dedup_key(frame: Frame, account: str | None) -> str:
    """Same decoded content = the same signal sent again (encrypted pads differ)."""
    parts = [
        frame.token,
        account or "",
        frame.prefix or "",
        frame.receiver or "",
        frame.sequence,
        frame.data,
        "".join(f"[{x.letter}{x.value}]" for x in frame.extended),
        frame.timestamp.isoformat() if frame.timestamp else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
