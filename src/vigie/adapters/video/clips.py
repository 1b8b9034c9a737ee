"""Clips and snapshots: pre/post-alarm clips and evidence exports cut from the recording.

A clip is the recorded packets of the segments covering [start, end] copied into one MP4
(``+faststart`` so a browser starts playing before the whole file is there) with their
timestamps rebased to 0: no re-encode, so 20 s cost a fraction of a second and the images
are the recorded ones, bit for bit. A stream copy can only start on a keyframe, so a clip
starts at the keyframe at or before ``start``; the actual start and end are reported, never
the requested ones (reference/video.md §5). Only privacy masks force a re-encode (libx264,
yuv420p so Chromium plays it), as do recordings that are not H.264 (MJPEG cameras).

The SHA-256 is computed by reading the finished file back, in blocks, so it is the hash of
what is on disk and given to whoever receives the export.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import cv2
import numpy as np
from av.container import OutputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from vigie.domain.video import Polygon, Segment

__all__ = ["ClipError", "ClipInfo", "burn_masks", "extract_clip", "sha256_file", "snapshot_jpeg"]

log = logging.getLogger(__name__)

_TB = Fraction(1, 90000)
_PLAYABLE = frozenset({"h264"})


class ClipError(RuntimeError):
    """No recorded video covers the requested range, or the recording cannot be read."""


@dataclass(frozen=True, slots=True)
class ClipInfo:
    path: Path
    start: datetime  # UTC of the first frame (a keyframe at or before the requested start)
    end: datetime  # UTC just after the last frame
    size: int
    sha256: str
    frames: int


def _local_burn(image: np.ndarray, polygons: Sequence[Polygon]) -> np.ndarray:
    out = image.copy()
    h, w = out.shape[:2]
    for polygon in polygons:
        points = np.array([[round(x * (w - 1)), round(y * (h - 1))] for x, y in polygon], np.int32)
        cv2.fillPoly(out, [points], (0, 0, 0) if out.ndim == 3 else 0)
    return out


def _burner() -> Callable[[np.ndarray, Sequence[Polygon]], np.ndarray]:
    """The analytics' ``burn_masks`` when that package is there, else a local fill."""
    try:
        module: Any = importlib.import_module("vigie.analytics")
    except ImportError:
        return _local_burn
    burn = getattr(module, "burn_masks", None)
    if burn is None:
        return _local_burn
    return cast(Callable[[np.ndarray, Sequence[Polygon]], np.ndarray], burn)


def burn_masks(image: np.ndarray, polygons: Sequence[Polygon]) -> np.ndarray:
    """``image`` (gray or BGR) with the normalised ``polygons`` filled, on a copy."""
    if not polygons:
        return image
    return _burner()(image, polygons)


def snapshot_jpeg(
    image: np.ndarray, privacy_masks: Sequence[Polygon] = (), *, quality: int = 80
) -> bytes:
    """A JPEG of a Y plane or a BGR image, privacy masks burned in."""
    ok, data = cv2.imencode(
        ".jpg", burn_masks(image, privacy_masks), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ClipError("JPEG encoding failed")
    return bytes(data.tobytes())


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class _Entry:
    segment: int
    index: int
    at: datetime
    key: bool
    duration: float


def _packets(segment: Segment) -> tuple[av.container.InputContainer, VideoStream]:
    try:
        container = av.open(segment.path)
    except (av.FFmpegError, OSError) as exc:
        raise ClipError(f"segment {segment.path} unreadable: {exc}") from exc
    return container, container.streams.video[0]


def _index(segments: Sequence[Segment]) -> list[_Entry]:
    """UTC time of every packet: the segment's start plus its timestamp (0 at the start)."""
    entries: list[_Entry] = []
    for n, segment in enumerate(segments):
        container, stream = _packets(segment)
        with container:
            base: int | None = None
            index = 0
            for packet in container.demux(stream):
                if not packet.size or packet.pts is None:
                    continue
                tb = packet.time_base or stream.time_base or _TB
                if base is None:
                    base = packet.pts  # the segment's first packet: a keyframe at its start
                at = segment.start + timedelta(seconds=float((packet.pts - base) * tb))
                duration = float(packet.duration * tb) if packet.duration else 0.0
                entries.append(_Entry(n, index, at, packet.is_keyframe, duration))
                index += 1
    return entries


def _window(entries: list[_Entry], start: datetime, end: datetime) -> tuple[int, int]:
    keys = [i for i, e in enumerate(entries) if e.key]
    if not keys:
        raise ClipError("no keyframe in the recording")
    before = [i for i in keys if entries[i].at <= start]
    first = before[-1] if before else keys[0]
    last = len(entries) - 1
    for i in range(first, len(entries)):
        if entries[i].at >= end:
            last = i
            break
    return first, last


def extract_clip(
    segments: Sequence[Segment],
    start: datetime,
    end: datetime,
    out_path: Path,
    *,
    privacy_masks: Sequence[Polygon] = (),
) -> ClipInfo:
    """One MP4 (H.264, +faststart) of the recording between ``start`` and ``end`` (UTC)."""
    if end <= start:
        raise ClipError("the clip must end after it starts")
    chosen = sorted((s for s in segments if s.end > start and s.start <= end), key=_start)
    if not chosen:
        raise ClipError("no recording covers this period")
    entries = _index(chosen)
    if not entries:
        raise ClipError("the recording holds no image for this period")
    first, last = _window(entries, start, end)
    selected = {(e.segment, e.index): e for e in entries[first : last + 1]}
    actual_start = entries[first].at
    tail = entries[last]
    fps = _fps(entries[first : last + 1])
    actual_end = tail.at + timedelta(seconds=tail.duration or 1.0 / fps)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out = av.open(str(out_path), "w", format="mp4", options={"movflags": "+faststart"})
    try:
        frames = _copy(chosen, selected, actual_start, out, privacy_masks, fps)
    finally:
        out.close()
    info = ClipInfo(
        out_path, actual_start, actual_end, out_path.stat().st_size, sha256_file(out_path), frames
    )
    log.info(
        "clip %s: %s to %s, %d frames, %d bytes", out_path.name, info.start, info.end, frames,
        info.size,
    )  # fmt: skip
    return info


def _start(segment: Segment) -> datetime:
    return segment.start


def _fps(entries: Sequence[_Entry]) -> float:
    if len(entries) < 2:
        return 15.0
    span = (entries[-1].at - entries[0].at).total_seconds()
    return max(1.0, min(60.0, (len(entries) - 1) / span)) if span > 0 else 15.0


def _copy(
    segments: Sequence[Segment],
    selected: dict[tuple[int, int], _Entry],
    origin: datetime,
    out: OutputContainer,
    masks: Sequence[Polygon],
    fps: float,
) -> int:
    out_stream: VideoStream | None = None
    encoder: VideoStream | None = None
    last_dts = -1
    frames = 0
    for n, segment in enumerate(segments):
        container, stream = _packets(segment)
        with container:
            reencode = bool(masks) or stream.codec_context.name not in _PLAYABLE
            index = 0
            for packet in container.demux(stream):
                if not packet.size or packet.pts is None:
                    continue
                entry = selected.get((n, index))
                index += 1
                if entry is None:
                    continue
                pts = round((entry.at - origin).total_seconds() / _TB)
                if reencode:
                    if encoder is None:
                        encoder = _encoder(out, stream, fps)
                    frames += _reencode(packet, stream, encoder, out, masks, pts)
                    continue
                if out_stream is None:
                    out_stream = out.add_stream_from_template(stream)
                dts = max(pts, last_dts + 1)
                tb = packet.time_base or stream.time_base or _TB
                packet.duration = round(float(packet.duration * tb) / _TB) if packet.duration else 0
                packet.time_base = _TB
                packet.pts, packet.dts = max(pts, dts), dts
                packet.stream = out_stream
                out.mux(packet)
                last_dts = dts
                frames += 1
    if encoder is not None:
        for p in encoder.encode(None):
            out.mux(p)
    return frames


def _encoder(out: OutputContainer, source: VideoStream, fps: float) -> VideoStream:
    encoder = out.add_stream(
        "libx264", rate=Fraction(round(fps * 1000), 1000), options={"preset": "veryfast"}
    )
    encoder.width = source.codec_context.width
    encoder.height = source.codec_context.height
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = _TB
    encoder.codec_context.thread_count = 1
    return encoder


def _reencode(
    packet: av.Packet[Any],
    stream: VideoStream,
    encoder: VideoStream,
    out: OutputContainer,
    masks: Sequence[Polygon],
    pts: int,
) -> int:
    count = 0
    for frame in stream.codec_context.decode(packet):
        image = burn_masks(frame.to_ndarray(format="bgr24"), masks)
        masked = VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        masked.pts, masked.time_base = pts, _TB
        for p in encoder.encode(masked):
            out.mux(p)
        count += 1
    return count
