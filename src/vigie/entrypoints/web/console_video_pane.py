"""What the video pages share, and the incident's video pane.

* The ports the pages use (``VideoSupervisor``, ``CameraStore``, ``MediaStore``,
  ``OnvifPtz``), written as the other parts of Vigie offer them.
* ``health_view``: a camera's state as a tile shows it (text and colour class).
* ``ViewLog``: every viewing goes to the main courante once, when it starts (a live
  stream also when it ends, with its duration); a media file read piece by piece (HTTP
  Range, as a ``<video>`` seeks) is logged once per user and file in ``REPEAT``.
* ``video_pane_context``: what ``_video_pane.html`` needs inside the incident page.
* ``pane_router``: ``GET /console/media/{id}``: the file, with HTTP Range (Chromium
  seeks in a clip with it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from vigie.domain.errors import NotFound
from vigie.domain.logbook import LogKind
from vigie.domain.video import Camera, CameraHealth, VideoCode
from vigie.domain.video_media import IncidentMedia
from vigie.entrypoints.web import i18n, i18n_video
from vigie.entrypoints.web.actor import Principal
from vigie.entrypoints.web.pages_common import ConsolePrincipal
from vigie.services.logbook import Actor, Logbook

__all__ = [
    "CameraStore",
    "HealthView",
    "MediaStore",
    "OnvifPtz",
    "VideoSupervisor",
    "ViewLog",
    "health_view",
    "may_act",
    "may_view",
    "pane_router",
    "video_pane_context",
]

logger = logging.getLogger(__name__)

REPEAT = timedelta(minutes=5)  # a file re-read by the same user within this is one viewing
# Worst first: the one a tile names when several faults are active.
_FAULT_ORDER = (
    VideoCode.VIDEO_LOSS, VideoCode.MOVED, VideoCode.BLACK, VideoCode.BLINDED,
    VideoCode.FROZEN, VideoCode.BLUR,
)  # fmt: skip


def may_view(principal: Principal) -> None:
    if not principal.user.may("console.view"):
        raise HTTPException(status_code=403, detail="droit requis : console.view")


def may_act(principal: Principal) -> None:
    if not principal.user.may("queue.work"):
        raise HTTPException(status_code=403, detail="droit requis : queue.work")


class VideoSupervisor(Protocol):
    def camera_ids(self) -> list[str]: ...

    def health(self, camera_id: str) -> tuple[CameraHealth, frozenset[VideoCode]]: ...

    def latest_jpeg(self, camera_id: str) -> bytes | None: ...

    def frames(self, camera_id: str) -> AsyncIterator[bytes]: ...


class CameraStore(Protocol):
    def cameras(self) -> list[Camera]: ...

    def camera(self, camera_id: str) -> Camera: ...


class MediaStore(Protocol):
    def for_incident(self, incident_id: int) -> list[IncidentMedia]: ...

    def get(self, media_id: int) -> IncidentMedia: ...


class OnvifPtz(Protocol):
    async def move(self, pan: float, tilt: float, zoom: float) -> None: ...

    async def stop(self) -> None: ...

    async def presets(self) -> list[tuple[str, str]]: ...

    async def goto_preset(self, token: str) -> None: ...

    async def set_preset(self, name: str) -> str: ...


@dataclass(frozen=True, slots=True)
class HealthView:
    state: str  # a CameraHealth value
    css: str  # ok, warn, fault, off
    label: str
    codes: tuple[str, ...]


def health_view(
    supervisor: VideoSupervisor, camera: Camera | None, camera_id: str, lang: str
) -> HealthView:
    words = i18n_video.HEALTH[lang]
    if camera is not None and not camera.enabled:
        return HealthView(CameraHealth.DISABLED.value, "off", words["disabled"], ())
    try:
        state, codes = supervisor.health(camera_id)
    except LookupError:  # not (yet) supervised
        state, codes = CameraHealth.STARTING, frozenset()
    faults = tuple(c.value for c in _FAULT_ORDER if c in codes)
    if faults and state is not CameraHealth.DISABLED:
        return HealthView(
            CameraHealth.FAULT.value, "fault", ", ".join(words[c] for c in faults), faults
        )
    css = {"ok": "ok", "starting": "warn", "reconnecting": "warn", "disabled": "off"}
    return HealthView(state.value, css.get(state.value, "fault"), words[state.value], faults)


@dataclass
class ViewLog:
    """Writes who watched what to the main courante (kind "video")."""

    logbook: Logbook | None
    recent: dict[tuple[str, ...], datetime] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self, actor: Actor, text: str, data: dict[str, Any], incident_id: int | None = None
    ) -> None:
        if self.logbook is None:
            logger.warning("no main courante configured: viewing not logged (%s)", text)
            return
        self.logbook.record(LogKind.VIDEO, text, actor=actor, incident_id=incident_id, data=data)

    def first(self, key: tuple[str, ...]) -> bool:
        """True when ``key`` (user, what, where) was not seen within ``REPEAT``."""
        if self.logbook is None:
            return False
        now = self.logbook.now()
        with self.lock:
            last = self.recent.get(key)
            if last is not None and now - last < REPEAT:
                return False
            self.recent = {k: v for k, v in self.recent.items() if now - v < REPEAT}
            self.recent[key] = now
        return True

    def refreshed(self, actor: Actor, camera: Camera, incident_id: int) -> None:
        """Images refreshed in an incident's video pane; once per user, camera, incident."""
        if not self.first((actor.user, "camera", camera.id, str(incident_id))):
            return
        self.record(
            actor,
            f"Visionnage de {camera.name} ({camera.id}) depuis l'incident {incident_id}",
            {"camera": camera.id, "page": f"incident-{incident_id}", "action": "live"},
            incident_id,
        )

    def playback(self, actor: Actor, media: IncidentMedia, page: str) -> None:
        """A media file read; once per user and file within ``REPEAT``."""
        if media.id is None or not self.first((actor.user, "media", str(media.id))):
            return
        what = "séquence" if media.kind == "clip" else "image"
        self.record(
            actor,
            f"Relecture {what} n°{media.id} de la caméra {media.camera_id} "
            f"({i18n.paris_time(media.start, True)}) depuis {page}",
            {"camera": media.camera_id, "media": media.id, "page": page, "action": "playback"},
            media.incident_id,
        )


class ViewedStream(StreamingResponse):
    """A streamed answer that runs ``on_close`` once it ends, however it ends (client
    gone, camera gone), after closing its source so the supervisor forgets the viewer."""

    def __init__(
        self, content: AsyncIterator[bytes], on_close: Callable[[], None], media_type: str
    ) -> None:
        super().__init__(content, media_type=media_type)
        self._source = content
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                closing = getattr(self._source, "aclose", None)
                if closing is not None:
                    await closing()
                await run_in_threadpool(self._on_close)


def _camera_or_none(cameras: CameraStore | None, camera_id: str) -> Camera | None:
    if cameras is None:
        return None
    try:
        return cameras.camera(camera_id)
    except (NotFound, LookupError):
        return None


def video_pane_context(
    incident_id: int,
    cameras: Sequence[str],
    media_store: MediaStore | None,
    supervisor: VideoSupervisor | None,
    *,
    camera_store: CameraStore | None = None,
    lang: str = "fr",
) -> dict[str, Any]:
    """``{"video_pane": ...}`` for ``incident.html``'s context (blocking: reads the media
    store). ``cameras`` are the ids of the cameras linked to the incident's zones."""
    media = media_store.for_incident(incident_id) if media_store is not None else []
    media = sorted(media, key=lambda m: m.start)
    # the cameras of the alarmed zones, and those whose images the incident holds (a
    # video alarm's or a camera fault's own camera)
    cameras = list(dict.fromkeys([*cameras, *(m.camera_id for m in media)]))
    tiles = []
    for camera_id in cameras:
        camera = _camera_or_none(camera_store, camera_id)
        view = health_view(supervisor, camera, camera_id, lang) if supervisor else None
        tiles.append(
            {"id": camera_id, "name": camera.name if camera else camera_id, "health": view}
        )
    return {
        "video_pane": {
            "incident_id": incident_id,
            "cameras": tiles,
            "clips": [m for m in media if m.kind == "clip" and m.id is not None],
            "snapshots": [m for m in media if m.kind == "snapshot" and m.id is not None],
            "words": i18n_video.VIDEO[lang],
            "local": i18n.paris_time,
        }
    }


def _media_type(media: IncidentMedia) -> str:
    if media.kind == "clip":
        return "video/mp4"
    return "image/jpeg" if media.path.lower().endswith((".jpg", ".jpeg")) else "image/png"


def pane_router(
    *,
    media: MediaStore | None,
    views: Callable[[Request], ViewLog],
    may_view: Callable[[Principal], None],
    media_root: Path | None = None,
) -> APIRouter:
    router = APIRouter(include_in_schema=False, tags=["video"])

    @router.get("/console/media/{media_id}")
    async def media_file(request: Request, media_id: int, principal: ConsolePrincipal) -> Response:
        if principal is None:
            raise HTTPException(status_code=401, detail="authentification requise")
        may_view(principal)
        if media is None:
            raise HTTPException(status_code=404, detail="no media store")
        try:
            item = await run_in_threadpool(media.get, media_id)
        except (NotFound, LookupError):
            raise HTTPException(status_code=404, detail=f"no media {media_id}") from None
        path = Path(item.path)
        if media_root is not None and not path.is_absolute():
            path = media_root / path
        if not path.is_file():
            raise HTTPException(status_code=404, detail=f"media {media_id}: file gone")
        asked = request.headers.get("range", "")
        if not asked or asked.replace(" ", "").startswith("bytes=0-"):
            page = request.headers.get("referer", "").partition("//")[2].partition("/")[2]
            await run_in_threadpool(views(request).playback, principal.actor, item, "/" + page)
        return FileResponse(
            path, media_type=_media_type(item), headers={"Cache-Control": "private, no-store"}
        )

    return router
