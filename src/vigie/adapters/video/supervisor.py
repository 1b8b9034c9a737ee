"""All the cameras of a station: one ``CameraWorker`` per enabled camera, kept in step with
the camera register.

``reload`` compares the new register with the running one (``Camera`` is a frozen value)
and only starts, stops or restarts what changed, so editing one camera never blinks the
others. ``frames`` turns the workers' latest images into an async stream of JPEGs for a live
MJPEG response: it polls, at most ~10 times a second, and encodes only when a new frame
has been decoded, so the cost is shared by every viewer of the camera.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path

from vigie.adapters.video.worker import Analyzer, CameraWorker
from vigie.domain.video import Camera, CameraHealth, Segment, VideoCode, VideoEvent

__all__ = ["VideoSupervisor"]

log = logging.getLogger(__name__)

LIVE_FPS = 10.0


class VideoSupervisor:
    def __init__(
        self,
        cameras: Sequence[Camera],
        *,
        record_root: Path,
        on_event: Callable[[VideoEvent], None],
        on_segment: Callable[[Segment], None],
        clock: Callable[[], datetime],
        analyzer_factory: Callable[[Camera], Analyzer] | None,
        segment_seconds: float = 10.0,
        loss_after: float = 10.0,
        record: bool = True,
        backoff: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        self.record_root = record_root
        self.on_event = on_event
        self.on_segment = on_segment
        self.clock = clock
        self.analyzer_factory = analyzer_factory
        self.segment_seconds = segment_seconds
        self.loss_after = loss_after
        self.record = record
        self.backoff = backoff
        self._cameras = {c.id: c for c in cameras}
        self._workers: dict[str, CameraWorker] = {}
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        with self._lock:
            self._started = True
            for camera in self._cameras.values():
                if camera.enabled:
                    self._start(camera)

    def stop(self) -> None:
        with self._lock:
            self._started = False
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.request_stop()  # all at once: their reads time out in parallel
        for worker in workers:
            worker.stop()

    def reload(self, cameras: Sequence[Camera]) -> None:
        """Start new or changed cameras, stop removed, disabled or changed ones."""
        new = {c.id: c for c in cameras}
        stopping: list[CameraWorker] = []
        with self._lock:
            for camera_id, old in list(self._cameras.items()):
                if new.get(camera_id) != old and camera_id in self._workers:
                    stopping.append(self._workers.pop(camera_id))
            self._cameras = new
            if self._started:
                for camera in new.values():
                    if camera.enabled and camera.id not in self._workers:
                        self._start(camera)
        for worker in stopping:
            log.info("camera %s: worker stopped (register changed)", worker.camera.id)
            worker.stop()

    def camera_ids(self) -> list[str]:
        return sorted(self._cameras)

    def health(self, camera_id: str) -> tuple[CameraHealth, frozenset[VideoCode]]:
        worker = self._workers.get(camera_id)
        if worker is None:
            if camera_id not in self._cameras:
                raise KeyError(camera_id)
            return CameraHealth.DISABLED, frozenset()
        return worker.health()

    def latest_jpeg(self, camera_id: str) -> bytes | None:
        worker = self._workers.get(camera_id)
        return worker.latest_jpeg() if worker is not None else None

    async def frames(self, camera_id: str) -> AsyncIterator[bytes]:
        """A JPEG whenever the camera has a new image, at most ``LIVE_FPS`` a second.

        Ends when the camera is removed; a reload that restarts it is followed.
        """
        seen = -1
        worker: CameraWorker | None = None
        while camera_id in self._cameras:
            current = self._workers.get(camera_id)
            if current is not worker:
                worker, seen = current, -1
            if worker is not None and worker.frame_seq != seen:
                seen = worker.frame_seq
                data = await asyncio.to_thread(worker.latest_jpeg)
                if data is not None:
                    yield data
            await asyncio.sleep(1.0 / LIVE_FPS)

    def _start(self, camera: Camera) -> None:
        analyzer = self.analyzer_factory(camera) if self.analyzer_factory else None
        worker = CameraWorker(
            camera,
            on_event=self.on_event,
            clock=self.clock,
            analyzer=analyzer,
            record_root=self.record_root if self.record else None,
            on_segment=self.on_segment,
            segment_seconds=self.segment_seconds,
            loss_after=self.loss_after,
            backoff=self.backoff,
        )
        self._workers[camera.id] = worker
        worker.start()
        log.info("camera %s: worker started", camera.id)
