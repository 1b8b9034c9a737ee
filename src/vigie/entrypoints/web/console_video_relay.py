"""Live views of a camera another process runs (scale-out): relayed from its lease holder.

Each camera is decoded by one ``vigie serve`` (``services.camera_leasing``); only that
process has its latest frame. When ``live.mjpg`` or ``snapshot.jpg`` is asked of another
node, that node (the user's) checks the session and the right to view as for its own
cameras, looks the holder up in the lease tables (``CameraHolders``: name and advertised
URL), and asks the holder for the same route with an ``X-Vigie-Relay`` token naming the
user and the camera, valid 30 s (``relay_token``). The holder's answer is handed on: a
snapshot whole, a live MJPEG stream chunk by chunk as it arrives, the connection to the
holder closed when the viewer goes. The holder's images already have the privacy masks
burned in. The user's node logs the viewing; the holder, serving a relayed request, does
not, so a viewing is logged once. A relayed request is never relayed again (a camera that
moved meanwhile is a 503, not a loop).

When the camera cannot be had — nobody runs it, its holder advertises no address, does not
answer within a few seconds, or refuses — the answer is a 503 saying why, in the user's
language: an image (``<img>`` tiles show the reason) or JSON for a client that asks for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from vigie.domain.users import permissions_of
from vigie.domain.video import Camera
from vigie.entrypoints.web.actor import Principal
from vigie.entrypoints.web.relay_token import (
    RELAY_HEADER,
    RelayClaim,
    RelayTokenError,
    sign_relay_token,
    verify_relay_token,
)
from vigie.services.camera_leasing import CameraHolder, CameraHolders
from vigie.services.live_relay import RelayClient, RelayFailed, RelayStream

__all__ = ["RELAY_TEXTS", "CameraRelay", "RelayedBody", "unavailable"]

logger = logging.getLogger(__name__)

RETRY_AFTER = "5"
_DETAIL_BYTES = 600

RELAY_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "caméra indisponible",
        "no_holder": "Aucun processus ne fait tourner la caméra {camera} en ce moment "
        "(elle démarre peut-être : réessayez dans quelques secondes).",
        "starting": "La caméra {camera} vient d'être attribuée à ce processus et démarre.",
        "no_address": "Le processus {holder} fait tourner la caméra {camera} mais n'annonce "
        "pas d'adresse (VIGIE_ADVERTISE_URL) : les autres nœuds ne peuvent pas le joindre.",
        "unreachable": "Le processus {holder} qui fait tourner la caméra {camera} ne répond "
        "pas : {detail}",
        "refused": "Le processus {holder} a refusé le relais de la caméra {camera} : {detail}",
        "moved": "La caméra {camera} n'est plus tenue par ce processus ({holder}) ; réessayez.",
        "short_no_holder": "aucun processus ne la fait tourner",
        "short_starting": "démarrage en cours",
        "short_no_address": "processus sans adresse",
        "short_unreachable": "processus injoignable",
        "short_refused": "relais refusé",
        "short_moved": "caméra déplacée",
    },
    "en": {
        "title": "camera unavailable",
        "no_holder": "No process runs camera {camera} right now (it may be starting: try "
        "again in a few seconds).",
        "starting": "Camera {camera} has just been given to this process and is starting.",
        "no_address": "Process {holder} runs camera {camera} but advertises no address "
        "(VIGIE_ADVERTISE_URL): the other nodes cannot reach it.",
        "unreachable": "Process {holder}, which runs camera {camera}, does not answer: {detail}",
        "refused": "Process {holder} refused to relay camera {camera}: {detail}",
        "moved": "Camera {camera} is no longer run by this process ({holder}); try again.",
        "short_no_holder": "no process runs it",
        "short_starting": "starting",
        "short_no_address": "process without address",
        "short_unreachable": "process unreachable",
        "short_refused": "relay refused",
        "short_moved": "camera moved",
    },
}

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360">'
    "<title>{reason}</title>"
    '<rect width="640" height="360" fill="#222"/>'
    '<text x="320" y="170" fill="#e0a040" font-family="sans-serif" font-size="28" '
    'text-anchor="middle">{title}</text>'
    '<text x="320" y="210" fill="#bbb" font-family="sans-serif" font-size="20" '
    'text-anchor="middle">{short}</text></svg>'
)


def language(asked: str | None) -> str:
    return asked if asked in RELAY_TEXTS else "fr"


def unavailable(request: Request, lang: str, code: str, **values: str) -> Response:
    """503 with the reason: JSON when the client asks for it, else an image saying it."""
    words = RELAY_TEXTS[language(lang)]
    reason = words[code].format(**values)
    headers = {"Retry-After": RETRY_AFTER, "X-Vigie-Unavailable": code}
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"detail": reason, "reason": code}, status_code=503, headers=headers)
    svg = _SVG.format(
        reason=escape(reason), title=escape(words["title"]), short=escape(words[f"short_{code}"])
    )
    return Response(svg, status_code=503, media_type="image/svg+xml", headers=headers)


class RelayedBody:
    """The holder's live body as an async iterator whose ``aclose`` always closes the
    connection to the holder, even when the viewer left before the first chunk."""

    def __init__(self, stream: RelayStream) -> None:
        self._stream = stream
        self._chunks = stream.chunks()

    def __aiter__(self) -> RelayedBody:
        return self

    async def __anext__(self) -> bytes:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        closing = getattr(self._chunks, "aclose", None)
        if closing is not None:
            await closing()
        await self._stream.aclose()


@dataclass
class CameraRelay:
    """Both sides of the relay. ``here`` is this process's holder name ("" when it runs
    no camera); ``key`` the relay tokens' key (``relay_token.relay_key``)."""

    holders: CameraHolders
    client: RelayClient
    key: bytes
    here: str
    now: Callable[[], datetime]

    # -- the holder's side ----------------------------------------------------------------

    def check(self, request: Request, camera_id: str) -> RelayClaim:
        """The relayed request's claim, or 403 with the reason."""
        token = request.headers.get(RELAY_HEADER, "")
        try:
            claim = verify_relay_token(self.key, token, camera_id, self.now())
        except RelayTokenError as exc:
            source = request.client.host if request.client else "?"
            logger.warning("relay refused for %s from %s: %s", camera_id[:64], source, exc)
            raise HTTPException(status_code=403, detail=f"relais refusé : {exc}") from None
        if "console.view" not in permissions_of(claim.role):
            raise HTTPException(status_code=403, detail="relais refusé : droit console.view")
        return claim

    # -- the user's node ------------------------------------------------------------------

    async def snapshot(
        self, request: Request, principal: Principal, camera: Camera, lang: str
    ) -> Response:
        """The holder's latest image of ``camera`` (an image answer), or a 503 saying why."""
        found = await self._holder(request, camera, lang)
        if isinstance(found, Response):
            return found
        try:
            answer = await self.client.fetch(
                self._url(found, camera, "snapshot.jpg", lang), self._headers(principal, camera)
            )
        except RelayFailed as exc:
            logger.warning("snapshot of %s from %s: %s", camera.id, found.name, exc)
            return self._unreachable(request, lang, found, camera, exc)
        if answer.status != 200 or not answer.media_type.startswith("image/"):
            detail = _detail(answer.status, answer.body)
            logger.warning("snapshot of %s refused by %s: %s", camera.id, found.name, detail)
            return self._refused(request, lang, found, camera, detail)
        return Response(answer.body, media_type=answer.media_type)

    async def live(
        self, request: Request, principal: Principal, camera: Camera, lang: str
    ) -> RelayStream | Response:
        """The holder's live stream once its head has come, or a 503 saying why."""
        found = await self._holder(request, camera, lang)
        if isinstance(found, Response):
            return found
        try:
            stream = await self.client.stream(
                self._url(found, camera, "live.mjpg", lang), self._headers(principal, camera)
            )
        except RelayFailed as exc:
            logger.warning("live view of %s from %s: %s", camera.id, found.name, exc)
            return self._unreachable(request, lang, found, camera, exc)
        if stream.status != 200 or not stream.media_type.startswith("multipart/x-mixed-replace"):
            detail = _detail(stream.status, await stream.head_of_body(_DETAIL_BYTES))
            await stream.aclose()
            logger.warning("live view of %s refused by %s: %s", camera.id, found.name, detail)
            return self._refused(request, lang, found, camera, detail)
        return stream

    async def _holder(self, request: Request, camera: Camera, lang: str) -> CameraHolder | Response:
        holder = await run_in_threadpool(self.holders.holder_of, camera.id, self.now())
        if holder is None:
            return unavailable(request, lang, "no_holder", camera=camera.id)
        if holder.name == self.here:  # taken at the last renewal, its worker not yet started
            return unavailable(request, lang, "starting", camera=camera.id)
        if not holder.url:
            return unavailable(request, lang, "no_address", camera=camera.id, holder=holder.name)
        return holder

    def _headers(self, principal: Principal, camera: Camera) -> dict[str, str]:
        user = principal.user
        token = sign_relay_token(
            self.key,
            user=user.name,
            role=user.role,
            card=user.card_number,
            camera_id=camera.id,
            now=self.now(),
        )
        return {
            RELAY_HEADER: token,
            "Accept": "image/jpeg, multipart/x-mixed-replace, application/json",
        }

    @staticmethod
    def _url(holder: CameraHolder, camera: Camera, what: str, lang: str) -> str:
        return f"{holder.url}/console/video/{quote(camera.id, safe='')}/{what}?lang={lang}"

    @staticmethod
    def _unreachable(
        request: Request, lang: str, holder: CameraHolder, camera: Camera, exc: RelayFailed
    ) -> Response:
        values = {"camera": camera.id, "holder": holder.name, "detail": str(exc)}
        return unavailable(request, lang, "unreachable", **values)

    @staticmethod
    def _refused(
        request: Request, lang: str, holder: CameraHolder, camera: Camera, detail: str
    ) -> Response:
        values = {"camera": camera.id, "holder": holder.name, "detail": detail}
        return unavailable(request, lang, "refused", **values)


def _detail(status: int, body: bytes) -> str:
    """``HTTP <status>`` and the reason the holder gave (its JSON ``detail``), short."""
    text = body[:_DETAIL_BYTES].decode("utf-8", "replace")
    reason: Any = None
    try:
        reason = json.loads(text).get("detail")
    except (ValueError, AttributeError):
        reason = None
    shown = str(reason) if reason else ""
    return f"HTTP {status}" + (f" — {shown[:200]}" if shown else "")
