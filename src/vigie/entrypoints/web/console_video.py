"""The operator's video pages: the wall, one camera live with its PTZ head, the
incident's video; the video patrols' pages come from ``console_video_patrols``.

* ``GET /console/video`` (``?site=&grid=2|3|4&page=``): the mur d'images. Tiles show
  snapshots refreshed by ``video.js`` (one MJPEG stream per tile would exhaust the
  browser's six HTTP/1.1 connections per host) and the state polled from
  ``/console/video/health.json`` every two seconds.
* ``GET /console/video/{id}``: the camera live (``live.mjpg``, multipart/x-mixed-replace),
  its state, zones, a snapshot button and, when it has an ONVIF address, the PTZ pad
  posting to ``/console/video/{id}/ptz/{move|stop|goto|save}`` (CSRF as every form).
* ``GET /console/incidents/{id}/video``: the incident's cameras and recorded media.

Viewing needs "console.view"; PTZ and patrols need "queue.work". The wall, every live
stream (start, then end with its duration), every snapshot taken and every PTZ action go
to the main courante.

On scale-out (``relay``), ``live.mjpg`` and ``snapshot.jpg`` of a camera this process does
not run are relayed from the process that does (``console_video_relay``); those two routes
also serve such relayed requests, authenticated by their ``X-Vigie-Relay`` token.
"""

from __future__ import annotations

import logging
import time as clock_time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vigie.domain.errors import NotFound
from vigie.domain.video import Camera
from vigie.entrypoints.web import console, console_video_patrols, i18n_video
from vigie.entrypoints.web.actor import Principal
from vigie.entrypoints.web.console_video_pane import (
    CameraStore,
    MediaStore,
    OnvifPtz,
    VideoSupervisor,
    ViewedStream,
    ViewLog,
    health_view,
    may_act,
    may_view,
    pane_router,
    video_pane_context,
)
from vigie.entrypoints.web.console_video_relay import CameraRelay, RelayedBody, unavailable
from vigie.entrypoints.web.pages_common import ConsolePrincipal, context, lang_of, render, to_login
from vigie.entrypoints.web.relay_token import RELAY_HEADER
from vigie.services.video_patrols import VideoPatrols

__all__ = ["video_router"]

logger = logging.getLogger(__name__)

GRIDS = (2, 3, 4)
BOUNDARY = "vigieframe"
MJPEG = f"multipart/x-mixed-replace; boundary={BOUNDARY}"
PTZ_TIMEOUT = 5.0
_NO_IMAGE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360">'
    '<rect width="640" height="360" fill="#222"/><text x="320" y="185" fill="#bbb" '
    'font-family="sans-serif" font-size="28" text-anchor="middle">{text}</text></svg>'
)


def _relayed_lang(request: Request) -> str:
    """The language a relayed request asks for (the user's, chosen on their node)."""
    asked = request.query_params.get("lang", "fr")
    return asked if asked in i18n_video.VIDEO else "fr"


def _signed_in(principal: Principal | None) -> Principal:
    if principal is None:
        raise HTTPException(status_code=401, detail="authentification requise")
    may_view(principal)
    return principal


def video_router(
    supervisor: VideoSupervisor,
    cameras: CameraStore,
    *,
    media: MediaStore | None = None,
    ptz: Callable[[Camera], OnvifPtz] | None = None,
    patrols: VideoPatrols | None = None,
    media_root: Path | None = None,
    refresh_ms: int = 1000,
    relay: CameraRelay | None = None,
) -> APIRouter:
    """The video pages. ``ptz`` makes the PTZ client of a camera that has an
    ``onvif_url``; ``media_root`` resolves relative media paths; ``relay`` (scale-out)
    fetches the live view of the cameras another process runs. The main courante is the
    app's (``app.state.logbook``), read at each request."""
    router = APIRouter(include_in_schema=False, tags=["video"])
    heads: dict[str, OnvifPtz] = {}
    views = ViewLog(None)

    def view_log(request: Request) -> ViewLog:
        views.logbook = getattr(request.app.state, "logbook", None)
        return views

    def camera_of(camera_id: str) -> Camera:
        try:
            return cameras.camera(camera_id)
        except (NotFound, LookupError):
            raise HTTPException(status_code=404, detail=f"no camera {camera_id[:64]}") from None

    def site_names(request: Request, site_ids: set[str]) -> dict[str, str]:
        register = getattr(request.app.state, "register", None)
        names = {}
        for site_id in site_ids:
            site = register.site(site_id) if register is not None else None
            names[site_id] = str(site.name) if site is not None else site_id
        return names

    def tiles(request: Request, shown: list[Camera], lang: str) -> list[dict[str, Any]]:
        names = site_names(request, {c.site_id for c in shown})
        return [
            {
                "camera": camera,
                "site_name": names[camera.site_id],
                "health": health_view(supervisor, camera, camera.id, lang),
            }
            for camera in shown
        ]

    def page_values(principal: Principal, lang: str, flash: str = "") -> dict[str, Any]:
        return context(principal, lang, flash) | {
            "t": i18n_video.texts(lang),
            "refresh_ms": refresh_ms,
            "may_act": principal.user.may("queue.work"),
        }

    @router.get("/console/video", response_class=HTMLResponse)
    def wall(request: Request, principal: ConsolePrincipal) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        lang = lang_of(request, principal)
        every = cameras.cameras()
        site = request.query_params.get("site", "")
        shown = [c for c in every if not site or c.site_id == site]
        grid = int(g) if (g := request.query_params.get("grid", "3")) in ("2", "3", "4") else 3
        per_page = grid * grid
        pages = max(1, -(-len(shown) // per_page))
        asked = request.query_params.get("page", "1")
        page = min(max(int(asked) if asked.isdigit() else 1, 1), pages)
        on_page = shown[(page - 1) * per_page : page * per_page]
        if on_page:
            names = ", ".join(c.id for c in on_page)
            view_log(request).record(
                principal.actor,
                f"Mur d'images consulté ({len(on_page)} caméras : {names})",
                {"cameras": [c.id for c in on_page], "page": "/console/video", "action": "wall"},
            )
        sites = sorted(site_names(request, {c.site_id for c in every}).items())
        due = sum(b.due for b in patrols.board()) if patrols is not None else 0
        values = page_values(principal, lang) | {
            "tiles": tiles(request, on_page, lang), "patrols_due": due,
            "sites": sites, "site": site, "grid": grid, "grids": GRIDS,
            "page": page, "pages": pages, "title": i18n_video.VIDEO[lang]["video_wall"],
        }  # fmt: skip
        return render(request, "console/video_wall.html", values)

    @router.get("/console/video/health.json")
    def health_json(request: Request, principal: ConsolePrincipal) -> JSONResponse:
        _signed_in(principal)
        lang = request.query_params.get("lang", "fr")
        lang = lang if lang in i18n_video.VIDEO else "fr"
        ids = [i for i in request.query_params.get("ids", "").split(",") if i][:64]
        known = {c.id: c for c in cameras.cameras()}
        answer = {}
        for camera_id in ids:
            view = health_view(supervisor, known.get(camera_id), camera_id, lang)
            answer[camera_id] = {"state": view.state, "css": view.css, "label": view.label}
        return JSONResponse(answer)

    router.include_router(
        console_video_patrols.patrol_router(patrols, cameras, lambda c: head(c), refresh_ms)
    )

    @router.get("/console/video/{camera_id}", response_class=HTMLResponse)
    async def camera_page(
        request: Request, camera_id: str, principal: ConsolePrincipal
    ) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        lang = lang_of(request, principal)
        camera = await run_in_threadpool(camera_of, camera_id)
        presets: list[tuple[str, str]] = []
        flash = ""
        client = head(camera)
        if client is not None:
            try:
                with anyio.fail_after(PTZ_TIMEOUT):
                    presets = await client.presets()
            except Exception as exc:  # the page still shows the live image
                logger.warning("PTZ presets of %s failed: %s", camera.id, exc)
                flash = i18n_video.VIDEO[lang]["ptz_failed"]
        values = page_values(principal, lang, flash) | {
            "tile": (await run_in_threadpool(tiles, request, [camera], lang))[0],
            "ptz": client is not None, "presets": presets, "title": camera.name,
        }  # fmt: skip
        return render(request, "console/camera.html", values)

    def head(camera: Camera) -> OnvifPtz | None:
        if ptz is None or not camera.onvif_url:
            return None
        if camera.id not in heads:
            heads[camera.id] = ptz(camera)
        return heads[camera.id]

    def elsewhere(camera: Camera) -> CameraRelay | None:
        """The relay when another process runs ``camera`` (scale-out), else None."""
        if relay is None or not camera.enabled or camera.id in supervisor.camera_ids():
            return None
        return relay

    async def relayed_here(request: Request, camera_id: str, what: str) -> Response:
        """A request relayed by another node for its user: token checked, no logging
        (the user's node logs the viewing), never relayed again."""
        if relay is None:
            raise HTTPException(status_code=403, detail="relais non accepté par ce processus")
        relay.check(request, camera_id)
        camera = await run_in_threadpool(camera_of, camera_id)
        lang = _relayed_lang(request)
        if elsewhere(camera) is not None:
            return unavailable(request, lang, "moved", camera=camera.id, holder=relay.here)
        if what == "live":
            return ViewedStream(frame_parts(camera.id), lambda: None, MJPEG)
        return local_snapshot(await run_in_threadpool(supervisor.latest_jpeg, camera.id), lang)

    async def frame_parts(camera_id: str) -> AsyncIterator[bytes]:
        async for jpeg in supervisor.frames(camera_id):
            head_ = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
            yield head_.encode() + b"\r\n\r\n" + jpeg + b"\r\n"

    def local_snapshot(jpeg: bytes | None, lang: str) -> Response:
        if jpeg is None:
            text = i18n_video.VIDEO[lang]["no_image"]
            return Response(_NO_IMAGE.format(text=text), media_type="image/svg+xml")
        return Response(jpeg, media_type="image/jpeg")

    @router.get("/console/video/{camera_id}/live.mjpg")
    async def live(request: Request, camera_id: str, principal: ConsolePrincipal) -> Response:
        if RELAY_HEADER in request.headers:
            return await relayed_here(request, camera_id, "live")
        principal = _signed_in(principal)
        camera = await run_in_threadpool(camera_of, camera_id)
        relayed: RelayedBody | None = None
        media_type = MJPEG
        if (remote := elsewhere(camera)) is not None:
            upstream = await remote.live(request, principal, camera, lang_of(request, principal))
            if isinstance(upstream, Response):
                return upstream  # 503 and why: nothing viewed, nothing logged
            relayed, media_type = RelayedBody(upstream), upstream.media_type
        page = request.query_params.get("from", "camera")[:32]
        log, actor, began = view_log(request), principal.actor, clock_time.monotonic()
        data = {"camera": camera.id, "page": page, "action": "live"}
        try:
            await run_in_threadpool(
                log.record, actor,
                f"Visionnage en direct de {camera.name} ({camera.id}) depuis {page}",
                data | {"event": "start"},
            )  # fmt: skip
        except BaseException:
            if relayed is not None:  # not logged, not shown: let the holder go
                await relayed.aclose()
            raise
        body = relayed if relayed is not None else frame_parts(camera.id)

        def ended() -> None:
            seconds = round(clock_time.monotonic() - began)
            log.record(
                actor, f"Fin du visionnage en direct de {camera.name} ({camera.id}) : {seconds} s",
                data | {"event": "end", "seconds": seconds},
            )  # fmt: skip

        return ViewedStream(body, ended, media_type)

    @router.get("/console/video/{camera_id}/snapshot.jpg")
    async def snapshot(request: Request, camera_id: str, principal: ConsolePrincipal) -> Response:
        if RELAY_HEADER in request.headers:
            return await relayed_here(request, camera_id, "snapshot")
        principal = _signed_in(principal)
        camera = await run_in_threadpool(camera_of, camera_id)
        lang = lang_of(request, principal)
        if (remote := elsewhere(camera)) is not None:
            answer = await remote.snapshot(request, principal, camera, lang)
        else:
            jpeg = await run_in_threadpool(supervisor.latest_jpeg, camera.id)
            answer = local_snapshot(jpeg, lang)
        if answer.status_code != 200 or not (answer.media_type or "").startswith("image/jpeg"):
            return answer  # no image (yet), or the reason it cannot be had: nothing viewed
        seen_from = request.query_params.get("from", "")
        if seen_from.startswith("incident-") and seen_from[9:].isdigit():
            await run_in_threadpool(
                view_log(request).refreshed, principal.actor, camera, int(seen_from[9:])
            )
        if request.query_params.get("download"):
            await run_in_threadpool(
                view_log(request).record, principal.actor,
                f"Capture d'image de {camera.name} ({camera.id})",
                {"camera": camera.id, "page": "camera", "action": "snapshot"},
            )  # fmt: skip
            answer.headers["Content-Disposition"] = f'attachment; filename="{camera.id}.jpg"'
        return answer

    @router.post("/console/video/{camera_id}/ptz/{action}")
    async def ptz_action(
        request: Request,
        camera_id: str,
        action: str,
        principal: ConsolePrincipal,
        pan: Annotated[float, Form(ge=-1, le=1)] = 0.0,
        tilt: Annotated[float, Form(ge=-1, le=1)] = 0.0,
        zoom: Annotated[float, Form(ge=-1, le=1)] = 0.0,
        token: Annotated[str, Form(max_length=64)] = "",
        name: Annotated[str, Form(max_length=64)] = "",
    ) -> Response:
        principal = _signed_in(principal)
        may_act(principal)
        camera = await run_in_threadpool(camera_of, camera_id)
        client = head(camera)
        if client is None:
            raise HTTPException(status_code=404, detail=f"no PTZ head on camera {camera.id}")
        texts = {
            "move": f"déplacement (pan {pan:+.1f}, tilt {tilt:+.1f}, zoom {zoom:+.1f})",
            "stop": "arrêt", "goto": f"aller à la position {token}",
            "save": f"enregistrement de la position « {name.strip()} »",
        }  # fmt: skip
        if (
            action not in texts
            or (action == "goto" and not token)
            or (action == "save" and not name.strip())
        ):
            raise HTTPException(
                status_code=422, detail=f"unknown or incomplete PTZ action {action[:16]!r}"
            )
        result: str | None = None
        try:
            with anyio.fail_after(PTZ_TIMEOUT):
                if action == "move":
                    await client.move(pan, tilt, zoom)
                elif action == "stop":
                    await client.stop()
                elif action == "goto":
                    await client.goto_preset(token)
                else:
                    result = await client.set_preset(name.strip())
        except Exception as exc:
            logger.warning("PTZ %s on %s failed: %s", action, camera.id, exc)
            raise HTTPException(status_code=502, detail=f"PTZ: {exc}"[:200]) from None
        await run_in_threadpool(
            view_log(request).record, principal.actor,
            f"PTZ {camera.name} ({camera.id}) : {texts[action]}",
            {"camera": camera.id, "action": f"ptz.{action}", "page": "camera"},
        )  # fmt: skip
        if request.headers.get("X-Requested-With") == "fetch":
            return JSONResponse({"ok": True, "token": result if action == "save" else None})
        return RedirectResponse(f"/console/video/{camera.id}", status_code=303)

    @router.get("/console/incidents/{incident_id}/video", response_class=HTMLResponse)
    def incident_video(request: Request, incident_id: int, principal: ConsolePrincipal) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        lang = lang_of(request, principal)
        linked = _incident_cameras(request, incident_id)
        found = media.for_incident(incident_id) if media is not None else []
        linked += [m.camera_id for m in found if m.camera_id not in linked]
        known = {c.id: c for c in cameras.cameras()}
        pane = video_pane_context(
            incident_id, linked, media, supervisor, camera_store=cameras, lang=lang
        )
        values = page_values(principal, lang) | pane | {
            "tiles": tiles(request, [known[i] for i in linked if i in known], lang),
            "cameras": linked, "incident_id": incident_id, "grid": 2, "pages": 1,
            "title": f"{i18n_video.VIDEO[lang]['incident_video']} {incident_id}",
        }  # fmt: skip
        return render(request, "console/video_wall.html", values)

    router.include_router(
        pane_router(media=media, views=view_log, may_view=may_view, media_root=media_root)
    )
    return router


def _incident_cameras(request: Request, incident_id: int) -> list[str]:
    """The cameras of the incident's zones (as the incident page lists them)."""
    queue = getattr(request.app.state, "queue", None)
    register = getattr(request.app.state, "register", None)
    incident = queue.get(incident_id) if queue is not None else None
    if incident is None:
        raise HTTPException(status_code=404, detail=f"no incident {incident_id}")
    site = register.site(incident.site_id) if register is not None and incident.site_id else None
    return console._cameras(incident, site)
