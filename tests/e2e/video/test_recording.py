"""Recording and clips on real H.264: segments back to back, clips that cover and play.

The stream is an H.264 file made with PyAV (libx264, SPS/PPS before every IDR, a keyframe
every second) from the synthetic scene; its packets go through the recorder timed as if
they arrived live, so the test needs no network and no waiting.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import numpy as np
import pytest

from vigie.adapters.video.clips import ClipError, extract_clip, sha256_file
from vigie.adapters.video.recorder import SegmentRecorder
from vigie.adapters.video.synthetic.scene import Scene, write_clip
from vigie.domain.video import Segment

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
FPS = 15
SECONDS = 7


@pytest.fixture(scope="module")
def h264_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("src") / "camera.mp4"
    scene = Scene(width=320, height=180, fps=FPS, people=2, clock=lambda: T0)
    options = {
        "preset": "ultrafast",
        "x264-params": "repeat-headers=1:keyint=15:min-keyint=15:scenecut=0:bframes=0",
    }
    write_clip(path, scene, FPS * SECONDS, options)
    return path


def record(source: Path, root: Path, segment_seconds: float) -> list[Segment]:
    segments: list[Segment] = []
    recorder = SegmentRecorder(
        "cam1", root, on_segment=segments.append, segment_seconds=segment_seconds
    )
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        recorder.use_stream(stream)
        for packet in container.demux(stream):
            if packet.size:
                assert packet.pts is not None
                at = T0 + timedelta(seconds=float(packet.pts * stream.time_base))
                recorder.write(packet, at)
    recorder.close()
    return segments


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


def test_segments_are_back_to_back_start_on_keyframes_and_are_indexed(
    h264_file: Path, tmp_path: Path
) -> None:
    segments = record(h264_file, tmp_path, segment_seconds=2)

    assert [s.start - T0 for s in segments] == [timedelta(seconds=n) for n in (0, 2, 4, 6)]
    for before, after in itertools.pairwise(segments):
        assert before.end == after.start
    assert segments[-1].end == T0 + timedelta(seconds=SECONDS)
    for segment in segments:
        path = Path(segment.path)
        assert re.fullmatch(
            rf"{re.escape(str(tmp_path))}/cam1/2026-11-28/12/20261128T1200\d\d\.mp4", segment.path
        )
        assert path.stat().st_size == segment.size > 0
        with av.open(segment.path) as container:
            first = next(p for p in container.demux(video=0) if p.size)
            assert first.is_keyframe
    assert sum(len(decoded(Path(s.path))) for s in segments) == FPS * SECONDS


def test_an_interrupted_segment_still_plays(h264_file: Path, tmp_path: Path) -> None:
    segments = record(h264_file, tmp_path, segment_seconds=10)
    path = Path(segments[0].path)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])  # power cut: the end of the file is missing

    frames = 0
    with av.open(str(cut)) as container:
        for packet in container.demux(video=0):
            try:
                frames += len(packet.decode())
            except av.InvalidDataError:
                break  # the torn last fragment, as a player would skip it
    assert frames >= FPS * 2


def test_clip_across_segments_covers_the_range_and_plays(h264_file: Path, tmp_path: Path) -> None:
    segments = record(h264_file, tmp_path / "rec", segment_seconds=2)
    start, end = T0 + timedelta(seconds=1.5), T0 + timedelta(seconds=4.5)

    info = extract_clip(segments, start, end, tmp_path / "clip.mp4")

    assert start - timedelta(seconds=1) <= info.start <= start  # the keyframe before
    assert end <= info.end <= end + timedelta(seconds=1)
    frames = decoded(info.path)
    assert len(frames) == info.frames
    assert info.frames == round((info.end - info.start).total_seconds() * FPS)
    assert sha256_file(info.path) == info.sha256
    assert info.size == info.path.stat().st_size
    data = info.path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: plays while loading
    with av.open(str(info.path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_clip_with_privacy_masks_hides_the_region(h264_file: Path, tmp_path: Path) -> None:
    segments = record(h264_file, tmp_path / "rec", segment_seconds=2)
    left_half = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))

    info = extract_clip(
        segments,
        T0 + timedelta(seconds=2.5),
        T0 + timedelta(seconds=3.5),
        tmp_path / "masked.mp4",
        privacy_masks=[left_half],
    )

    frames = decoded(info.path)
    assert len(frames) == info.frames > 0
    for frame in frames:
        hidden, shown = frame[8:-8, 8:150], frame[8:-8, 180:-8]
        assert hidden.std() < 2.0  # one flat colour
        assert shown.std() > 10.0  # the scene is still there


def test_no_recording_for_the_period_is_an_error(h264_file: Path, tmp_path: Path) -> None:
    segments = record(h264_file, tmp_path / "rec", segment_seconds=2)
    with pytest.raises(ClipError):
        extract_clip(
            segments, T0 + timedelta(hours=1), T0 + timedelta(hours=2), tmp_path / "none.mp4"
        )
