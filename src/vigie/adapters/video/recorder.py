"""Continuous recording: the camera's packets remuxed (never re-encoded) into short files.

Each file is a *fragmented* MP4 (``frag_keyframe+empty_moov+default_base_moof``): a crash or
a power cut loses at most the fragment being written, never the whole file, and the files
stay playable by Chromium and cuttable by ``clips.extract_clip``. A segment starts on a
keyframe and lasts about ``segment_seconds``; the next one starts on the keyframe that
closed it, so segments are back to back. Timestamps inside a file start at 0; the wall-clock
(UTC) start is in the file name and in the ``Segment`` handed to ``on_segment``, which the
caller indexes (reference/video.md §5). MJPEG cameras are recorded the same way: every JPEG
is a keyframe and the MP4 muxer stores them as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.container import OutputContainer
from av.video.stream import VideoStream

from vigie.domain.video import Segment

__all__ = ["FRAGMENTED_MP4", "PacketClock", "SegmentRecorder", "segment_path"]

log = logging.getLogger(__name__)

FRAGMENTED_MP4 = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
_TB = Fraction(1, 90000)
_RESYNC = 5.0  # seconds of disagreement between camera and clock before re-anchoring


def segment_path(root: Path, camera_id: str, start: datetime) -> Path:
    """``<root>/<camera>/<YYYY-MM-DD>/<HH>/<YYYYmmddTHHMMSS>.mp4`` (UTC), made unique."""
    folder = root / camera_id / start.strftime("%Y-%m-%d") / start.strftime("%H")
    stem = start.strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stem}.mp4"
    n = 1
    while path.exists():
        path = folder / f"{stem}-{n}.mp4"
        n += 1
    return path


class PacketClock:
    """Gives each packet its UTC time: the clock at the first packet, then the stream's pts.

    Camera timestamps are smooth where the arrival time jitters; if they drift more than
    a few seconds from the clock (camera restarted, pts wrapped) the anchor is reset.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._anchor: tuple[datetime, float] | None = None

    def reset(self) -> None:
        self._anchor = None

    def utc(self, packet: av.Packet[Any]) -> datetime:
        now = self._clock()
        if packet.pts is None or packet.time_base is None:
            return now
        t = float(packet.pts * packet.time_base)
        if self._anchor is None:
            self._anchor = (now, t)
            return now
        at = self._anchor[0] + timedelta(seconds=t - self._anchor[1])
        if abs((at - now).total_seconds()) > _RESYNC:
            log.warning(
                "stream time drifted from the clock by %+.1f s; re-anchored",
                (at - now).total_seconds(),
            )
            self._anchor = (now, t)
            return now
        return at


class SegmentRecorder:
    """Writes one camera's packets into back-to-back segment files."""

    def __init__(
        self,
        camera_id: str,
        root: Path,
        *,
        on_segment: Callable[[Segment], None],
        segment_seconds: float = 10.0,
    ) -> None:
        self.camera_id = camera_id
        self.root = root
        self.on_segment = on_segment
        self.segment_seconds = segment_seconds
        self.errors = 0
        self.segments = 0
        self._template: VideoStream | None = None
        self._out: OutputContainer | None = None
        self._out_stream: VideoStream | None = None
        self._path: Path | None = None
        self._start: datetime | None = None
        self._last_at: datetime | None = None
        self._last_duration = 0.0
        self._last_dts: int | None = None

    def use_stream(self, stream: VideoStream) -> None:
        """A new connection: close the open segment; the next one waits for a keyframe."""
        self.close()
        self._template = stream

    def write(self, packet: av.Packet[Any], at: datetime) -> None:
        """Record ``packet`` (of the stream given to ``use_stream``), received at ``at``."""
        if self._template is None:
            return
        start = self._start
        # 5 % slack: a keyframe every 2 s must close 2 s segments despite timing jitter.
        due = start is not None and (at - start).total_seconds() >= self.segment_seconds * 0.95
        if packet.is_keyframe and due:
            self._finish(at)
        if self._out is None:
            if not packet.is_keyframe:
                return  # a segment starts on a keyframe
            self._begin(at)
        try:
            self._mux(packet, at)
        except (av.FFmpegError, ValueError) as exc:
            self.errors += 1
            log.warning("camera %s: packet not recorded (%s)", self.camera_id, exc)

    def close(self, at: datetime | None = None) -> None:
        """Close the open segment (end = ``at``, else just after its last packet)."""
        if self._out is None:
            return
        end = at
        if end is None and self._last_at is not None:
            end = self._last_at + timedelta(seconds=self._last_duration)
        self._finish(end or self._start)

    def _begin(self, at: datetime) -> None:
        assert self._template is not None
        path = segment_path(self.root, self.camera_id, at)
        path.parent.mkdir(parents=True, exist_ok=True)
        out = av.open(str(path), "w", format="mp4", options=FRAGMENTED_MP4)
        try:
            self._out_stream = out.add_stream_from_template(self._template)
        except (av.FFmpegError, ValueError):
            out.close()
            raise
        self._out, self._path, self._start = out, path, at
        self._last_dts = None

    def _mux(self, packet: av.Packet[Any], at: datetime) -> None:
        """Timestamps in 1/90000 from the packet's UTC time, so they start at 0 in each file
        and packets without any (MJPEG over HTTP) are timed by their arrival."""
        assert self._out is not None and self._start is not None
        pts = round((at - self._start).total_seconds() / _TB)
        reorder = 0  # B-frames: decode ahead of display by pts - dts
        if packet.pts is not None and packet.dts is not None and packet.time_base is not None:
            reorder = max(0, round(float((packet.pts - packet.dts) * packet.time_base) / _TB))
        dts = pts - reorder
        if self._last_dts is not None and dts <= self._last_dts:
            dts = self._last_dts + 1
        duration = packet.duration * packet.time_base if packet.duration and packet.time_base else 0
        packet.time_base = _TB
        packet.pts, packet.dts = max(pts, dts), dts
        packet.duration = round(duration / _TB) if duration else 0
        packet.stream = self._out_stream
        self._out.mux(packet)
        self._last_dts = dts
        self._last_at = at
        self._last_duration = float(duration)

    def _finish(self, end: datetime | None) -> None:
        out, path, start = self._out, self._path, self._start
        self._out = self._out_stream = None
        self._path = self._start = self._last_at = None
        if out is None or path is None or start is None:
            return
        try:
            out.close()
        except (av.FFmpegError, ValueError, OSError) as exc:
            self.errors += 1
            log.error("camera %s: segment %s not closed cleanly (%s)", self.camera_id, path, exc)
        size = path.stat().st_size if path.exists() else 0
        segment = Segment(self.camera_id, start, max(end or start, start), str(path), size)
        self.segments += 1
        try:
            self.on_segment(segment)
        except Exception:
            self.errors += 1
            log.exception("camera %s: segment %s not indexed", self.camera_id, path)
