"""A synthetic MJPEG-over-HTTP camera: many cheap IP cameras and encoders speak only this.

A stdlib ThreadingHTTPServer on 127.0.0.1:<free port> serves ``/video.mjpg``
(multipart/x-mixed-replace, readable by ``av.open(url, format="mpjpeg")`` and OpenCV) and
``/snapshot.jpg`` from a Scene. One producer thread draws and JPEG-encodes at the scene's pace;
every client gets the latest picture.
"""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import cv2

from vigie.adapters.video.synthetic.scene import Scene

__all__ = ["MjpegCamera"]

logger = logging.getLogger(__name__)

BOUNDARY = "frame"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        camera = self.server.camera
        path = self.path.split("?", 1)[0]
        if path == "/snapshot.jpg":
            jpeg, _ = camera.latest(timeout=5.0)
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(jpeg)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(jpeg)
        elif path == "/video.mjpg":
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = -1
            try:
                while not camera.closed:
                    jpeg, seen = camera.next_after(seen, timeout=2.0)
                    if not camera.feeding:
                        continue
                    self.wfile.write(
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                        f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                        + jpeg
                        + b"\r\n"
                    )
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError) as exc:
                logger.debug("MJPEG client left: %s", exc)
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("mjpeg %s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    camera: MjpegCamera


class MjpegCamera:
    """Serves ``scene`` as MJPEG at ``.url`` (``/video.mjpg``) and ``.snapshot_url``."""

    def __init__(self, scene: Scene, fps: float = 10.0, *, quality: int = 80) -> None:
        self.scene = scene
        self.fps = fps
        self.quality = quality
        self.closed = False
        self._feeding = True
        self._cond = threading.Condition()
        self._jpeg = b""
        self._seq = -1
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.camera = self
        self.port = int(self._server.server_address[1])
        self._threads = [
            threading.Thread(target=self._produce, name="mjpeg-producer", daemon=True),
            threading.Thread(
                target=self._server.serve_forever, args=(0.1,), name="mjpeg-http", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()
        logger.info("synthetic MJPEG camera on 127.0.0.1:%d", self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    @property
    def snapshot_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/snapshot.jpg"

    @property
    def feeding(self) -> bool:
        return self._feeding

    def stop_feed(self) -> None:
        """Video loss: the stream stays open but no more pictures are sent."""
        self._feeding = False

    def start_feed(self) -> None:
        self._feeding = True

    def latest(self, timeout: float) -> tuple[bytes, int]:
        return self.next_after(-1, timeout)

    def next_after(self, seq: int, timeout: float) -> tuple[bytes, int]:
        """The first picture newer than ``seq`` (or the latest after ``timeout``)."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq > seq or self.closed, timeout)
            return self._jpeg, self._seq

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with self._cond:
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(5.0)

    def __enter__(self) -> MjpegCamera:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _produce(self) -> None:
        start = time.monotonic()
        index = 0
        params = [cv2.IMWRITE_JPEG_QUALITY, self.quality]
        while not self.closed:
            delay = start + index / self.fps - time.monotonic()
            if delay > 0:
                time.sleep(min(delay, 0.2))
                continue
            scene_index = int((time.monotonic() - start) * self.scene.fps)
            ok, encoded = cv2.imencode(".jpg", self.scene.frame(scene_index), params)
            if not ok:
                logger.error("JPEG encoding failed for the synthetic MJPEG camera")
                continue
            with self._cond:
                self._jpeg = encoded.tobytes()
                self._seq += 1
                self._cond.notify_all()
            index = max(index + 1, int((time.monotonic() - start) * self.fps))
