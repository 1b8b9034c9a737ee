"""One camera's worker: connect, read, record, decode, analyse; reconnect when it fails.

A camera that stops sending is the most common fault and the one an operator must not miss,
nor be flooded with: a read that times out (3 s) only puts the camera in RECONNECTING; the
worker reconnects with an exponential back-off (1 s doubling to 30 s, with jitter so a
hundred cameras behind one dead switch do not reconnect in step); only when no image has
arrived for ``loss_after`` seconds is VIDEO_LOSS raised, once, by a watchdog thread (so
it fires on time even while a connection attempt hangs), and it is restored when images
flow again: two within ``RESTORE_WITHIN`` seconds, because a jitter buffer may still hand
over one stale frame after the feed died (reference/video.md §3.4, §1.8: hysteresis, never a
false "offline" nor a false "back").

The analysis sees the Y plane of every frame chosen by ``AnalysisPacer``; each ``Finding``
becomes a ``VideoEvent`` with a JPEG of that frame (privacy masks burned in) when it starts
something. The latest image is kept as the decoded frame and turned into a JPEG only when
someone asks (a snapshot, a live view). When the recorded (main) stream is not the analysed
(sub) stream, a second thread remuxes it without decoding.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import av
import numpy as np
from av.video.frame import VideoFrame

from vigie.adapters.video.clips import snapshot_jpeg
from vigie.adapters.video.ingest import AnalysisPacer, CameraStream, open_stream, y_plane
from vigie.adapters.video.recorder import PacketClock, SegmentRecorder
from vigie.domain.video import Camera, CameraHealth, Segment, VideoCode, VideoEvent

__all__ = ["Analyzer", "CameraWorker", "FindingLike", "backoff_delay"]

log = logging.getLogger(__name__)

BACKOFF_MIN = 1.0
BACKOFF_MAX = 30.0
RESTORE_WITHIN = 5.0  # a loss is restored by two images at most this many seconds apart


class FindingLike(Protocol):
    """What the worker reads of ``vigie.analytics.Finding``."""

    @property
    def code(self) -> VideoCode: ...
    @property
    def restore(self) -> bool: ...
    @property
    def detail(self) -> str: ...
    @property
    def score(self) -> float | None: ...


class Analyzer(Protocol):
    """``vigie.analytics.CameraAnalyzer`` as the worker uses it."""

    def analyze(self, y: np.ndarray, at: datetime, /) -> Sequence[FindingLike]: ...


def backoff_delay(attempt: int, low: float = BACKOFF_MIN, high: float = BACKOFF_MAX) -> float:
    """Seconds to wait before connection attempt ``attempt`` (0-based), +-20 % jitter."""
    delay: float = min(high, low * 2.0 ** min(attempt, 16))
    return delay * random.uniform(0.8, 1.2)


class CameraWorker:
    """Supervises one camera in its own thread (plus a watchdog and maybe a recorder)."""

    def __init__(
        self,
        camera: Camera,
        *,
        on_event: Callable[[VideoEvent], None],
        clock: Callable[[], datetime],
        analyzer: Analyzer | None = None,
        record_root: Path | None = None,
        on_segment: Callable[[Segment], None] | None = None,
        segment_seconds: float = 10.0,
        loss_after: float = 10.0,
        backoff: tuple[float, float] = (BACKOFF_MIN, BACKOFF_MAX),
        read_timeout: float = 3.0,
    ) -> None:
        self.camera = camera
        self.on_event = on_event
        self.clock = clock
        self.analyzer = analyzer
        self.loss_after = loss_after
        self.backoff = backoff
        self.read_timeout = read_timeout
        self.errors = 0
        self.frames = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = CameraHealth.STARTING
        self._loss = False
        self._back: float | None = None  # when the first image after a loss came
        self._faults: set[VideoCode] = set()
        self._last_frame = time.monotonic()
        self._latest: tuple[int, VideoFrame] | None = None
        self._jpeg: tuple[int, bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._recorder: SegmentRecorder | None = None
        if record_root is not None:
            self._recorder = SegmentRecorder(
                camera.id,
                record_root,
                on_segment=on_segment or _ignore,
                segment_seconds=segment_seconds,
            )
        self._record_apart = self._recorder is not None and camera.record_url != camera.analysis_url

    # -- public ---------------------------------------------------------------------------

    def start(self) -> None:
        self._last_frame = time.monotonic()
        targets: list[tuple[str, Callable[[], None]]] = [
            ("read", self._read_loop),
            ("watch", self._watch_loop),
        ]
        if self._record_apart:
            targets.append(("record", self._record_loop))
        for name, target in targets:
            thread = threading.Thread(target=target, name=f"cam-{self.camera.id}-{name}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask every thread to stop and wait (a blocked read ends within the read timeout)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("camera %s: thread %s still running", self.camera.id, thread.name)

    def request_stop(self) -> None:
        """Ask the threads to stop without waiting (``stop`` waits)."""
        self._stop.set()

    def health(self) -> tuple[CameraHealth, frozenset[VideoCode]]:
        with self._lock:
            codes = frozenset(self._faults | ({VideoCode.VIDEO_LOSS} if self._loss else set()))
            state = self._state
        if self._stop.is_set():
            return CameraHealth.DISABLED, codes
        return (CameraHealth.FAULT if codes else state), codes

    @property
    def frame_seq(self) -> int:
        latest = self._latest
        return latest[0] if latest else 0

    def latest_jpeg(self) -> bytes | None:
        """JPEG of the latest decoded frame, privacy masks burned in (encoded on demand)."""
        latest, cached = self._latest, self._jpeg
        if latest is None:
            return None
        if cached is not None and cached[0] == latest[0]:
            return cached[1]
        data = self._jpeg_of(latest[1])
        self._jpeg = (latest[0], data)
        return data

    # -- threads --------------------------------------------------------------------------

    def _read_loop(self) -> None:
        self._connect_loop(self.camera.analysis_url, self._read_stream)

    def _record_loop(self) -> None:
        self._connect_loop(self.camera.record_url, self._record_stream)

    def _connect_loop(self, url: str, run: Callable[[CameraStream], bool]) -> None:
        attempt = 0
        while not self._stop.is_set():
            got_data = False
            try:
                container = open_stream(
                    url,
                    self.camera.kind,
                    username=self.camera.username,
                    password=self.camera.password,
                    read_timeout=self.read_timeout,
                )
                with CameraStream(container, keyframes_only=self.camera.keyframes_only) as s:
                    got_data = run(s)
                if not self._stop.is_set():
                    log.warning("camera %s: stream ended", self.camera.id)
            except (av.FFmpegError, OSError) as exc:
                self._count(f"stream failed ({type(exc).__name__}: {self._clean(str(exc))})")
            except Exception:
                self.errors += 1
                log.exception("camera %s: unexpected error in the stream loop", self.camera.id)
            if self._stop.is_set():
                break
            self._set_state(CameraHealth.RECONNECTING)
            attempt = 0 if got_data else attempt + 1
            self._stop.wait(backoff_delay(attempt, *self.backoff))

    def _read_stream(self, stream: CameraStream) -> bool:
        """Read until the stream fails or stop(); True if any image came through."""
        recorder = None if self._record_apart else self._recorder
        packet_clock = PacketClock(self.clock)
        pacer = AnalysisPacer(self.camera.analysis_fps)
        if recorder is not None:
            recorder.use_stream(stream.stream)
        got = False
        try:
            for packet in stream.packets():
                if self._stop.is_set():
                    break
                at = packet_clock.utc(packet)
                for frame in stream.decode(packet):
                    got = True
                    self._on_frame(frame, pacer)
                if recorder is not None:
                    recorder.write(packet, at)
        finally:
            if recorder is not None:
                recorder.close()
        return got

    def _record_stream(self, stream: CameraStream) -> bool:
        assert self._recorder is not None
        packet_clock = PacketClock(self.clock)
        self._recorder.use_stream(stream.stream)
        got = False
        try:
            for packet in stream.packets():
                if self._stop.is_set():
                    break
                got = True
                self._recorder.write(packet, packet_clock.utc(packet))
        finally:
            self._recorder.close()
        return got

    def _watch_loop(self) -> None:
        period = min(0.25, self.loss_after / 4)
        while not self._stop.wait(period):
            with self._lock:
                lost = not self._loss and time.monotonic() - self._last_frame >= self.loss_after
                if lost:
                    self._loss = True
            if lost:
                log.warning("camera %s: no image for %.0f s", self.camera.id, self.loss_after)
                self._emit(VideoEvent(self.camera.id, VideoCode.VIDEO_LOSS, self.clock()))

    # -- frames ---------------------------------------------------------------------------

    def _on_frame(self, frame: VideoFrame, pacer: AnalysisPacer) -> None:
        self.frames += 1
        self._latest = (self.frames, frame)
        now = time.monotonic()
        with self._lock:
            self._last_frame = now
            restored = False
            if not self._loss:
                self._state = CameraHealth.OK
            elif self._back is not None and now - self._back <= RESTORE_WITHIN:
                restored, self._loss, self._back = True, False, None
                self._state = CameraHealth.OK
            else:
                self._back = now  # one image may be a stale straggler: wait for a second
        if restored:
            log.info("camera %s: image back", self.camera.id)
            self._emit(VideoEvent(self.camera.id, VideoCode.VIDEO_LOSS, self.clock(), restore=True))
        if self.analyzer is None:
            return
        t = frame.time if frame.time is not None else time.monotonic()
        if not pacer.due(t):
            return
        at = self.clock()
        try:
            findings = self.analyzer.analyze(y_plane(frame), at)
        except Exception:
            self.errors += 1
            log.exception("camera %s: analysis failed", self.camera.id)
            return
        for finding in findings:
            self._on_finding(finding, frame, at)

    def _on_finding(self, finding: FindingLike, frame: VideoFrame, at: datetime) -> None:
        if finding.code.health:
            with self._lock:
                if finding.restore:
                    self._faults.discard(finding.code)
                else:
                    self._faults.add(finding.code)
        snapshot = None if finding.restore else self._jpeg_of(frame)
        self._emit(
            VideoEvent(
                self.camera.id,
                finding.code,
                at,
                restore=finding.restore,
                detail=finding.detail,
                score=finding.score,
                snapshot_jpeg=snapshot,
            )
        )

    def _jpeg_of(self, frame: VideoFrame) -> bytes:
        return snapshot_jpeg(frame.to_ndarray(format="bgr24"), self.camera.privacy_masks)

    # -- helpers --------------------------------------------------------------------------

    def _emit(self, event: VideoEvent) -> None:
        try:
            self.on_event(event)
        except Exception:
            self.errors += 1
            log.exception("camera %s: event %s not delivered", self.camera.id, event.code)

    def _set_state(self, state: CameraHealth) -> None:
        with self._lock:
            self._state = state

    def _clean(self, text: str) -> str:
        """``text`` (an FFmpeg error may quote the URL) without the camera's password."""
        password = self.camera.password
        if not password:
            return text
        return text.replace(password, "***").replace(quote(password, safe=""), "***")

    def _count(self, what: str) -> None:
        self.errors += 1
        log.warning("camera %s: %s", self.camera.id, what)


def _ignore(segment: Segment) -> None:
    log.debug("segment %s recorded (not indexed)", segment.path)
