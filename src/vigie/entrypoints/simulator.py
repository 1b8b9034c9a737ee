"""A simulated panel: builds DC-09 frames as a transmitter does and sends them.

Used by ``vigie simulate panel``, by ``vigie demo`` and by the tests. It keeps one TCP
connection open (as persistent-connection panels do) or sends one datagram per frame.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime

from vigie.protocols.dc09 import Dc09Key, Reply, encode_frame, parse_reply

__all__ = ["PanelSimulator", "cid_body", "sia_body"]


def sia_body(account: str, code: str, zone: str | None, area: str | None) -> str:
    modifiers = f"ri{area}/" if area else ""
    return f"#{account}|N{modifiers}{code.upper()}{zone or ''}"


def cid_body(account: str, code: str, zone: str | None, area: str | None, qualifier: str) -> str:
    event = code.zfill(3)
    return f"#{account}|{qualifier}{event} {(area or '0').zfill(2)} {(zone or '0').zfill(3)}"


@dataclass
class PanelSimulator:
    host: str
    port: int
    account: str
    key: Dc09Key | None = None
    udp: bool = False
    prefix: str = "0"
    receiver: str | None = None
    timeout: float = 5.0
    sequence: int = 0
    _sock: socket.socket | None = field(default=None, repr=False)
    _buffer: bytes = field(default=b"", repr=False)

    def next_sequence(self) -> str:
        self.sequence = self.sequence % 9999 + 1
        return f"{self.sequence:04d}"

    def frame(self, token: str, data: str, now: datetime | None = None) -> bytes:
        return encode_frame(
            token,
            sequence=self.next_sequence(),
            account=self.account,
            prefix=self.prefix,
            receiver=self.receiver,
            data=data,
            timestamp=now,
            key=self.key,
        )

    def send(self, frame: bytes) -> tuple[bytes, Reply | None]:
        """Send one frame and wait for its reply: (raw reply, decoded reply or None)."""
        raw = self._udp_exchange(frame) if self.udp else self._tcp_exchange(frame)
        try:
            return raw, parse_reply(raw, key=self.key)
        except ValueError:
            return raw, None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _udp_exchange(self, frame: bytes) -> bytes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(self.timeout)
            sock.sendto(frame, (self.host, self.port))
            data, _ = sock.recvfrom(4096)
            return data

    def _tcp_exchange(self, frame: bytes) -> bytes:
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self._buffer = b""
        try:
            self._sock.sendall(frame)
            while b"\r" not in self._buffer:
                chunk = self._sock.recv(4096)
                if not chunk:
                    raise ConnectionError("the receiver closed the connection")
                self._buffer += chunk
        except OSError:
            self.close()
            raise
        reply, _, self._buffer = self._buffer.partition(b"\r")
        return reply + b"\r"
