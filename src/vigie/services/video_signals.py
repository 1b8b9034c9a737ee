"""Video events into the signal journal, like a panel's frames.

A rule that fired, a camera fault and its restore, an NVR's detection: each becomes one
``SignalRecord`` (transport ``video``, account = the camera id, one ``VIDEO`` event) in
the same journal, so the processor raises, groups and restores video alarms exactly as it
does panel alarms. The snapshot JPEG is written to ``<snapshot_root>/<camera>/<UTC>.jpg``
*before* the record is submitted: a stored video alarm always points at an image that
exists. NVR events carry their own id: a repeated message (MQTT redelivery, a webhook
retried) has the same ``dedup_key`` and is stored as a duplicate, not a second alarm.

Camera workers run in threads: ``post`` hands an event to the receiver's event loop
(``bind``); nothing is dropped without a log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vigie.domain.signals import SignalEvent, SignalRecord, StoredSignal, Transport
from vigie.domain.video import Camera, VideoCode, VideoEvent, VideoSource
from vigie.protocols.codes.video import video_code
from vigie.protocols.frigate import FrigateDetection, api_paths
from vigie.services.ports import Clock, SignalJournal

__all__ = [
    "CameraIndex",
    "VideoSignals",
    "from_frigate",
    "snapshot_path",
    "video_record",
    "write_durably",
]

log = logging.getLogger(__name__)

MAX_EARLY_POSTS = 1000  # events posted before ``bind``, kept until the loop is known
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class CameraIndex:
    """Cameras by id and by their name in an NVR (``frigate_name``), reloaded on demand.

    A miss reloads the register (a camera just added), at most every ``miss_reload``
    seconds: an NVR naming an unknown camera on every message must not hammer it."""

    def __init__(
        self,
        source: Callable[[], Iterable[Camera]] | None = None,
        now: Callable[[], datetime] | None = None,
        miss_reload: float = 30.0,
    ) -> None:
        self._source = source
        self._now = now or (lambda: datetime.now(UTC))
        self._miss_reload = miss_reload
        self._loaded: datetime | None = None
        self._by_id: dict[str, Camera] = {}
        self._by_name: dict[str, Camera] = {}  # loaded on first use: no work at build time

    def refresh(self) -> None:
        if self._source is None:
            return
        cameras = list(self._source())
        self._by_id = {c.id: c for c in cameras}
        self._by_name = {c.frigate_name: c for c in cameras if c.frigate_name}
        self._loaded = self._now()

    def _stale(self) -> bool:
        loaded = self._loaded
        return loaded is None or (self._now() - loaded).total_seconds() >= self._miss_reload

    def get(self, camera_id: str) -> Camera | None:
        found = self._by_id.get(camera_id)
        if found is None and self._source is not None and self._stale():
            self.refresh()
            found = self._by_id.get(camera_id)
        return found

    def resolve(self, name: str) -> Camera | None:
        """An NVR's camera name, else a camera id; one reload on a miss (a new camera)."""
        found = self._by_name.get(name) or self._by_id.get(name)
        if found is None and self._source is not None and self._stale():
            self.refresh()
            found = self._by_name.get(name) or self._by_id.get(name)
        return found


def snapshot_path(root: Path, camera_id: str, at: datetime) -> Path:
    """``<root>/<camera>/<UTC>.jpg``; the camera id made safe for a file name."""
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return root / (_SAFE.sub("_", camera_id) or "_") / f"{stamp}.jpg"


def _write_snapshot(path: Path, data: bytes) -> Path:
    """Write atomically and durably; a second event in the same microsecond gets ``-1``."""
    target, n = path, 0
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}-{n}{path.suffix}")
    write_durably(target, data)
    return target


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a ``.part`` file renamed) and durably
    (fsynced), its folder made if needed: a snapshot is evidence."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _dedup_key(event: VideoEvent) -> str | None:
    if not event.external_id:
        return None
    parts = (event.source.value, event.external_id, event.code.value, str(int(event.restore)))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def video_record(
    event: VideoEvent,
    camera: Camera | None,
    received_at: datetime,
    snapshot: Path | None = None,
    listener: str = "",
) -> SignalRecord:
    """Pure: what the journal stores for one video event (no image bytes in ``raw``)."""
    info = video_code(event.code.value)
    label = camera.name if camera is not None else event.camera_id
    if info is None:  # every VideoCode has a row (a test says so); stay total anyway
        fr = en = event.code.value
        category = "video"
    else:
        fr = info.restore_fr if event.restore else info.description_fr
        en = info.restore_en if event.restore else info.description_en
        category = info.category
    modifiers: list[tuple[str, str]] = [("camera", event.camera_id), ("source", event.source.value)]
    if snapshot is not None:
        modifiers.append(("snapshot", str(snapshot)))
    if event.snapshot_url:
        modifiers.append(("snapshot_url", event.snapshot_url))
    if event.clip_url:
        modifiers.append(("clip_url", event.clip_url))
    if event.score is not None:
        modifiers.append(("score", f"{event.score:.3f}"))
    at = event.at if event.at.tzinfo is not None else event.at.replace(tzinfo=UTC)
    signal_event = SignalEvent(
        protocol="VIDEO",
        code=event.code.value,
        category=category,
        description_fr=f"{fr} — caméra {label}",
        description_en=f"{en} — camera {label}",
        known=True,
        restore=event.restore,
        zone=camera.zones[0] if camera is not None and camera.zones else None,
        text=event.detail or None,
        time=at.astimezone(UTC).isoformat(),
        modifiers=tuple(modifiers),
    )
    raw: dict[str, Any] = {
        "camera": event.camera_id,
        "code": event.code.value,
        "at": at.astimezone(UTC).isoformat(),
        "source": event.source.value,
        "restore": event.restore,
        "detail": event.detail,
        "score": event.score,
        "snapshot": str(snapshot) if snapshot is not None else None,
        "snapshot_url": event.snapshot_url,
        "clip_url": event.clip_url,
        "id": event.external_id,
    }
    return SignalRecord(
        received_at=received_at,
        transport=Transport.VIDEO,
        peer=f"video:{event.source.value}",
        raw=json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode(),
        reply_kind="ACK",  # accepted; nothing goes on a wire
        reply=b"",
        token="VIDEO",
        account=event.camera_id,
        known_account=camera is not None,
        panel_time=at.astimezone(UTC),
        events=(signal_event,),
        detail="" if camera is not None else "caméra inconnue / unknown camera",
        dedup_key=_dedup_key(event),
        listener=listener,
    )


class VideoSignals:
    """``receive`` stores one event durably; ``post`` does it from any thread."""

    def __init__(
        self,
        journal: SignalJournal,
        clock: Clock | Callable[[], datetime],
        snapshot_root: Path,
        *,
        cameras: Callable[[], Iterable[Camera]] | None = None,
        listener: str = "",
    ) -> None:
        self._journal = journal
        self._now: Callable[[], datetime] = clock if callable(clock) else clock.now
        self._root = snapshot_root
        self.cameras = CameraIndex(cameras, self._now)
        self._listener = listener
        self._loop: asyncio.AbstractEventLoop | None = None
        self._early: list[VideoEvent] = []
        self._tasks: set[asyncio.Task[StoredSignal | None]] = set()
        self._closed = False
        self.stored = 0

    def resolve_camera(self, name: str) -> Camera | None:
        """A camera by its NVR name or id (None: unknown, the event is kept anyway)."""
        return self.cameras.resolve(name)

    async def receive(self, event: VideoEvent) -> StoredSignal:
        """Write the snapshot, then store the record; returns once it is durable."""
        camera = self.cameras.get(event.camera_id)
        if camera is None:
            log.warning(
                "video event from an unknown camera %r (%s %s): kept as a signal",
                event.camera_id[:64], event.source.value, event.code.value,
            )  # fmt: skip
        snapshot = None
        if event.snapshot_jpeg:
            path = snapshot_path(self._root, event.camera_id, event.at)
            snapshot = await asyncio.to_thread(_write_snapshot, path, event.snapshot_jpeg)
        record = video_record(event, camera, self._now(), snapshot, self._listener)
        stored = await self._journal.submit(record)
        self.stored += 1
        return stored

    # -- from worker threads ------------------------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop ``post`` hands events to; events posted before are sent now."""
        self._loop = loop
        early, self._early = self._early, []
        for event in early:
            self.post(event)

    def post(self, event: VideoEvent) -> None:
        """Thread-safe, fire and forget: the event is stored by the bound loop."""
        loop = self._loop
        if self._closed:
            log.error("video event after close, not stored: %s", _describe(event))
            return
        if loop is None:
            if len(self._early) >= MAX_EARLY_POSTS:
                log.error("video event before bind, queue full, not stored: %s", _describe(event))
                return
            log.warning("video event before bind: kept until the loop is bound")
            self._early.append(event)
            return
        try:
            loop.call_soon_threadsafe(self._spawn, event)
        except RuntimeError:
            log.error("video event lost, the event loop is closed: %s", _describe(event))

    def _spawn(self, event: VideoEvent) -> None:
        task = asyncio.get_running_loop().create_task(self._store(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _store(self, event: VideoEvent) -> StoredSignal | None:
        try:
            return await self.receive(event)
        except Exception:
            log.exception("video event not stored: %s", _describe(event))
            return None

    async def drain(self) -> None:
        """Wait for the events already posted (tests, orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    def close(self) -> None:
        self._closed = True
        if self._early:
            log.error("%d video events posted but never bound to a loop", len(self._early))
            self._early = []


def from_frigate(
    detection: FrigateDetection, camera: Camera | None, base_url: str, now: datetime
) -> VideoEvent:
    """A Frigate detection as a video event; an unknown camera keeps Frigate's name."""
    when = detection.time
    at = datetime.fromtimestamp(when, UTC) if when is not None else now
    code = VideoCode.PERSON if detection.label == "person" else VideoCode.OBJECT
    parts = [", ".join(detection.labels) or detection.label or "?"]
    if detection.score is not None:
        parts.append(f"{detection.score:.0%}")
    if detection.zones:
        parts.append("zones : " + ", ".join(detection.zones))
    if detection.severity:
        parts.append(detection.severity)
    snapshot_url = clip_url = ""
    if detection.media_id and base_url:
        snap, clip = api_paths(detection.media_id)
        base = base_url.rstrip("/")
        snapshot_url = base + snap if detection.has_snapshot else ""
        clip_url = base + clip if detection.has_clip else ""
    external = detection.id if detection.topic == "events" else f"review:{detection.id}"
    return VideoEvent(
        camera_id=camera.id if camera is not None else detection.camera[:64],
        code=code,
        at=at,
        source=VideoSource.FRIGATE,
        restore=detection.restore,
        detail="Frigate : " + " ".join(parts),
        score=detection.score,
        snapshot_url=snapshot_url,
        clip_url=clip_url,
        external_id=external,
    )


def _describe(event: VideoEvent) -> str:
    state = "restore" if event.restore else "alarm"
    return f"{event.source.value} {event.camera_id[:64]} {event.code.value} {state} at {event.at}"
