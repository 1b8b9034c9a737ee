"""Synthetic RTSP cameras: a Scene encoded to H.264 live and served by gst-rtsp-server.

Debian's gst-rtsp-server (a ``/usr/bin/python3`` child, see ``gst_rtsp_server.py``) serves the
mounts; one feeder thread per mount draws the scene in real time, encodes it with libx264
(PyAV, ultrafast, zerolatency, SPS/PPS before every IDR) and sends RTP to the server's UDP
port. ``stop_feed`` pauses the feeder while the RTSP session stays up: that is what a camera
losing its video looks like to a client (no packets, no teardown).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import subprocess
import threading
import time
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av

from vigie.adapters.video.synthetic.scene import Scene

__all__ = ["GST_PYTHON", "RtspFeeder", "SyntheticRtspServer", "gst_rtsp_available"]

logger = logging.getLogger(__name__)

GST_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("gst_rtsp_server.py")
START_TIMEOUT = 15.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        return int(udp.getsockname()[1])


class RtspFeeder:
    """Draws ``scene`` at its fps, encodes to H.264 and sends RTP to 127.0.0.1:``udp_port``."""

    def __init__(
        self,
        name: str,
        scene: Scene,
        udp_port: int,
        *,
        gop_seconds: float = 2.0,
        max_kbps: int = 0,
    ) -> None:
        """``max_kbps`` caps the bitrate (0: x264's default quality, no cap)."""
        self.max_kbps = max_kbps
        self.name = name
        self.scene = scene
        self.udp_port = udp_port
        self.gop_seconds = gop_seconds
        self.frames_sent = 0
        self._feeding = threading.Event()
        self._feeding.set()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rtsp-feed-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def pause(self) -> None:
        self._feeding.clear()

    def resume(self) -> None:
        self._feeding.set()

    @property
    def feeding(self) -> bool:
        return self._feeding.is_set()

    def close(self, timeout: float = 5.0) -> None:
        self._closing.set()
        self._feeding.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self._feed()
        except Exception:
            logger.exception("synthetic RTSP feeder %s stopped", self.name)

    def _feed(self) -> None:
        scene = self.scene
        rate = Fraction(scene.fps).limit_denominator(1000)
        gop = max(1, round(scene.fps * self.gop_seconds))
        url = f"rtp://127.0.0.1:{self.udp_port}?pkt_size=1200"
        with av.open(url, mode="w", format="rtp") as output:
            stream = output.add_stream("libx264", rate=rate)
            stream.width = scene.width
            stream.height = scene.height
            stream.pix_fmt = "yuv420p"
            stream.time_base = 1 / rate
            stream.codec_context.gop_size = gop
            stream.codec_context.thread_count = 1
            stream.options = {
                "preset": "ultrafast",
                "tune": "zerolatency",
                "profile": "baseline",
                "x264-params": f"repeat-headers=1:keyint={gop}:min-keyint={gop}:scenecut=0"
                + (
                    f":crf=26:vbv-maxrate={self.max_kbps}:vbv-bufsize={2 * self.max_kbps}"
                    if self.max_kbps
                    else ""
                ),
            }
            start = time.monotonic()
            index = 0
            keyframe = True
            while not self._closing.is_set():
                if not self._feeding.is_set():
                    self._feeding.wait()
                    if self._closing.is_set():
                        break
                    keyframe = True  # a decoder joining now needs SPS/PPS and an IDR
                    index = max(index, int((time.monotonic() - start) * scene.fps))
                delay = start + index / scene.fps - time.monotonic()
                if delay > 0:
                    self._closing.wait(delay)
                    continue
                frame = av.VideoFrame.from_ndarray(scene.frame(index), format="bgr24")
                frame.pts = index
                if keyframe:
                    frame.pict_type = av.video.frame.PictureType.I
                    keyframe = False
                for packet in stream.encode(frame):
                    output.mux(packet)
                self.frames_sent += 1
                index += 1
                behind = int((time.monotonic() - start) * scene.fps)
                if behind > index + scene.fps:  # more than 1 s late (busy machine): skip
                    index = behind


class SyntheticRtspServer:
    """gst-rtsp-server on 127.0.0.1 plus one live feeder per mount. Context manager.

    A client joining waits for the next IDR twice (the server's preroll, then its own decoder):
    up to 2 x ``gop_seconds``. Tests may use a shorter GOP to start faster.

    >>> with SyntheticRtspServer() as server:
    ...     url = server.add("cam1", Scene(people=1))
    """

    def __init__(
        self,
        *,
        python: str = GST_PYTHON,
        start_timeout: float = START_TIMEOUT,
        gop_seconds: float = 2.0,
        max_kbps: int = 0,
    ) -> None:
        self._python = python
        self._gop_seconds = gop_seconds
        self._max_kbps = max_kbps
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str] = queue.Queue()
        self._feeders: dict[str, RtspFeeder] = {}
        self._lock = threading.Lock()
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SyntheticRtspServer:
        if self._process is not None:
            return self
        self._process = subprocess.Popen(
            [self._python, str(SERVER_SCRIPT), "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "GST_DEBUG": os.environ.get("GST_DEBUG", "0")},
        )
        threading.Thread(target=self._read_stdout, name="rtsp-server-out", daemon=True).start()
        try:
            line = self._expect("READY", self._start_timeout)
        except Exception:
            self.close()
            raise
        self.port = int(line.split()[1])
        logger.info("synthetic RTSP server on 127.0.0.1:%d", self.port)
        return self

    def __enter__(self) -> SyntheticRtspServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            feeders = list(self._feeders.values())
            self._feeders.clear()
        for feeder in feeders:
            feeder.close()
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            try:
                process.stdin.close()  # EOF: the server quits its main loop
            except OSError as exc:
                logger.debug("RTSP server stdin already closed: %s", exc)
        try:
            process.wait(3.0)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(3.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(3.0)
        if process.stdout is not None:
            process.stdout.close()

    # -- mounts ------------------------------------------------------------------------------

    def add(self, name: str, scene: Scene) -> str:
        """Serve ``scene`` at ``rtsp://127.0.0.1:<port>/<name>`` and start feeding it."""
        if not name.isidentifier():
            raise ValueError(f"mount name must be a simple identifier: {name!r}")
        self.start()
        process = self._process
        if process is None or process.stdin is None:
            raise RuntimeError("RTSP server not running")
        with self._lock:
            if name in self._feeders:
                raise ValueError(f"mount already exists: {name}")
            udp_port = free_udp_port()
            process.stdin.write(f"ADD {name} {udp_port}\n")
            process.stdin.flush()
            self._expect(f"ADDED {name}", 5.0)
            feeder = RtspFeeder(
                name, scene, udp_port, gop_seconds=self._gop_seconds, max_kbps=self._max_kbps
            )
            self._feeders[name] = feeder
        feeder.start()
        return self.url(name)

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def feeder(self, name: str) -> RtspFeeder:
        return self._feeders[name]

    def stop_feed(self, name: str) -> None:
        """Video loss: no more packets on the mount, the RTSP sessions stay up."""
        self._feeders[name].pause()

    def start_feed(self, name: str) -> None:
        """Video back: feeding resumes with an IDR frame (SPS/PPS in-band)."""
        self._feeders[name].resume()

    # -- internals ---------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        process = self._process
        if process is None or process.stdout is None:
            return
        try:
            for line in process.stdout:
                self._lines.put(line.strip())
        except (OSError, ValueError) as exc:  # closed by close() while reading
            logger.debug("RTSP server stdout closed: %s", exc)
        self._lines.put("")  # EOF marker

    def _expect(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"RTSP server did not answer {prefix!r} in {timeout:.0f} s")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line
            if line == "" and self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"RTSP server exited with code {self._process.returncode}")


def gst_rtsp_available(python: str = GST_PYTHON) -> bool:
    """True when ``python`` can import GstRtspServer (Debian's gir1.2-gst-rtsp-server-1.0)."""
    code = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
        " from gi.repository import GstRtspServer"
    )
    try:
        result = subprocess.run([python, "-c", code], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.info("GStreamer RTSP server unavailable: %s", exc)
        return False
    return result.returncode == 0
