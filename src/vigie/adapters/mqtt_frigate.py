"""Frigate over MQTT: subscribe to ``<prefix>/events`` and ``<prefix>/reviews``.

Each message goes through the sans-IO ``FrigateDecoder``; each detection becomes a
``VideoEvent`` (camera mapped by ``Camera.frigate_name`` or id) stored by
``VideoSignals``. A malformed message is logged with its topic and skipped; the
subscriber never dies of what a broker sends. A lost broker is retried with a growing
back-off (1 s doubling to 30 s), like every long-running worker of the station.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiomqtt

from vigie.domain.signals import StoredSignal
from vigie.domain.video import Camera, VideoEvent
from vigie.protocols.frigate import FrigateDecoder, FrigateError
from vigie.services.video_signals import from_frigate

__all__ = ["FrigateMqtt", "VideoReceiver"]

log = logging.getLogger(__name__)


class VideoReceiver(Protocol):
    """What the subscriber needs of ``VideoSignals``."""

    async def receive(self, event: VideoEvent) -> StoredSignal: ...

    def resolve_camera(self, name: str) -> Camera | None: ...


class FrigateMqtt:
    def __init__(
        self,
        signals: VideoReceiver,
        clock: Callable[[], datetime],
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        topic_prefix: str = "frigate",
        base_url: str = "",
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
        identifier: str | None = None,
        backoff: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        self._signals = signals
        self._clock = clock
        self._host, self._port = host, port
        self._prefix = topic_prefix.strip("/")
        self._base_url = base_url
        self._username, self._password = username, password
        self._tls = tls
        self._identifier = identifier
        self._backoff = backoff
        self._decoder = FrigateDecoder()
        self.connected = asyncio.Event()  # set once subscribed (tests wait on it)
        self.received = 0
        self.rejected = 0

    @classmethod
    def from_url(cls, url: str, signals: VideoReceiver, clock: Callable[[], datetime],
                 **options: object) -> FrigateMqtt:  # fmt: skip
        """``mqtt://[user:password@]host[:port]`` (``mqtts://`` for TLS, port 8883)."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("mqtt_url: expected mqtt://host:port")
        tls = parts.scheme == "mqtts"
        return cls(
            signals,
            clock,
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            **options,  # type: ignore[arg-type]
        )

    async def run(self) -> None:
        """Subscribe and handle messages until cancelled; reconnect with back-off."""
        delay = self._backoff[0]
        while True:
            try:
                await self._session()
                delay = self._backoff[0]  # the broker closed a good session: retry soon
            except aiomqtt.MqttError as exc:
                log.warning(
                    "Frigate MQTT broker %s:%d unreachable or lost (%s); retry in %.0f s",
                    self._host, self._port, exc, delay,
                )  # fmt: skip
            except Exception:  # a bug must not end the subscription for good
                log.exception("Frigate subscriber failed; restarting in %.0f s", delay)
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff[1])

    async def _session(self) -> None:
        client = aiomqtt.Client(
            self._host,
            self._port,
            username=self._username,
            password=self._password,
            identifier=self._identifier,
            tls_context=ssl.create_default_context() if self._tls else None,
        )
        async with client:
            for topic in ("events", "reviews"):
                await client.subscribe(f"{self._prefix}/{topic}", qos=1)
            log.info("subscribed to Frigate on %s:%d (%s/#)", self._host, self._port, self._prefix)
            self.connected.set()
            async for message in client.messages:
                payload = message.payload
                data = payload if isinstance(payload, bytes | bytearray) else str(payload).encode()
                await self.handle(message.topic.value, bytes(data))

    async def handle(self, topic: str, payload: bytes) -> list[StoredSignal]:
        """One message: decode, map, store. Never raises on what the broker sends."""
        self.received += 1
        suffix = topic.removeprefix(self._prefix + "/")
        try:
            detections = self._decoder.feed(suffix, payload)
        except FrigateError as exc:
            self.rejected += 1
            log.warning("Frigate message on %s ignored: %s", topic[:200], exc)
            return []
        stored: list[StoredSignal] = []
        for detection in detections:
            camera = self._signals.resolve_camera(detection.camera)
            if camera is None:
                log.warning(
                    "Frigate camera %r is not in the camera register: kept as an unknown camera",
                    detection.camera[:64],
                )
            event = from_frigate(detection, camera, self._base_url, self._clock())
            try:
                stored.append(await self._signals.receive(event))
            except Exception:
                log.exception("Frigate event %s of %s not stored", detection.id, detection.camera)
        return stored
