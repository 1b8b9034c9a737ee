"""Fakes of the video ports for the video pages' tests (integration and browser), a real
JPEG and a real MP4 (PyAV libx264, yuv420p, main profile: what Chromium plays)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from vigie.domain.errors import NotFound
from vigie.domain.video import Camera, CameraHealth, VideoCode
from vigie.domain.video_media import IncidentMedia
from vigie.entrypoints.web.console_video_pane import (
    CameraStore,
    MediaStore,
    OnvifPtz,
    VideoSupervisor,
)

T0 = datetime(2026, 11, 28, 11, 58, tzinfo=UTC)


def jpeg(text: str, shade: int = 90) -> bytes:
    image = np.full((180, 320, 3), shade, np.uint8)
    cv2.putText(image, text, (10, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return bytes(data.tobytes())


def make_mp4(path: Path, seconds: float = 3.0, fps: int = 25) -> Path:
    """A playable H.264 clip, moov at the front (faststart) so a browser starts at once."""
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.options = {"profile": "main", "preset": "ultrafast", "g": str(fps)}
        for n in range(int(seconds * fps)):
            image = np.full((240, 320, 3), (n * 4) % 255, np.uint8)
            cv2.putText(
                image, f"{n:03d}", (100, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 255), 3
            )
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


class FakeSupervisor(VideoSupervisor):
    """States set by the test; ``frames`` yields ``stream_frames`` JPEGs (None: forever)."""

    def __init__(self, cameras: list[Camera], stream_frames: int | None = 3) -> None:
        self.states: dict[str, tuple[CameraHealth, frozenset[VideoCode]]] = {
            c.id: (CameraHealth.OK, frozenset()) for c in cameras
        }
        self.images: dict[str, bytes] = {c.id: jpeg(c.id) for c in cameras}
        self.stream_frames = stream_frames
        self.streams_closed = 0

    def camera_ids(self) -> list[str]:
        return list(self.states)

    def health(self, camera_id: str) -> tuple[CameraHealth, frozenset[VideoCode]]:
        return self.states[camera_id]

    def latest_jpeg(self, camera_id: str) -> bytes | None:
        return self.images.get(camera_id)

    async def frames(self, camera_id: str) -> AsyncIterator[bytes]:
        n = 0
        try:
            while self.stream_frames is None or n < self.stream_frames:
                yield self.images.get(camera_id) or jpeg("?")
                n += 1
                await asyncio.sleep(0.05)
        finally:
            self.streams_closed += 1


class FakeCameras(CameraStore):
    def __init__(self, cameras: list[Camera]) -> None:
        self.by_id = {c.id: c for c in cameras}

    def cameras(self) -> list[Camera]:
        return list(self.by_id.values())

    def camera(self, camera_id: str) -> Camera:
        try:
            return self.by_id[camera_id]
        except KeyError:
            raise NotFound(f"no camera {camera_id}") from None


class FakeMedia(MediaStore):
    def __init__(self, items: list[IncidentMedia]) -> None:
        self.items = {m.id: m for m in items}

    def for_incident(self, incident_id: int) -> list[IncidentMedia]:
        return [m for m in self.items.values() if m.incident_id == incident_id]

    def get(self, media_id: int) -> IncidentMedia:
        try:
            return self.items[media_id]
        except KeyError:
            raise NotFound(f"no media {media_id}") from None


class FakePtz(OnvifPtz):
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.saved: list[tuple[str, str]] = [("1", "Entrée")]

    async def move(self, pan: float, tilt: float, zoom: float) -> None:
        self.calls.append(("move", pan, tilt, zoom))

    async def stop(self) -> None:
        self.calls.append(("stop",))

    async def presets(self) -> list[tuple[str, str]]:
        return list(self.saved)

    async def goto_preset(self, token: str) -> None:
        self.calls.append(("goto", token))

    async def set_preset(self, name: str) -> str:
        token = str(len(self.saved) + 1)
        self.saved.append((token, name))
        self.calls.append(("save", name))
        return token


def cameras() -> list[Camera]:
    """Cameras of the example register's sites (zones link them to the sites' zones)."""
    return [
        Camera("CAM-PHARMA-1", "PHARMA-CENTRE", "Pharmacie — entrée", main_url="rtsp://x/1",
               zones=("1", "2"), onvif_url="http://127.0.0.1:1/onvif/device_service"),
        Camera("CAM-PHARMA-2", "PHARMA-CENTRE", "Pharmacie — réserve", main_url="rtsp://x/2",
               zones=("2", "4")),
        Camera("CAM-PHARMA-3", "PHARMA-CENTRE", "Pharmacie — caisse", main_url="rtsp://x/3"),
        Camera("CAM-BANQUE-1", "BANQUE-PARTDIEU", "Banque — hall", main_url="rtsp://x/4"),
        Camera("CAM-BANQUE-2", "BANQUE-PARTDIEU", "Banque — coffre", main_url="rtsp://x/5"),
        Camera("CAM-DUPONT-1", "MAISON-DUPONT", "Dupont — jardin", main_url="rtsp://x/6",
               enabled=False),
    ]  # fmt: skip


def clip_media(path: Path, incident_id: int, media_id: int = 7) -> IncidentMedia:
    return IncidentMedia(
        incident_id=incident_id,
        camera_id="CAM-PHARMA-1",
        kind="clip",
        path=str(path),
        start=T0,
        end=T0 + timedelta(seconds=3),
        size=path.stat().st_size,
        sha256="0" * 64,
        created_at=T0,
        id=media_id,
    )
