"""Live view over plain HTTP: the supervisor's JPEGs as a ``multipart/x-mixed-replace`` body.

MJPEG in an ``<img>`` works in every browser with no script and costs the server only the
JPEG encode, shared by all viewers of a camera (reference/video.md §4). The web layer returns
``StreamingResponse(multipart(supervisor.frames(camera_id)), media_type=MEDIA_TYPE)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

__all__ = ["BOUNDARY", "MEDIA_TYPE", "multipart", "part"]

BOUNDARY = "vigieframe"
MEDIA_TYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"


def part(jpeg: bytes) -> bytes:
    """One body part: boundary, headers, the JPEG."""
    head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    return head.encode("ascii") + jpeg + b"\r\n"


async def multipart(frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The body of a live MJPEG response, one part per JPEG of ``frames``."""
    async for jpeg in frames:
        yield part(jpeg)
