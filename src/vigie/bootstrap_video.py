"""Wiring of the video side (part of the composition root, used by ``bootstrap``).

Cameras live in the database with their credentials sealed; one worker thread per camera
decodes, analyses and records; what the workers find goes into the signal journal like a
panel frame, so the same engine raises video alarms and camera faults. Every new alarm gets
its snapshots and pre/post clips; exports are registered; a sweep enforces retention.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from sqlalchemy import Engine

from vigie.adapters.db.alarm_feed import SqlAlarmFeed
from vigie.adapters.db.camera_leases import SqlCameraLeases
from vigie.adapters.db.camera_store import CameraStore, SegmentStore
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.media_store import ExtractionStore, HoldStore, MediaStore
from vigie.adapters.db.register_repository import SqlRegister
from vigie.adapters.mqtt_frigate import FrigateMqtt
from vigie.adapters.video.clips import ClipInfo, extract_clip
from vigie.adapters.video.disk_space import LocalDisk
from vigie.adapters.video.onvif_events import OnvifEvents
from vigie.adapters.video.onvif_ptz import OnvifPtz
from vigie.adapters.video.relay_client import HttpRelay
from vigie.adapters.video.supervisor import VideoSupervisor
from vigie.analytics import CameraAnalyzer, DnnPersonDetector, PersonDetector
from vigie.config import Settings
from vigie.domain.logbook import LogKind
from vigie.domain.register import Site
from vigie.domain.video import Camera, Segment
from vigie.domain.video_disk import parse_min_free
from vigie.entrypoints.web import api_cameras
from vigie.entrypoints.web.api_video_events import video_events_router
from vigie.entrypoints.web.console_video import video_router
from vigie.entrypoints.web.console_video_law import law_router
from vigie.entrypoints.web.console_video_relay import CameraRelay
from vigie.entrypoints.web.relay_token import relay_key
from vigie.services.alarm_media import AlarmMedia
from vigie.services.camera_leasing import CameraLeasing
from vigie.services.credential_box import KEY_FILE_NAME, CredentialBox
from vigie.services.logbook import Logbook
from vigie.services.ports import Clock
from vigie.services.video_disk import DiskGuard, run_disk_guard
from vigie.services.video_export import VideoExports
from vigie.services.video_patrols import JsonPatrolStore, VideoPatrols
from vigie.services.video_retention import LegalHolds, VideoRetention, run_daily
from vigie.services.video_signals import VideoSignals

__all__ = ["VideoSide", "build_video", "start_video", "stop_video", "video_routers"]

log = logging.getLogger(__name__)


@dataclass
class VideoSide:
    settings: Settings
    cameras: CameraStore
    segments: SegmentStore
    media: MediaStore
    exports: VideoExports
    holds: LegalHolds
    retention: VideoRetention
    signals: VideoSignals
    supervisor: VideoSupervisor
    alarm_media: AlarmMedia
    patrols: VideoPatrols
    leasing: CameraLeasing | None = None  # scale-out: which cameras this process runs
    disk_guard: DiskGuard | None = None  # deletes the oldest recordings when the disk fills
    relay: CameraRelay | None = None  # scale-out: live views of the others' cameras
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def reload_cameras(self) -> None:
        """A camera was added, changed or removed: workers follow the register."""
        if self.leasing is not None:
            self.leasing.wake()  # the leasing loop re-reads the register and reloads
        else:
            self.supervisor.reload(self.cameras.cameras())


def build_cameras(settings: Settings, engine: Engine) -> CameraStore:
    """The camera register alone (the processor needs it before the rest is built)."""
    box = CredentialBox.from_settings(settings.secret_key, settings.video_root.parent)
    return CameraStore(engine, box)


def build_video(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    cameras: CameraStore,
    journal: Any,
    logbook: Logbook,
    register: SqlRegister,
    on_camera_change: Callable[[str, str, dict[str, Any]], None],
    sites: Callable[[], list[Site]] | None = None,
) -> VideoSide:
    root = settings.video_root
    sites = sites or register.sites
    logbook_store = SqlLogbook(engine)
    segments = SegmentStore(engine)
    media = MediaStore(engine)
    signals = VideoSignals(journal, clock, root / "snapshots", cameras=cameras.cameras)

    def on_segment(segment: Segment) -> None:
        segments.add(segment)

    detector: PersonDetector | None = None  # None: each analyser uses HOG when it needs one
    if settings.person_model is not None:
        detector = DnnPersonDetector(
            settings.person_model, settings.person_config, threshold=settings.person_threshold
        )
    supervisor = VideoSupervisor(
        (),
        record_root=root / "recordings",
        on_event=signals.post,
        on_segment=on_segment,
        clock=clock.now,
        analyzer_factory=lambda camera: CameraAnalyzer(camera, detector=detector),
        segment_seconds=settings.segment_seconds,
        loss_after=settings.video_loss_after,
    )

    def cut_clip(camera_id: str, start: datetime, end: datetime, out: Path) -> ClipInfo:
        camera = cameras.camera(camera_id)
        return extract_clip(
            segments.between(camera_id, start, end),
            start,
            end,
            out,
            privacy_masks=camera.privacy_masks,
        )

    def supervised() -> list[Camera]:
        """Only this process's cameras (scale-out: each camera's process attaches its
        images; on one process, every enabled camera)."""
        here = set(supervisor.camera_ids())
        return [c for c in cameras.cameras() if c.id in here]

    alarm_media = AlarmMedia(
        SqlAlarmFeed(engine),
        media,
        cameras=supervised,
        sites=sites,
        latest_jpeg=supervisor.latest_jpeg,
        cut_clip=cut_clip,
        media_root=root / "media",
        clock=clock.now,
        # a segment is indexed when it closes: wait for the one holding the clip's end
        settle_seconds=settings.segment_seconds + 5,
    )
    hold_store = HoldStore(engine, logbook_store)
    holds = LegalHolds(hold_store, logbook)
    leasing, relay = None, None
    if engine.dialect.name != "sqlite":  # one process on SQLite: it runs every camera
        holder = f"{settings.listener_name or socket.gethostname()}-{os.getpid()}"
        url = settings.advertised_url()
        leasing = CameraLeasing(SqlCameraLeases(engine, url=url), holder, clock.now)
        relay = CameraRelay(
            SqlCameraLeases(engine), HttpRelay(), _relay_key(settings), holder, clock.now
        )
        if settings.video and not url:
            log.warning(
                "VIGIE_ADVERTISE_URL not set and the API bound to %s:%d: the other nodes "
                "cannot show the live view of the cameras this process runs",
                settings.host, settings.http_port,
            )  # fmt: skip
    side = VideoSide(
        settings=settings,
        cameras=cameras,
        segments=segments,
        media=media,
        exports=VideoExports(
            cameras,
            segments,
            ExtractionStore(engine, logbook_store),
            logbook,
            root / "exports",
            extract_clip,
        ),
        holds=holds,
        retention=VideoRetention(cameras, segments, media, hold_store, logbook),
        signals=signals,
        supervisor=supervisor,
        alarm_media=alarm_media,
        patrols=VideoPatrols(JsonPatrolStore(root / "patrols.json"), logbook, clock),
        leasing=leasing,
        relay=relay,
        disk_guard=DiskGuard(
            LocalDisk(),
            segments,
            hold_store,
            logbook,
            root / "recordings",
            parse_min_free(settings.video_min_free),
        ),
    )

    def camera_changed(kind: str, text: str, data: dict[str, Any]) -> None:
        logbook.record(LogKind.REGISTER_CHANGE, text, data={"change": kind, **data})
        on_camera_change(kind, text, data)
        if settings.video:
            side.reload_cameras()

    cameras.on_change = camera_changed
    return side


def _relay_key(settings: Settings) -> bytes:
    """The relay tokens' key, from the secret all the nodes share (``VIGIE_SECRET_KEY``,
    else the camera key file, which ``build_cameras`` has created)."""
    secret = settings.secret_key.strip().encode()
    return relay_key(secret or (settings.video_root.parent / KEY_FILE_NAME).read_bytes().strip())


def _ptz(camera: Camera) -> OnvifPtz:
    parts = urlsplit(camera.onvif_url)
    return OnvifPtz(
        parts.hostname or "127.0.0.1", parts.port or 80, camera.username, camera.password
    )


def video_routers(side: VideoSide, clock: Clock) -> list[APIRouter]:
    routers = [
        api_cameras.make_router(side.cameras, side.exports, side.holds),
        # before ``video_router``: its /console/video/{camera_id} would take these paths
        law_router(side.exports, side.holds, side.cameras),
        video_router(
            side.supervisor,
            side.cameras,
            media=side.media,
            ptz=_ptz,
            patrols=side.patrols,
            media_root=side.settings.video_root / "media",
            relay=side.relay,
        ),
    ]
    if side.settings.webhook_token:
        routers.append(video_events_router(side.signals, side.settings.webhook_token, clock.now))
    return routers


async def start_video(side: VideoSide, clock: Clock) -> None:
    loop = asyncio.get_running_loop()
    side.signals.bind(loop)
    settings = side.settings
    side.tasks.append(loop.create_task(run_daily(side.retention, clock.now)))
    if settings.video and side.disk_guard is not None:  # only a host that records
        side.tasks.append(loop.create_task(run_disk_guard(side.disk_guard, clock.now)))
    if settings.video:
        if side.leasing is None:
            cameras = await loop.run_in_executor(None, side.cameras.cameras)
            side.supervisor.reload(cameras)
        side.supervisor.start()
        if side.leasing is not None:
            side.tasks.append(
                loop.create_task(side.leasing.run(side.cameras.cameras, side.supervisor.reload))
            )
        log.info("%d cameras supervised", len(side.supervisor.camera_ids()))
        side.alarm_media.start(clock.now())
        side.tasks.append(loop.create_task(side.alarm_media.run()))
        if settings.onvif_events:

            def here() -> list[Camera]:  # this process's cameras (scale-out: its leases)
                ids = set(side.supervisor.camera_ids())
                return [c for c in side.cameras.cameras() if c.id in ids]

            onvif = OnvifEvents(side.signals.receive, clock.now)
            side.tasks.append(loop.create_task(onvif.run(here)))
    if settings.mqtt_url:
        frigate = FrigateMqtt.from_url(
            settings.mqtt_url,
            side.signals,
            clock.now,
            topic_prefix=settings.frigate_topic,
            base_url=settings.frigate_url,
        )
        side.tasks.append(loop.create_task(frigate.run()))


async def stop_video(side: VideoSide) -> None:
    for task in side.tasks:
        task.cancel()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, side.supervisor.stop)
    if side.leasing is not None:  # workers stopped first, then the leases given back
        try:
            await loop.run_in_executor(None, side.leasing.release)
        except Exception:
            log.exception("camera leases not released (they lapse after their TTL)")
    if side.relay is not None:
        await side.relay.client.aclose()
    side.signals.close()
