"""Camera worker building blocks with no network: credentials, back-off, pacing, snapshots."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from vigie.adapters.video.clips import snapshot_jpeg
from vigie.adapters.video.ingest import AnalysisPacer, masked_url, url_with_credentials, y_plane
from vigie.adapters.video.worker import BACKOFF_MAX, backoff_delay


def test_credentials_go_into_the_url_and_never_out_of_masked_url() -> None:
    url = url_with_credentials("rtsp://10.0.0.5:554/Streaming/102", "admin", "p@ss:w/rd")
    assert url == "rtsp://admin:p%40ss%3Aw%2Frd@10.0.0.5:554/Streaming/102"
    assert masked_url(url) == "rtsp://admin:***@10.0.0.5:554/Streaming/102"
    assert url_with_credentials("http://cam/video.mjpg") == "http://cam/video.mjpg"
    assert masked_url("http://cam/video.mjpg") == "http://cam/video.mjpg"


def test_backoff_doubles_from_one_second_to_thirty_with_jitter() -> None:
    delays = [backoff_delay(n) for n in range(12)]
    assert 0.8 <= delays[0] <= 1.2
    assert 1.6 <= delays[1] <= 2.4
    assert all(d <= BACKOFF_MAX * 1.2 for d in delays)
    assert delays[-1] >= BACKOFF_MAX * 0.8
    assert len({round(backoff_delay(3), 6) for _ in range(20)}) > 1  # not in step


@pytest.mark.parametrize(("stream_fps", "analysis_fps", "expected"), [(15, 5, 5), (25, 5, 5)])
def test_analysis_runs_at_its_own_rate(stream_fps: int, analysis_fps: float, expected: int) -> None:
    pacer = AnalysisPacer(analysis_fps)
    due = sum(pacer.due(i / stream_fps) for i in range(stream_fps))
    assert due == expected


def test_y_plane_is_the_luma_without_copy() -> None:
    image = np.zeros((180, 330, 3), np.uint8)
    image[:, :100] = 255
    frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
    y = y_plane(frame)
    assert y.shape == (180, 330)
    assert y[:, :90].min() > 200 and y[:, 110:].max() < 40
    assert not y.flags.owndata


def test_snapshot_burns_privacy_masks() -> None:
    image = np.full((100, 200, 3), 200, np.uint8)
    jpeg = snapshot_jpeg(image, [((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))])
    back = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert back[10:90, 5:90].max() < 20
    assert back[10:90, 110:195].min() > 180
    gray = snapshot_jpeg(np.full((50, 60), 90, np.uint8))
    assert cv2.imdecode(np.frombuffer(gray, np.uint8), cv2.IMREAD_UNCHANGED).shape == (50, 60)
