"""The DC-09 listener: TCP and UDP on one port, asyncio, bounded.

TCP connections are persistent (panels may send many frames on one connection since
DC-09-2013); frames are re-framed from the byte stream, handed to the reception service
in arrival order and their replies written back in the same order, each only after its
frame is committed. Limits: a maximum number of connections, an idle timeout, a maximum
frame size, and a cap on frames waiting per connection (reading pauses beyond it).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from vigie.domain.signals import Transport
from vigie.protocols.dc09 import StreamDecoder
from vigie.services.reception import Reception

__all__ = ["Dc09Server", "ListenerLimits"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ListenerLimits:
    max_connections: int = 5000
    idle_timeout: float = 300.0
    max_frame_size: int = 1024
    max_pending_per_connection: int = 256


def _peer(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


class _TcpConnection(asyncio.Protocol):
    def __init__(self, server: Dc09Server) -> None:
        self._server = server
        self._decoder = StreamDecoder(max_frame=server.limits.max_frame_size)
        self._transport: asyncio.Transport | None = None
        self._peer = "?"
        self._pending: deque[tuple[bytes | None, asyncio.Future[Any]]] = deque()
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._paused = False
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._peer = _peer(transport.get_extra_info("peername"))
        if not self._server.admit(self):
            log.warning(
                "connection from %s refused: %d connections open",
                self._peer,
                self._server.limits.max_connections,
            )
            transport.abort()
            self._closed = True
            return
        self._writer = asyncio.get_running_loop().create_task(self._write_replies())
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        self._arm_idle()
        for raw in self._decoder.feed(data):
            self._pending.append(self._server.reception.submit(raw, self._peer, Transport.TCP))
        if self._pending:
            self._wake.set()
        if len(self._pending) >= self._server.limits.max_pending_per_connection and self._transport:
            self._transport.pause_reading()
            self._paused = True

    async def _write_replies(self) -> None:
        """Answer in arrival order, each once its frame is durable."""
        while True:
            while not self._pending:
                self._wake.clear()
                await self._wake.wait()
            reply, stored = self._pending[0]
            try:
                await asyncio.shield(stored)
            except Exception:
                log.exception("frame from %s not stored: left unanswered", self._peer)
                reply = None
            self._pending.popleft()
            if self._closed or self._transport is None:
                continue
            if reply:
                self._transport.write(reply)
            if (
                self._paused
                and len(self._pending) < self._server.limits.max_pending_per_connection // 2
            ):
                self._transport.resume_reading()
                self._paused = False

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(
            self._server.limits.idle_timeout, self._on_idle
        )

    def _on_idle(self) -> None:
        if self._pending:  # still answering: not idle
            self._arm_idle()
            return
        log.info("closing idle connection from %s", self._peer)
        if self._transport is not None:
            self._transport.close()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self._idle is not None:
            self._idle.cancel()
        self._server.release(self)
        # Frames already read are still stored (the tasks run on); only the replies are moot.
        if self._writer is not None:
            self._writer.cancel()


class _UdpEndpoint(asyncio.DatagramProtocol):
    def __init__(self, server: Dc09Server) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # No isinstance check: on CPython 3.11 the selector loop's UDP transport does not
        # subclass asyncio.DatagramTransport (fixed in 3.12), so the check always failed.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) > self._server.limits.max_frame_size:
            log.warning(
                "datagram of %d bytes from %s dropped: over the frame limit", len(data), _peer(addr)
            )
            return
        self._server.spawn(self._answer(data, addr))

    async def _answer(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            reply = await self._server.reception.receive(data, _peer(addr), Transport.UDP)
        except Exception:
            log.exception("datagram from %s not stored: left unanswered", _peer(addr))
            return
        if reply and self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        log.warning("UDP error: %s", exc)


class Dc09Server:
    """Owns the listeners; ``start`` binds, ``close`` stops accepting and drains."""

    def __init__(self, reception: Reception, limits: ListenerLimits | None = None) -> None:
        self.reception = reception
        self.limits = limits or ListenerLimits()
        self._connections: set[_TcpConnection] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._tcp: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self.port: int = 0

    async def start(self, host: str, port: int) -> int:
        """Bind TCP then UDP on the same port (port 0 picks a free one); return it."""
        loop = asyncio.get_running_loop()
        self._tcp = await loop.create_server(lambda: _TcpConnection(self), host, port)
        self.port = self._tcp.sockets[0].getsockname()[1]
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpEndpoint(self), local_addr=(host, self.port)
        )
        self._udp = transport  # typed DatagramTransport; not an instance on 3.11 (_UdpEndpoint)
        log.info("DC-09 receiver listening on %s port %d (TCP and UDP)", host, self.port)
        return self.port

    def admit(self, connection: _TcpConnection) -> bool:
        if len(self._connections) >= self.limits.max_connections:
            return False
        self._connections.add(connection)
        return True

    def release(self, connection: _TcpConnection) -> None:
        self._connections.discard(connection)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run a frame's work as a task the server keeps until it ends (and waits for)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
        if self._udp is not None:
            self._udp.close()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        for connection in list(self._connections):
            connection.close()
        if self._tcp is not None:
            await self._tcp.wait_closed()
