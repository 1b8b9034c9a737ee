"""An export cut by the real clip cutter from real H.264 segments (SQLite only)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.integration.test_camera_store import T0, Station, build_station, make_camera
from tests.integration.test_video_export import OPERATOR
from vigie.domain.video import Segment
from vigie.services.video_export import VideoExports

av = pytest.importorskip("av")
np = pytest.importorskip("numpy")
clips = pytest.importorskip("vigie.adapters.video.clips")

FPS = 10


def _segment(path: Path, seconds: int, shade: int) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.codec_context.gop_size = FPS
        stream.options = {"bf": "0"}  # like most cameras' streams: no B-frames
        stream.codec_context.time_base = Fraction(1, FPS)
        for i in range(seconds * FPS):
            ramp = (np.arange(160, dtype=np.uint16) + shade + i) % 256
            image = np.repeat(np.tile(ramp, (96, 1))[:, :, None], 3, axis=2).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.fixture
def station(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    built = build_station(sqlite_url, tmp_path, clock)
    built.cameras.save(make_camera(privacy_masks=()))
    built.cameras.save(make_camera("CAM-M", privacy_masks=(((0, 0), (1, 0), (1, 1), (0, 1)),)))
    for n in range(3):
        path = tmp_path / f"seg{n}.mp4"
        _segment(path, 2, 40 * n)
        start = T0 + timedelta(seconds=2 * n)
        for camera_id in ("CAM-1", "CAM-M"):
            built.segments.add(
                Segment(camera_id, start, start + timedelta(seconds=2), str(path), 0)
            )
    yield built
    built.engine.dispose()


@pytest.mark.parametrize("camera_id", ["CAM-1", "CAM-M"])
def test_real_export_hash_and_register(station: Station, camera_id: str) -> None:
    exports = VideoExports(
        station.cameras,
        station.segments,
        station.extractions,
        station.logbook,
        station.root / "exports",
        clips.extract_clip,
    )
    done = exports.export(
        camera_id,
        T0 + timedelta(seconds=1.5),
        T0 + timedelta(seconds=4.5),
        OPERATOR,
        "Vol",
        "OPJ, commissariat de Lyon 3e",
    )
    data = Path(done.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == done.sha256
    assert done.actual_start <= T0 + timedelta(seconds=1.5)
    assert done.actual_end >= T0 + timedelta(seconds=4.4)
    with av.open(done.path) as clip:
        frames = sum(1 for _ in clip.decode(video=0))
    assert frames >= 3 * FPS
    with av.open(done.path) as clip:
        first = next(clip.decode(video=0)).to_ndarray(format="gray")
    assert done.id is not None and exports.verify(done.id).ok
    masked = camera_id == "CAM-M"  # the whole image is masked: burned in, nothing shows
    assert bool(first.std() < 2.0) == masked
