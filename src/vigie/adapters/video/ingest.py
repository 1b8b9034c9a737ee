"""Open a camera stream with PyAV and hand its frames to the analysis cheaply.

Decoding, not analysis, dominates the cost of a camera (reference/video.md §3.1): one
decoder thread, the Y plane as a numpy *view* (``to_ndarray`` colour conversion costs more
than the decode itself), and analysis only at ``analysis_fps`` although every H.264 frame
is decoded (later frames reference it). ``keyframes_only`` skips everything but I-frames
for supervision-only cameras (§3.2), and their deblocking filter.

Credentials go into the URL handed to FFmpeg and never into a log line: ``masked_url``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import av
import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from vigie.domain.video import StreamKind

__all__ = [
    "OPEN_TIMEOUT",
    "READ_TIMEOUT",
    "AnalysisPacer",
    "CameraStream",
    "masked_url",
    "open_stream",
    "url_with_credentials",
    "y_plane",
]

log = logging.getLogger(__name__)

OPEN_TIMEOUT = 10.0  # seconds to connect and read the stream's description
READ_TIMEOUT = 3.0  # seconds without data before a read fails (video loss is noticed)
# The SDP (sprop-parameter-sets) or the first JPEG tells all the decoder needs: probing longer
# only delays the first image and queues seconds of stale packets behind it.
_PROBE = {"analyzeduration": "500000", "probesize": "262144"}


def url_with_credentials(url: str, username: str = "", password: str = "") -> str:
    """``url`` with ``username:password@`` put in (percent-encoded); unchanged if no user."""
    if not username:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = quote(username, safe="")
    if password:
        netloc += ":" + quote(password, safe="")
    netloc += "@" + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def masked_url(url: str) -> str:
    """The URL fit for a log line: any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def open_stream(
    url: str,
    kind: StreamKind = StreamKind.RTSP,
    *,
    username: str = "",
    password: str = "",
    open_timeout: float = OPEN_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> InputContainer:
    """Open a camera: RTSP over TCP, or multipart JPEG over HTTP; raises ``av.FFmpegError``."""
    full = url_with_credentials(url, username, password)
    log.info("opening %s stream %s", kind.value, masked_url(full))
    if kind is StreamKind.MJPEG:
        return av.open(
            full, format="mpjpeg", options=dict(_PROBE), timeout=(open_timeout, read_timeout)
        )
    options = dict(_PROBE)
    if full.startswith(("rtsp://", "rtsps://")):
        options["rtsp_transport"] = "tcp"
    return av.open(full, options=options, timeout=(open_timeout, read_timeout))


def y_plane(frame: VideoFrame) -> np.ndarray:
    """The luma plane as a uint8 HxW view (no copy, no colour conversion)."""
    plane = frame.planes[0]
    rows: np.ndarray = np.frombuffer(memoryview(plane), np.uint8)
    return rows.reshape(frame.height, plane.line_size)[:, : frame.width]


@dataclass(slots=True)
class AnalysisPacer:
    """Says which decoded frames to analyse so the analysis runs at ``fps`` at most.

    Works on the frames' own timestamps (seconds), so the choice does not depend on how
    fast the machine decodes; half a frame of tolerance avoids skipping on jitter.
    """

    fps: float
    _last: float | None = field(default=None, init=False)

    def due(self, t: float) -> bool:
        period = 1.0 / self.fps
        if self._last is not None and 0 <= t - self._last < period * 0.95:
            return False
        self._last = t
        return True

    def reset(self) -> None:
        self._last = None


class CameraStream:
    """One open camera connection: packets for the recorder, decoded frames for analysis."""

    def __init__(self, container: InputContainer, *, keyframes_only: bool = False) -> None:
        self.container = container
        self.stream: VideoStream = container.streams.video[0]
        ctx = self.stream.codec_context
        ctx.thread_count = 1
        ctx.thread_type = "SLICE"
        if keyframes_only:
            ctx.skip_frame = "NONKEY"
            # Only intra pictures are decoded, so leaving out the deblocking filter cannot
            # drift (no later picture is predicted from an unfiltered one): ~15 % of a 1080p
            # keyframe's decode, for edges at most softened less (bench/video.py).
            ctx.options = {**ctx.options, "skip_loop_filter": "all"}

    def packets(self) -> Iterator[av.Packet[Any]]:
        """Demuxed packets of the video stream (flush packets left out)."""
        for packet in self.container.demux(self.stream):
            if packet.size:
                yield packet

    def decode(self, packet: av.Packet[Any]) -> list[VideoFrame]:
        return list(self.stream.codec_context.decode(packet))

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> CameraStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
