"""Synthetic cameras behave like real ones for a client: RTSP (shared, loss, recovery), MJPEG."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import pytest

from tests.support.cameras import (
    Mode,
    Scene,
    mjpeg_camera,
    needs_gst,
    read_frames,
    rtsp_server,
)
from vigie.adapters.video.synthetic.rtsp import SyntheticRtspServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server() -> Iterator[SyntheticRtspServer]:
    with rtsp_server() as running:
        yield running


@needs_gst
def test_two_clients_read_the_same_mount(server: SyntheticRtspServer) -> None:
    url = server.add("shared", Scene(people=2, seed=1))
    assert url == f"rtsp://127.0.0.1:{server.port}/shared"
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: read_frames(url, 5, timeout=20), range(2)))
    for planes in results:
        assert len(planes) == 5
        assert planes[0].shape == (360, 640)
        assert 60 < float(planes[-1].mean()) < 220  # the street, not a black or grey screen


@needs_gst
def test_clients_can_come_back_again_and_again(server: SyntheticRtspServer) -> None:
    url = server.add("again", Scene(people=1, seed=2))
    for _ in range(3):
        assert len(read_frames(url, 2, timeout=15)) == 2


@needs_gst
def test_video_loss_then_recovery(server: SyntheticRtspServer) -> None:
    url = server.add("lossy", Scene(people=1, seed=3))
    container = av.open(url, options={"rtsp_transport": "tcp"}, timeout=(10.0, 3.0))
    try:
        frames = container.decode(video=0)
        for _ in range(3):
            next(frames)
        server.stop_feed("lossy")
        stopped = time.monotonic()
        late = 0
        with pytest.raises((av.error.FFmpegError, StopIteration)):
            while time.monotonic() - stopped < 15:
                next(frames)  # what was already buffered or in flight comes at once
                late += time.monotonic() - stopped > 1.5
        # At most the decoder's last delayed frame, flushed when the read times out.
        assert late <= 1, "frames kept coming after the feed stopped"
        assert time.monotonic() - stopped < 12, "the client should see the loss (read timeout)"
    finally:
        container.close()
    server.start_feed("lossy")
    assert len(read_frames(url, 3, timeout=20)) == 3


@needs_gst
def test_scene_mode_switches_live_on_the_stream(server: SyntheticRtspServer) -> None:
    scene = Scene(people=1, seed=4)
    url = server.add("faults", scene)
    scene.mode = Mode.BLACK
    planes = read_frames(url, 3, timeout=20)
    below_clock = planes[-1][40:]
    assert float(below_clock.mean()) < 20


@needs_gst
def test_server_process_is_gone_after_close() -> None:
    running = SyntheticRtspServer()
    running.start()
    process = running._process
    assert process is not None and process.poll() is None
    running.close()
    assert process.poll() is not None


def test_mjpeg_camera_is_readable_by_pyav_and_serves_snapshots() -> None:
    with mjpeg_camera(Scene(people=1), fps=10) as camera:
        planes = read_frames(camera.url, 4, timeout=10)
        assert planes[0].shape == (360, 640)
        assert not np.array_equal(planes[0][40:], planes[-1][40:]), "the walker moves"
        with urllib.request.urlopen(camera.snapshot_url, timeout=5) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/jpeg"
            assert response.read(2) == b"\xff\xd8"
