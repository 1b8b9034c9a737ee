"""Re-framing a TCP byte stream into DC-09 frames (LF … CR).

Since DC-09-2013 a connection may carry many frames, and reads split and join them
freely. The decoder keeps at most ``max_frame`` bytes, drops what is not a frame
(counted in ``discarded_bytes``; NULs and whitespace between frames are not
counted) and resynchronises on the next LF. Binary-CRC frames may carry 0x0A/0x0D
in their two CRC bytes, so for them the CR search starts after the CRC.
"""

from __future__ import annotations

from vigie.protocols.dc09.frame import crc_form_of, strip_padding

_LF = 0x0A
_CR = 0x0D
_QUIET = frozenset(b"\x00\r\n\t ")


class StreamDecoder:
    """Incremental LF…CR framer for one TCP connection (sans-IO: bytes in, frames out)."""

    def __init__(self, max_frame: int = 1024) -> None:
        if max_frame < 16:
            raise ValueError("max_frame must be at least 16 bytes")
        self.max_frame = max_frame
        self.discarded_bytes = 0
        self.oversized_frames = 0
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the end of a frame."""
        return len(self._buf)

    def _discard(self, n: int) -> None:
        dropped = self._buf[:n]
        self.discarded_bytes += sum(1 for b in dropped if b not in _QUIET)
        del self._buf[:n]

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return every complete raw frame (LF … CR inclusive), in order."""
        self._buf += data
        frames: list[bytes] = []
        buf = self._buf
        while buf:
            lf = buf.find(b"\n")
            if lf < 0:
                self._discard(len(buf))
                break
            if lf:
                self._discard(lf)
            # buf now starts with LF
            if len(buf) < 10:
                if len(buf) >= 8 and crc_form_of(bytes(buf[:8])) == "binary":
                    pass  # decided; fall through to the CR search
                else:
                    break  # not enough to know the CRC form yet
            form = crc_form_of(bytes(buf[:10]))
            scan_from = 7 if form == "binary" else 1
            cr = buf.find(b"\r", scan_from)
            nxt = buf.find(b"\n", scan_from)
            if nxt >= 0 and (cr < 0 or nxt < cr):
                # a new LF before any CR: this frame is truncated; resync on the new LF
                self._discard(nxt)
                continue
            if cr < 0:
                if len(buf) > self.max_frame:
                    self.oversized_frames += 1
                    self._discard(len(buf))
                break
            if cr + 1 > self.max_frame:
                self.oversized_frames += 1
                self._discard(cr + 1)
                continue
            frames.append(bytes(buf[: cr + 1]))
            del buf[: cr + 1]
        return frames


def datagram_frame(datagram: bytes) -> bytes:
    """UDP: one datagram is one frame; tolerate NULs/whitespace around it."""
    return strip_padding(datagram)
