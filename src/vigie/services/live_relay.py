"""The port of the live-view relay: fetch a camera's images from the process that runs it.

On scale-out each camera is decoded by one process (its lease holder); a web node asked for
the live view of a camera it does not run fetches it from the holder's HTTP API. The web
layer (``console_video_relay``) decides when and signs the request; an adapter
(``adapters.video.relay_client``, httpx) does the HTTP, within bounded times, and turns
every transport failure into ``RelayFailed`` with a reason fit for the operator's screen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["RelayAnswer", "RelayClient", "RelayFailed", "RelayStream"]


class RelayFailed(Exception):
    """The holder could not be reached, or did not answer in time; the message says how."""


@dataclass(frozen=True, slots=True)
class RelayAnswer:
    """A whole answer of the holder (a snapshot)."""

    status: int
    media_type: str
    body: bytes


class RelayStream(Protocol):
    """An answer of the holder whose head has arrived and whose body is still coming."""

    status: int
    media_type: str

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives, chunk by chunk (never gathered whole)."""
        ...

    async def head_of_body(self, limit: int) -> bytes:
        """At most ``limit`` bytes of the body (an error answer's reason)."""
        ...

    async def aclose(self) -> None:
        """Close the connection to the holder (idempotent)."""
        ...


class RelayClient(Protocol):
    async def fetch(self, url: str, headers: Mapping[str, str]) -> RelayAnswer:
        """GET ``url`` whole (bounded in size and time); ``RelayFailed`` when it cannot."""
        ...

    async def stream(self, url: str, headers: Mapping[str, str]) -> RelayStream:
        """GET ``url``, once its head has arrived (bounded in time); ``RelayFailed``."""
        ...

    async def aclose(self) -> None:
        """Close the pooled connections."""
        ...
