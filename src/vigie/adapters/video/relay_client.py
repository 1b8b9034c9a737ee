"""The live-view relay over HTTP (httpx): a web node fetches a camera's images from the
process that runs it (``services.live_relay``).

Bounded everywhere, so a dead or hung holder gives the operator a clear answer, never a
hang: connecting takes at most ``connect`` seconds, the head of an answer must arrive within
``head`` seconds, a snapshot whole within ``head`` seconds and ``max_snapshot`` bytes, and a
live stream may fall silent at most ``silence`` seconds between two chunks (the lease TTL:
past it, the camera has moved anyway). A live body is handed on chunk by chunk as it
arrives, never gathered. Connections are pooled (the wall asks a snapshot per tile per
second); the pool belongs to the event loop that made it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping

import anyio
import httpx

from vigie.services.live_relay import RelayAnswer, RelayFailed

__all__ = ["HttpRelay", "HttpRelayStream"]

log = logging.getLogger(__name__)


def _reason(exc: Exception, url: str, head: float) -> RelayFailed:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return RelayFailed(f"no answer from {url} within {head:g} s")
    if isinstance(exc, httpx.ConnectError):
        return RelayFailed(f"cannot connect to {url}: {exc or 'refused'}")
    return RelayFailed(f"{url}: {type(exc).__name__}: {exc}"[:300])


class HttpRelayStream:
    """An answer of the holder being read: its head is here, its body is still coming."""

    def __init__(self, response: httpx.Response, url: str, silence: float) -> None:
        self._response = response
        self._url = url
        self._silence = silence
        self.status = response.status_code
        self.media_type = response.headers.get("content-type", "application/octet-stream")

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.TimeoutException:
            log.warning("relay from %s: silent for %g s, closed", self._url, self._silence)
        except httpx.HTTPError as exc:
            log.warning("relay from %s: ended (%s)", self._url, exc)
        finally:
            await self.aclose()

    async def head_of_body(self, limit: int) -> bytes:
        got = b""
        try:
            async for chunk in self._response.aiter_raw():
                got += chunk
                if len(got) >= limit:
                    break
        except httpx.HTTPError as exc:
            log.warning("relay from %s: error answer unreadable (%s)", self._url, exc)
        return got[:limit]

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):  # also when the viewer's task is cancelled
            await self._response.aclose()


class HttpRelay:
    def __init__(
        self,
        *,
        connect: float = 3.0,
        head: float = 5.0,
        silence: float = 30.0,
        max_snapshot: int = 8 << 20,
    ) -> None:
        self.connect, self.head, self.silence = connect, head, silence
        self.max_snapshot = max_snapshot
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _pool(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._client.is_closed:
            if self._client is not None and not self._client.is_closed:
                log.debug("relay: a new event loop, a new connection pool")
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=32),
            )
            self._loop = loop
        return self._client

    async def fetch(self, url: str, headers: Mapping[str, str]) -> RelayAnswer:
        timeout = httpx.Timeout(self.head, connect=self.connect)
        try:
            with anyio.fail_after(self.head + self.connect):
                async with self._pool().stream(
                    "GET", url, headers=dict(headers), timeout=timeout
                ) as response:
                    body = b""
                    async for chunk in response.aiter_raw():
                        body += chunk
                        if len(body) > self.max_snapshot:
                            raise RelayFailed(f"{url}: answer over {self.max_snapshot} bytes")
        except RelayFailed:
            raise
        except (TimeoutError, httpx.HTTPError, OSError) as exc:
            raise _reason(exc, url, self.head) from None
        media_type = response.headers.get("content-type", "application/octet-stream")
        return RelayAnswer(response.status_code, media_type, body)

    async def stream(self, url: str, headers: Mapping[str, str]) -> HttpRelayStream:
        client = self._pool()
        timeout = httpx.Timeout(self.silence, connect=self.connect)
        request = client.build_request("GET", url, headers=dict(headers), timeout=timeout)
        try:
            with anyio.fail_after(self.head + self.connect):
                response = await client.send(request, stream=True)
        except (TimeoutError, httpx.HTTPError, OSError) as exc:
            raise _reason(exc, url, self.head) from None
        return HttpRelayStream(response, url, self.silence)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
