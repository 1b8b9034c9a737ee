"""Camera workers against live streams on loopback: RTSP (gst-rtsp-server fed by the
synthetic scene) and MJPEG over HTTP. What an operator relies on: alarms arrive with a
picture, a camera that stops sending raises VIDEO_LOSS and restores it, the recording keeps
going, the register can change without restarting the station.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.support.cameras import Scene, gst_available, mjpeg_camera, rtsp_server
from vigie.adapters.video.clips import extract_clip
from vigie.adapters.video.supervisor import VideoSupervisor
from vigie.adapters.video.synthetic.rtsp import SyntheticRtspServer
from vigie.adapters.video.worker import CameraWorker
from vigie.domain.video import Camera, CameraHealth, Segment, StreamKind, VideoCode, VideoEvent

pytestmark = pytest.mark.e2e

TOP_LEFT = ((0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5))


def utc_now() -> datetime:
    return datetime.now(UTC)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass(frozen=True, slots=True)
class FakeFinding:
    code: VideoCode
    restore: bool
    detail: str = ""
    score: float | None = None


class FakeAnalyzer:
    """Reports motion on its third analysed frame and counts what it saw."""

    def __init__(self) -> None:
        self.calls = 0
        self.shapes: set[tuple[int, ...]] = set()

    def analyze(self, y: np.ndarray, at: datetime) -> Sequence[FakeFinding]:
        self.calls += 1
        self.shapes.add(y.shape)
        if self.calls == 3:
            return [FakeFinding(VideoCode.MOTION, False, "zone entrée", 0.9)]
        return []


class Events:
    def __init__(self) -> None:
        self.items: list[VideoEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: VideoEvent) -> None:
        with self._lock:
            self.items.append(event)

    def codes(self) -> list[tuple[VideoCode, bool]]:
        with self._lock:
            return [(e.code, e.restore) for e in self.items]


@pytest.fixture(scope="module")
def rtsp() -> Iterator[SyntheticRtspServer]:
    if not gst_available():
        pytest.skip("Debian gst-rtsp-server (python3-gi) not installed")
    with rtsp_server() as server:
        yield server


def camera(url: str, name: str = "c1", **fields: object) -> Camera:
    return Camera(name, "s1", f"Caméra {name}", main_url=url, **fields)  # type: ignore[arg-type]


def test_rtsp_worker_records_and_reports_findings_with_a_masked_snapshot(
    rtsp: SyntheticRtspServer, tmp_path: Path
) -> None:
    url = rtsp.add("alarm", Scene(people=2, seed=1))
    analyzer, events, segments = FakeAnalyzer(), Events(), list[Segment]()
    worker = CameraWorker(
        camera(url, privacy_masks=(TOP_LEFT,)),
        on_event=events,
        clock=utc_now,
        analyzer=analyzer,
        record_root=tmp_path,
        on_segment=segments.append,
        segment_seconds=2,
        loss_after=30,
    )
    worker.start()
    try:
        wait_for(lambda: (VideoCode.MOTION, False) in events.codes(), 30, "the motion event")
        wait_for(lambda: len(segments) >= 1, 15, "a recorded segment")
        assert worker.health() == (CameraHealth.OK, frozenset())
        live = worker.latest_jpeg()
    finally:
        worker.stop()

    motion = next(e for e in events.items if e.code is VideoCode.MOTION)
    assert motion.camera_id == "c1" and motion.detail == "zone entrée" and motion.score == 0.9
    assert motion.snapshot_jpeg is not None
    for jpeg in (motion.snapshot_jpeg, live):
        assert jpeg is not None
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
        assert image.shape == (360, 640)
        assert image[10:170, 10:310].std() < 3  # the privacy mask, burned in
    assert analyzer.shapes == {(360, 640)}
    assert analyzer.calls * 2 < worker.frames  # 5 fps analysed out of 15 decoded
    assert all(Path(s.path).stat().st_size == s.size > 0 for s in segments)
    assert segments[0].end > segments[0].start


def test_rtsp_feed_stops_video_loss_is_raised_then_restored(
    rtsp: SyntheticRtspServer,
) -> None:
    url = rtsp.add("loss", Scene(people=1, seed=2))
    events = Events()
    worker = CameraWorker(
        camera(url, name="c2"), on_event=events, clock=utc_now, loss_after=2, backoff=(0.3, 2)
    )
    worker.start()
    try:
        wait_for(lambda: worker.health()[0] is CameraHealth.OK, 30, "the first image")
        start = len(events.items)
        rtsp.stop_feed("loss")
        stopped = time.monotonic()
        wait_for(lambda: len(events.items) > start, 10, "VIDEO_LOSS")
        assert time.monotonic() - stopped >= 1.5  # not before loss_after
        assert events.codes()[start:] == [(VideoCode.VIDEO_LOSS, False)]
        assert worker.health() == (CameraHealth.FAULT, frozenset({VideoCode.VIDEO_LOSS}))
        time.sleep(1.0)
        assert events.codes()[start:] == [(VideoCode.VIDEO_LOSS, False)]  # raised once
        rtsp.start_feed("loss")
        wait_for(lambda: len(events.items) > start + 1, 30, "the restore")
        assert events.codes()[start:] == [
            (VideoCode.VIDEO_LOSS, False),
            (VideoCode.VIDEO_LOSS, True),
        ]
        assert worker.health() == (CameraHealth.OK, frozenset())
    finally:
        worker.stop()


def test_supervisor_reload_starts_and_stops_workers_and_streams_jpegs(
    rtsp: SyntheticRtspServer, tmp_path: Path
) -> None:
    url = rtsp.add("wall", Scene(people=1, seed=3))
    first, second = camera(url, name="a"), camera(url, name="b", enabled=True)
    supervisor = VideoSupervisor(
        [first],
        record_root=tmp_path,
        on_event=Events(),
        on_segment=lambda s: None,
        clock=utc_now,
        analyzer_factory=None,
        record=False,
    )
    supervisor.start()
    try:
        assert supervisor.camera_ids() == ["a"]
        supervisor.reload([first, second])
        assert supervisor.camera_ids() == ["a", "b"]
        wait_for(lambda: supervisor.latest_jpeg("b") is not None, 30, "camera b's image")

        async def two_frames() -> list[bytes]:
            got: list[bytes] = []
            async for jpeg in supervisor.frames("b"):
                got.append(jpeg)
                if len(got) == 2:
                    break
            return got

        frames = asyncio.run(asyncio.wait_for(two_frames(), 10))
        assert all(f.startswith(b"\xff\xd8") for f in frames) and frames[0] != frames[1]

        supervisor.reload([second])
        assert supervisor.camera_ids() == ["b"]
        assert supervisor.latest_jpeg("a") is None
        with pytest.raises(KeyError):
            supervisor.health("a")
        supervisor.reload([camera(url, name="b", enabled=False)])
        assert supervisor.health("b") == (CameraHealth.DISABLED, frozenset())
    finally:
        supervisor.stop()


def test_mjpeg_camera_is_decoded_recorded_and_its_password_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    segments: list[Segment] = []
    source = ExitStack()
    url = source.enter_context(mjpeg_camera(Scene(width=320, height=180, seed=4))).url
    worker = CameraWorker(
        camera(url, name="m1", kind=StreamKind.MJPEG, username="admin", password="s3cr3t!"),
        on_event=Events(),
        clock=utc_now,
        analyzer=FakeAnalyzer(),
        record_root=tmp_path,
        on_segment=segments.append,
        segment_seconds=1,
    )
    caplog.set_level(logging.DEBUG, logger="vigie")
    worker.start()
    try:
        wait_for(lambda: len(segments) >= 2, 20, "two MJPEG segments")
        jpeg = worker.latest_jpeg()
    finally:
        worker.stop()
        source.close()
    assert jpeg is not None
    assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape == (180, 320, 3)
    assert "s3cr3t" not in caplog.text and "admin:***@" in caplog.text
    assert Path(segments[0].path).stat().st_size > 0
    # A clip of an MJPEG camera is re-encoded to H.264 so that a browser plays it.
    first, second = segments[0], segments[1]
    start = first.start + (first.end - first.start) / 2
    info = extract_clip(segments, start, second.end, tmp_path / "clip.mp4")
    assert info.start <= start and info.end >= second.end - timedelta(seconds=0.2)
    with av.open(str(info.path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == info.frames > 0


def test_people_walking_in_a_zone_raise_an_intrusion_through_the_real_analyzer(
    rtsp: SyntheticRtspServer,
) -> None:
    from vigie.analytics import CameraAnalyzer
    from vigie.domain.video import ZoneRule

    url = rtsp.add("street", Scene(people=2, seed=5))
    whole = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    cam = camera(url, name="c5", zone_rules=(ZoneRule("parvis", whole),))
    events = Events()
    worker = CameraWorker(cam, on_event=events, clock=utc_now, analyzer=CameraAnalyzer(cam))
    worker.start()
    try:
        wait_for(lambda: (VideoCode.INTRUSION, False) in events.codes(), 30, "an intrusion")
    finally:
        worker.stop()
    intrusion = next(e for e in events.items if e.code is VideoCode.INTRUSION)
    assert intrusion.detail and intrusion.snapshot_jpeg is not None
    assert intrusion.snapshot_jpeg.startswith(b"\xff\xd8")


def test_main_stream_is_recorded_while_the_sub_stream_is_analysed(
    rtsp: SyntheticRtspServer, tmp_path: Path
) -> None:
    main = rtsp.add("main", Scene(width=960, height=540, seed=6))
    sub = rtsp.add("sub", Scene(seed=6))
    segments: list[Segment] = []
    analyzer = FakeAnalyzer()
    worker = CameraWorker(
        Camera("c6", "s1", "Caméra 6", main_url=main, sub_url=sub),
        on_event=Events(),
        clock=utc_now,
        analyzer=analyzer,
        record_root=tmp_path,
        on_segment=segments.append,
        segment_seconds=1,
    )
    worker.start()
    try:
        wait_for(lambda: len(segments) >= 1 and analyzer.calls > 0, 30, "recording + analysis")
    finally:
        worker.stop()
    assert analyzer.shapes == {(360, 640)}
    with av.open(segments[0].path) as container:
        assert container.streams.video[0].codec_context.height == 540
