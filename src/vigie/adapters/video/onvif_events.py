"""A camera's own ONVIF events (motion, tampering, video loss) as video signals.

Many cameras detect motion, tampering, a blurred, dark or dazzled image or a lost sensor
themselves and say so through ONVIF events. ``OnvifEventSubscriber`` keeps one PullPoint
subscription per camera through onvif-zeep-async (the same library as the PTZ client):
CreatePullPointSubscription, then PullMessages in a loop (each call waits up to
``pull_timeout`` for something to happen), Renew well before the termination time, and,
when the camera drops the subscription (reboot, expiry, network), a new one after a
back-off (1 s doubling to 60 s). Each message goes through the sans-IO
``OnvifEventDecoder``; each alarm or restore becomes a ``VideoEvent`` (source ``onvif``)
handed to ``on_event`` (``VideoSignals.receive``: durable before the next message).

``OnvifEvents`` runs one subscriber per enabled camera that has an ONVIF address, follows
the camera register (re-read every ``refresh`` seconds, or at once on ``wake``) and
unsubscribes everything when cancelled. Renewal is done here rather than by the
library's PullPointManager: its timers renew no sooner than 48 s and restart after 40 s,
which neither tests nor an operator waiting for a camera back can use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from lxml import etree  # type: ignore[import-untyped]  # zeep's XML library
from onvif import ONVIFCamera, ONVIFError
from onvif.util import normalize_url
from zeep.exceptions import Error as ZeepError

from vigie.adapters.video.onvif_errors import onvif_reason
from vigie.domain.video import Camera, VideoCode, VideoEvent, VideoSource
from vigie.protocols.onvif_events import (
    OnvifEvent,
    OnvifEventDecoder,
    OnvifEventError,
    OnvifNotification,
    notification,
    parse_message,
)

__all__ = [
    "OnvifEventSubscriber",
    "OnvifEvents",
    "OnvifEventsError",
    "PullPointTiming",
    "video_event",
]

log = logging.getLogger(__name__)

EVENTS_NAMESPACE = "http://www.onvif.org/ver10/events/wsdl"
PULLPOINT_NAMESPACE = EVENTS_NAMESPACE + "/PullPointSubscription"
MESSAGE_LIMIT = 100
_FAILURES = (ONVIFError, ZeepError, aiohttp.ClientError, TimeoutError, OSError, ValueError)

OnEvent = Callable[[VideoEvent], Awaitable[object]]


class OnvifEventsError(Exception):
    """The camera cannot give its events; ``str(error)`` is the reason (French)."""


@dataclass(frozen=True, slots=True)
class PullPointTiming:
    lifetime: float = 60.0  # seconds asked for each subscription and renewal
    pull_timeout: float = 10.0  # seconds each PullMessages may wait for a message
    request_timeout: float = 10.0  # seconds for any other call
    backoff: tuple[float, float] = (1.0, 60.0)  # first and longest wait before retrying
    max_skew: float = 30.0  # the camera's clock is trusted within this many seconds

    def __post_init__(self) -> None:
        if self.lifetime < 1 or self.pull_timeout <= 0 or self.request_timeout <= 0:
            raise ValueError("lifetime >= 1 s, pull_timeout and request_timeout > 0")
        if not 0 < self.backoff[0] <= self.backoff[1]:
            raise ValueError("backoff: 0 < first <= longest")


def video_event(camera_id: str, event: OnvifEvent, now: datetime, max_skew: float) -> VideoEvent:
    """The station's video event; a camera clock off by more than ``max_skew`` seconds is
    replaced by ours (a clip is cut around this time)."""
    at = event.at
    if at is None or abs((at - now).total_seconds()) > max_skew:
        at = now
    return VideoEvent(
        camera_id=camera_id,
        code=VideoCode(event.code),
        at=at,
        source=VideoSource.ONVIF,
        restore=event.restore,
        detail=event.detail,
    )


def _items(container: Any) -> list[tuple[object, object]]:
    items = getattr(container, "SimpleItem", None) or []
    return [(getattr(i, "Name", ""), getattr(i, "Value", "")) for i in items]


def from_zeep(message: Any) -> OnvifNotification:
    """A ``NotificationMessage`` as onvif-zeep-async returns it: ``Message._value_1`` is
    the tt:Message mapped to objects, or an XML element when zeep could not map it."""
    topic = getattr(getattr(message, "Topic", None), "_value_1", None)
    body = getattr(getattr(message, "Message", None), "_value_1", None)
    if body is None:
        return notification(topic)
    if hasattr(body, "tag"):  # an lxml element
        return parse_message(str(topic or ""), etree.tostring(body))
    return notification(
        topic,
        getattr(body, "UtcTime", None),
        getattr(body, "PropertyOperation", None) or "",
        _items(getattr(body, "Source", None)),
        _items(getattr(body, "Data", None)),
    )


class OnvifEventSubscriber:
    """One camera's PullPoint subscription, kept alive until cancelled."""

    def __init__(
        self,
        camera_id: str,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        on_event: OnEvent,
        clock: Callable[[], datetime],
        timing: PullPointTiming | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.host = host
        self.port = port
        self._username = username
        self._password = password
        self._on_event = on_event
        self._clock = clock
        self.timing = timing or PullPointTiming()
        self.decoder = OnvifEventDecoder()  # kept across subscriptions: no repeated alarm
        self.subscribed = asyncio.Event()  # set while a subscription is live (tests wait)
        self.subscriptions = 0  # created so far
        self.renewals = 0
        self.received = 0  # notification messages pulled
        self.ignored = 0  # topics that are not alarms (processor load, configuration...)
        self.rejected = 0  # known topics without a readable state
        self.last_error = ""

    def __repr__(self) -> str:  # never shows the password
        return f"OnvifEventSubscriber({self.camera_id}, {self.host}:{self.port})"

    @classmethod
    def for_camera(
        cls,
        camera: Camera,
        on_event: OnEvent,
        clock: Callable[[], datetime],
        timing: PullPointTiming | None = None,
    ) -> OnvifEventSubscriber:
        """From ``Camera.onvif_url`` (http[s]://host[:port]/...); ValueError if unusable."""
        parts = urlsplit(camera.onvif_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("onvif_url: expected http://host:port/onvif/device_service")
        secure = parts.scheme == "https"
        host = f"https://{parts.hostname}" if secure else parts.hostname
        port = parts.port or (443 if secure else 80)
        user, password = camera.username or None, camera.password or None
        return cls(camera.id, host, port, user, password, on_event, clock, timing)

    async def run(self) -> None:
        """Subscribe and pull until cancelled; a lost subscription is re-created after a
        back-off (reset once a subscription was made again)."""
        first, longest = self.timing.backoff
        delay = first
        while True:
            made = self.subscriptions
            try:
                await self._session()
            except OnvifEventsError as exc:
                self.last_error = str(exc)
                log.warning("ONVIF events of camera %s: %s", self.camera_id, exc)
                delay = longest
            except _FAILURES as exc:
                self.last_error = _reason(exc)
                log.warning(
                    "ONVIF events of camera %s (%s:%s) lost: %s; new subscription in %.0f s",
                    self.camera_id, self.host, self.port, self.last_error,
                    first if self.subscriptions > made else delay,
                )  # fmt: skip
            except Exception:  # a bug must not end the subscription for good
                self.last_error = "erreur interne"
                log.exception("ONVIF events of camera %s failed", self.camera_id)
            self.subscribed.clear()
            if self.subscriptions > made:
                delay = first
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)

    async def _session(self) -> None:
        timing = self.timing
        device = ONVIFCamera(
            self.host,
            self.port,
            self._username or "",  # the client always signs: None would crash it
            self._password or "",
            adjust_time=True,
        )
        subscription: Any = None
        try:
            async with asyncio.timeout(timing.request_timeout * 3):
                subscription, pull, granted = await self._subscribe(device)
            self.subscriptions += 1
            self.last_error = ""
            self.subscribed.set()
            loop = asyncio.get_running_loop()
            wait = min(timing.pull_timeout, granted / 4)
            margin = wait + max(0.5, granted * 0.2)
            expires = loop.time() + granted
            log.info(
                "ONVIF events of camera %s: subscribed on %s:%s (%.0f s, renewed before)",
                self.camera_id, self.host, self.port, granted,
            )  # fmt: skip
            while True:
                if loop.time() >= expires - margin:
                    async with asyncio.timeout(timing.request_timeout):
                        renewed = await subscription.Renew(
                            device.get_next_termination_time(timedelta(seconds=timing.lifetime))
                        )
                    expires = loop.time() + _granted(renewed, timing.lifetime)
                    self.renewals += 1
                async with asyncio.timeout(wait + timing.request_timeout):
                    reply = await pull.PullMessages(
                        {"MessageLimit": MESSAGE_LIMIT, "Timeout": timedelta(seconds=wait)}
                    )
                for message in getattr(reply, "NotificationMessage", None) or []:
                    await self._handle(message)
        except asyncio.CancelledError:
            if subscription is not None:
                await self._unsubscribe(subscription)
            raise
        finally:
            self.subscribed.clear()
            try:
                await device.close()
            except _FAILURES as exc:
                log.debug("closing ONVIF session of camera %s: %s", self.camera_id, exc)

    async def _subscribe(self, device: ONVIFCamera) -> tuple[Any, Any, float]:
        await device.update_xaddrs()
        if EVENTS_NAMESPACE not in device.xaddrs:
            raise OnvifEventsError("cette caméra ne publie pas d'événements ONVIF.")
        events = await device.create_events_service()
        interval = timedelta(seconds=self.timing.lifetime)
        result = await events.CreatePullPointSubscription(
            {"InitialTerminationTime": device.get_next_termination_time(interval)}
        )
        reference = getattr(result, "SubscriptionReference", None)
        address = normalize_url(getattr(getattr(reference, "Address", None), "_value_1", None))
        if not address:
            raise OnvifEventsError("la caméra n'a pas donné l'adresse de l'abonnement.")
        device.xaddrs[PULLPOINT_NAMESPACE] = device.rewrite_url(address)
        subscription = await device.create_subscription_service("PullPointSubscription")
        pull = await device.create_pullpoint_service()
        if device.has_broken_relative_time(interval, result.CurrentTime, result.TerminationTime):
            # the camera ignored "PT60S": renew with an absolute time (its clock's)
            result = await subscription.Renew(device.get_next_termination_time(interval))
        return subscription, pull, _granted(result, self.timing.lifetime)

    async def _unsubscribe(self, subscription: Any) -> None:
        """Best effort: an unreachable camera lets the subscription expire by itself."""
        try:
            async with asyncio.timeout(2.0):
                await subscription.Unsubscribe()
        except _FAILURES as exc:
            log.debug("ONVIF Unsubscribe of camera %s failed: %s", self.camera_id, exc)

    async def _handle(self, message: Any) -> None:
        self.received += 1
        try:
            events = self.decoder.feed(from_zeep(message))
        except OnvifEventError as exc:
            self.rejected += 1
            log.warning("ONVIF event of camera %s ignored: %s", self.camera_id, exc)
            return
        if not events:
            self.ignored += 1
            return
        now = self._clock()
        for event in events:
            video = video_event(self.camera_id, event, now, self.timing.max_skew)
            try:
                await self._on_event(video)
            except Exception:
                log.exception(
                    "ONVIF %s %s of camera %s not stored",
                    event.code, "restore" if event.restore else "alarm", self.camera_id,
                )  # fmt: skip


def _granted(result: Any, asked: float) -> float:
    """Seconds the camera gave the subscription (what was asked when it does not say)."""
    current = getattr(result, "CurrentTime", None)
    termination = getattr(result, "TerminationTime", None)
    if isinstance(current, datetime) and isinstance(termination, datetime):
        with contextlib.suppress(TypeError):  # one naive, one aware: trust our request
            return max(1.0, (termination - current).total_seconds())
    return asked


def _reason(exc: BaseException) -> str:
    lost = "abonnement aux événements perdu (caméra redémarrée ou abonnement expiré)."
    return onvif_reason(
        exc, [(("ResourceUnknown", "unknown or expired"), lost)],
        "événements ONVIF non pris en charge par la caméra.",
    )  # fmt: skip


def _subscribed(camera: Camera) -> bool:
    return camera.enabled and bool(camera.onvif_url)


class OnvifEvents:
    """One subscriber per enabled camera with an ONVIF address, following the register."""

    def __init__(
        self,
        on_event: OnEvent,
        clock: Callable[[], datetime],
        *,
        timing: PullPointTiming | None = None,
        refresh: float = 30.0,
    ) -> None:
        self._on_event = on_event
        self._clock = clock
        self._timing = timing or PullPointTiming()
        self._refresh = refresh
        self._running: dict[str, tuple[tuple[str, str, str], OnvifEventSubscriber]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()

    def camera_ids(self) -> list[str]:
        return sorted(self._running)

    def subscriber(self, camera_id: str) -> OnvifEventSubscriber | None:
        running = self._running.get(camera_id)
        return running[1] if running is not None else None

    def wake(self) -> None:
        """Re-read the register now (a camera was added or changed)."""
        self._wake.set()

    def reload(self, cameras: Iterable[Camera]) -> None:
        """Start new or changed cameras, stop removed, disabled or changed ones."""
        wanted = {c.id: c for c in cameras if _subscribed(c)}
        for camera_id, (key, _) in list(self._running.items()):
            camera = wanted.get(camera_id)
            if camera is None or _key(camera) != key:
                self._stop(camera_id)
        for camera_id, camera in wanted.items():
            if camera_id in self._running:
                continue
            try:
                subscriber = OnvifEventSubscriber.for_camera(
                    camera, self._on_event, self._clock, self._timing
                )
            except ValueError as exc:
                log.warning("camera %s: no ONVIF events: %s", camera_id, exc)
                continue
            self._running[camera_id] = (_key(camera), subscriber)
            task = asyncio.get_running_loop().create_task(
                subscriber.run(), name=f"onvif-events-{camera_id}"
            )
            self._tasks[camera_id] = task

    def _stop(self, camera_id: str) -> None:
        self._running.pop(camera_id, None)
        task = self._tasks.pop(camera_id, None)
        if task is not None:
            task.cancel()
            log.info("camera %s: ONVIF events stopped (register changed)", camera_id)

    async def run(self, cameras: Callable[[], Iterable[Camera]]) -> None:
        """Follow ``cameras()`` (read in a thread) until cancelled, then unsubscribe all."""
        try:
            while True:
                try:
                    listed = await asyncio.to_thread(lambda: list(cameras()))
                    self.reload(listed)
                except Exception:
                    log.exception("camera register not read for ONVIF events; retrying")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._refresh):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            await self.close()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._running.clear()
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _key(camera: Camera) -> tuple[str, str, str]:
    return camera.onvif_url, camera.username, camera.password
