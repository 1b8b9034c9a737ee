"""The live MJPEG body is what browsers and FFmpeg's mpjpeg demuxer read."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import av
import cv2
import numpy as np

from vigie.adapters.video.live import BOUNDARY, MEDIA_TYPE, multipart


def jpeg(level: int) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((48, 64, 3), level, np.uint8))
    assert ok
    return bytes(data.tobytes())


async def frames() -> AsyncIterator[bytes]:
    for level in (10, 120, 240):
        yield jpeg(level)


async def body() -> bytes:
    return b"".join([chunk async for chunk in multipart(frames())])


def test_live_body_is_a_multipart_stream_of_the_jpegs() -> None:
    data = asyncio.run(body())
    assert f"multipart/x-mixed-replace; boundary={BOUNDARY}" == MEDIA_TYPE
    assert data.count(f"--{BOUNDARY}\r\n".encode()) == 3
    with av.open(io.BytesIO(data), format="mpjpeg") as container:
        means = [f.to_ndarray(format="gray").mean() for f in container.decode(video=0)]
    assert [round(m, -1) for m in means] == [10, 120, 240]
