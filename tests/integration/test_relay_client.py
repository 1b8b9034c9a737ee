"""The HTTP relay against misbehaving holders on loopback: a holder that accepts but never
answers, or falls silent in the middle of a stream, costs a bounded wait, never a hang."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from vigie.adapters.video.relay_client import HttpRelay
from vigie.services.live_relay import RelayFailed

pytestmark = pytest.mark.timeout(30)

HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=f\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


def _serve(answer: bytes | None) -> Iterator[str]:
    """A holder on 127.0.0.1 that sends ``answer`` (or nothing) and then stays silent."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.recv(65536)
            if answer is not None:
                conn.sendall(answer)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.fixture
def mute() -> Iterator[str]:
    yield from _serve(None)


@pytest.fixture
def stalls() -> Iterator[str]:
    yield from _serve(HEAD + b"5\r\n--f\r\n\r\n")


def test_a_holder_that_never_answers_is_given_up_quickly(mute: str) -> None:
    relay = HttpRelay(connect=0.5, head=0.5)

    async def both() -> list[str]:
        reasons = []
        for call in (relay.fetch, relay.stream):
            began = time.monotonic()
            with pytest.raises(RelayFailed) as caught:
                await call(f"{mute}/console/video/C/snapshot.jpg", {})
            assert time.monotonic() - began < 2.5
            reasons.append(str(caught.value))
        await relay.aclose()
        return reasons

    for reason in asyncio.run(both()):
        assert "no answer" in reason and "within 0.5 s" in reason


def test_a_stream_that_falls_silent_ends_after_the_silence(stalls: str) -> None:
    relay = HttpRelay(connect=0.5, head=0.5, silence=0.5)

    async def read() -> list[bytes]:
        stream = await relay.stream(f"{stalls}/console/video/C/live.mjpg", {})
        assert stream.status == 200 and stream.media_type.startswith("multipart/")
        got = [chunk async for chunk in stream.chunks()]
        await relay.aclose()
        return got

    began = time.monotonic()
    assert b"".join(asyncio.run(read())) == b"--f\r\n"
    assert time.monotonic() - began < 3


def test_a_closed_port_is_unreachable_at_once() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed when the block ends
    relay = HttpRelay()

    async def fetch() -> str:
        try:
            with pytest.raises(RelayFailed) as caught:
                await relay.fetch(f"http://127.0.0.1:{port}/x", {})
            return str(caught.value)
        finally:
            await relay.aclose()

    assert "cannot connect" in asyncio.run(fetch())
