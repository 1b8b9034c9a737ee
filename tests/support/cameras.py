"""Synthetic cameras for tests: RTSP (gst-rtsp-server), MJPEG, ONVIF, and a frame reader.

    from tests.support.cameras import gst_available, needs_gst, read_frames, rtsp_server

    @needs_gst
    def test_something() -> None:
        with rtsp_server() as server:
            url = server.add("cam1", Scene(people=1))
            frames = read_frames(url, 5, timeout=15)

Every helper binds 127.0.0.1 on ephemeral ports and cleans up on exit, also when the test fails.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import av
import numpy as np
import pytest

from vigie.adapters.video.synthetic.mjpeg import MjpegCamera
from vigie.adapters.video.synthetic.onvif_sim import OnvifSimulator
from vigie.adapters.video.synthetic.rtsp import SyntheticRtspServer, gst_rtsp_available
from vigie.adapters.video.synthetic.scene import Mode, Scene

__all__ = [
    "Mode",
    "Scene",
    "gst_available",
    "mjpeg_camera",
    "needs_gst",
    "onvif_simulator",
    "read_frames",
    "rtsp_server",
]


@functools.cache
def gst_available() -> bool:
    """True when /usr/bin/python3 can import GstRtspServer (CI installs it)."""
    return gst_rtsp_available()


needs_gst = pytest.mark.skipif(
    not gst_available(),
    reason="Debian gst-rtsp-server (gir1.2-gst-rtsp-server-1.0, python3-gi) not installed",
)


@contextmanager
def rtsp_server(gop_seconds: float = 1.0) -> Iterator[SyntheticRtspServer]:
    """A running gst-rtsp-server; ``server.add(name, scene)`` returns the rtsp:// URL.

    The GOP is 1 s here (2 s in the demo) so that clients start decoding sooner.
    """
    server = SyntheticRtspServer(gop_seconds=gop_seconds)
    try:
        server.start()
        yield server
    finally:
        server.close()


@contextmanager
def mjpeg_camera(scene: Scene | None = None, fps: float = 10.0) -> Iterator[MjpegCamera]:
    camera = MjpegCamera(scene or Scene(), fps=fps)
    try:
        yield camera
    finally:
        camera.close()


@contextmanager
def onvif_simulator(**kwargs: Any) -> Iterator[OnvifSimulator]:
    """An ONVIF device (see ``OnvifSimulator`` for the keyword arguments)."""
    simulator = OnvifSimulator(**kwargs)
    try:
        yield simulator
    finally:
        simulator.close()


def _open(url: str, read_timeout: float) -> Any:
    if url.startswith("rtsp://"):
        return av.open(url, options={"rtsp_transport": "tcp"}, timeout=(10.0, read_timeout))
    if url.endswith(".mjpg"):
        return av.open(url, format="mpjpeg", timeout=(10.0, read_timeout))
    return av.open(url, timeout=(10.0, read_timeout))


def read_frames(url: str, n: int, timeout: float = 20.0) -> list[np.ndarray]:
    """Decode ``n`` frames from ``url`` and return their Y (luma) planes as HxW uint8 arrays.

    Raises TimeoutError when ``n`` frames did not arrive within ``timeout`` seconds; a stalled
    stream is cut by PyAV's read timeout, so the call is bounded.
    """
    planes: list[np.ndarray] = []
    deadline = time.monotonic() + timeout
    container = _open(url, read_timeout=min(5.0, timeout))
    try:
        for frame in container.decode(video=0):
            planes.append(frame.to_ndarray(format="gray").copy())
            if len(planes) >= n or time.monotonic() > deadline:
                break
    except av.error.FFmpegError as exc:
        raise TimeoutError(f"{url}: {len(planes)}/{n} frames before {exc}") from exc
    finally:
        container.close()
    if len(planes) < n:
        raise TimeoutError(f"{url}: only {len(planes)}/{n} frames in {timeout:.0f} s")
    return planes
