"""Raw-socket helpers for the end-to-end tests: a panel's view of the receiver.

Everything binds or connects to 127.0.0.1 only and every blocking call has a timeout, so a
receiver that hangs makes a test fail, never stall.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TypeVar

from tests.support.station import journal
from vigie.domain.signals import SignalRecord, StoredSignal

HOST = "127.0.0.1"
T = TypeVar("T")


class TcpPeer:
    """One persistent TCP connection; replies are re-framed on LF … CR."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        """The next reply frame (LF … CR); raises on timeout or if the receiver closes."""
        while b"\r" not in self._buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the receiver closed the connection")
            self._buffer += chunk
        frame, _, self._buffer = self._buffer.partition(b"\r")
        start = frame.rfind(b"\n")
        return frame[start:] + b"\r" if start >= 0 else frame + b"\r"

    def exchange(self, frame: bytes) -> bytes:
        self.send(frame)
        return self.reply()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> TcpPeer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def udp_exchange(port: int, datagram: bytes, timeout: float = 5.0) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(datagram, (HOST, port))
        data, _ = sock.recvfrom(4096)
        return data


def wait_for(what: Callable[[], T | None], timeout: float = 10.0, message: str = "") -> T:
    """Poll ``what`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message or what}")
        time.sleep(0.05)


def journal_rows(
    db_url: str, account: str | None, count: int, timeout: float = 10.0
) -> list[tuple[StoredSignal, SignalRecord]]:
    """The journal rows of ``account`` once there are at least ``count`` of them.

    A reply is only written after its commit, but a frame answered with nothing (dropped)
    has no reply to wait for: polling the journal covers both.
    """
    return wait_for(
        lambda: rows if len(rows := journal(db_url, account)) >= count else None,
        timeout,
        f"{count} journal rows for account {account}",
    )
