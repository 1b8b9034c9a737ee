"""``POST /api/v1/video/events``: a video event from an outside system (NVR, VMS, script).

Authenticated by a bearer token (the ``webhook_token`` setting): only its SHA-256 is kept
and compared in constant time. The answer is 202 once the signal is durable in the
journal, with its id; 401 without the token; 422 naming the field for bad input; 413 for
a body over the limit. An unknown camera is accepted and kept (the processor raises an
"unknown" alarm for it): an event is never refused for the register's sake.

Body (JSON): ``camera`` (id or NVR name), ``code`` (a VideoCode: MOTION, PERSON,
FROZEN...) or ``label`` (person -> PERSON, anything else -> OBJECT), ``state``
("start" / "end") or ``restore`` (bool), ``time`` (ISO-8601, naive = UTC; default now),
``detail``, ``score``, ``snapshot`` (base64 JPEG), ``snapshot_url``, ``clip_url``, ``id``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vigie.domain.signals import StoredSignal
from vigie.domain.video import Camera, VideoCode, VideoEvent, VideoSource

__all__ = ["MAX_BODY", "VideoEventSink", "video_events_router"]

log = logging.getLogger(__name__)

MAX_BODY = 8 * 1024 * 1024  # a base64 snapshot of a 4K frame fits
_MAX_TEXT = 500


class VideoEventSink(Protocol):
    async def receive(self, event: VideoEvent) -> StoredSignal: ...

    def resolve_camera(self, name: str) -> Camera | None: ...


class _Bad(ValueError):
    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field}: {expected}")
        self.field, self.expected = field, expected


def video_events_router(
    signals: VideoEventSink, token: str, clock: Callable[[], datetime]
) -> APIRouter:
    """The router; mount it without the console's session guard (it has its own token)."""
    if not token or len(token) < 16:
        raise ValueError("webhook_token: expected at least 16 characters")
    digest = hashlib.sha256(token.encode()).digest()
    router = APIRouter(prefix="/api/v1/video", tags=["video"])

    @router.post(
        "/events",
        status_code=202,
        summary="Store a video event (bearer token); 202 once durable",
    )
    async def post_event(request: Request) -> JSONResponse:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        offered = hashlib.sha256(value.strip().encode()).digest()
        if scheme.lower() != "bearer" or not hmac.compare_digest(offered, digest):
            return JSONResponse(
                {"detail": "bearer token required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"detail": f"body over {MAX_BODY} bytes"}, status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise _Bad("body", "a JSON object")
            event, camera = _event(data, signals, clock)
        except json.JSONDecodeError:
            return _unprocessable("body", "a JSON object")
        except _Bad as bad:
            return _unprocessable(bad.field, bad.expected)
        if camera is None:
            log.warning("webhook video event from an unknown camera %r", event.camera_id[:64])
        stored = await signals.receive(event)
        return JSONResponse(
            {
                "id": stored.id,
                "duplicate_of": stored.duplicate_of,
                "camera": event.camera_id,
                "known_camera": camera is not None,
            },
            status_code=202,
        )

    return router


def _unprocessable(field: str, expected: str) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"loc": ["body", field], "msg": f"expected {expected}", "field": field}]},
        status_code=422,
    )


def _text(
    data: dict[str, Any], name: str, *, required: bool = False, limit: int = _MAX_TEXT
) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        what = "a non-empty string" if required else "a string"
        raise _Bad(name, f"{what} of at most {limit} characters")
    return value.strip()


def _code(data: dict[str, Any]) -> VideoCode:
    code, label = data.get("code"), data.get("label")
    if code is not None:
        if not isinstance(code, str):
            raise _Bad("code", "one of " + ", ".join(c.value for c in VideoCode))
        try:
            return VideoCode(code.strip().upper())
        except ValueError:
            raise _Bad("code", "one of " + ", ".join(c.value for c in VideoCode)) from None
    if isinstance(label, str) and label.strip():
        return VideoCode.PERSON if label.strip().lower() == "person" else VideoCode.OBJECT
    raise _Bad("code", "a code (MOTION, PERSON, FROZEN...) or a label")


def _restore(data: dict[str, Any]) -> bool:
    if "restore" in data:
        value = data["restore"]
        if not isinstance(value, bool):
            raise _Bad("restore", "true or false")
        return bool(value)
    state = data.get("state", "start")
    if state not in ("start", "end"):
        raise _Bad("state", "start or end")
    return bool(state == "end")


def _time(data: dict[str, Any], clock: Callable[[], datetime]) -> datetime:
    value = data.get("time")
    if value is None:
        return clock()
    try:
        if not isinstance(value, str):
            raise ValueError
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad("time", "an ISO-8601 time") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _score(data: dict[str, Any]) -> float | None:
    value = data.get("score")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _Bad("score", "a number from 0 to 1")
    return float(value)


def _snapshot(data: dict[str, Any]) -> bytes | None:
    value = data.get("snapshot")
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        jpeg = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise _Bad("snapshot", "a base64 JPEG") from None
    if not jpeg.startswith(b"\xff\xd8"):
        raise _Bad("snapshot", "a base64 JPEG")
    return jpeg


def _url(data: dict[str, Any], name: str) -> str:
    url = _text(data, name, limit=1000)
    if url and not url.startswith(("http://", "https://")):
        raise _Bad(name, "an http:// or https:// URL")
    return url


def _event(
    data: dict[str, Any], signals: VideoEventSink, clock: Callable[[], datetime]
) -> tuple[VideoEvent, Camera | None]:
    name = _text(data, "camera", required=True, limit=64)
    camera = signals.resolve_camera(name)
    event = VideoEvent(
        camera_id=camera.id if camera is not None else name,
        code=_code(data),
        at=_time(data, clock),
        source=VideoSource.WEBHOOK,
        restore=_restore(data),
        detail=_text(data, "detail"),
        score=_score(data),
        snapshot_jpeg=_snapshot(data),
        snapshot_url=_url(data, "snapshot_url"),
        clip_url=_url(data, "clip_url"),
        external_id=_text(data, "id", limit=128),
    )
    return event, camera
