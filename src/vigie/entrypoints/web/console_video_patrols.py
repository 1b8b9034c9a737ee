"""The video patrols' pages (rondes vidéo).

* ``GET /console/video/patrols``: every patrol with today's slots (à venir, à faire, en
  retard, manquée, faite), the last runs, and for supervisors a form to define one.
* ``POST /console/video/patrols/{id}/start``: a run begins (main courante), the first
  camera is shown; a step's PTZ preset is reached before it is shown.
* ``GET /console/video/patrols/runs/{run}``: the step to confirm, the camera's image
  refreshed, the dwell time counted down by ``video.js``.
* ``POST /console/video/patrols/runs/{run}/steps/{n}``: "RAS" or "anomaly" with a note;
  each confirmed view is written to the main courante by ``VideoPatrols``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import time
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vigie.domain.errors import InvalidValue, NotFound
from vigie.domain.video import Camera
from vigie.domain.video_patrols import Patrol, PatrolRun, PatrolStep, Verdict
from vigie.entrypoints.web import i18n, i18n_video
from vigie.entrypoints.web.actor import Principal
from vigie.entrypoints.web.console_video_pane import CameraStore, OnvifPtz, may_act, may_view
from vigie.entrypoints.web.pages_common import ConsolePrincipal, context, lang_of, render, to_login
from vigie.services.video_patrols import VideoPatrols

__all__ = ["parse_patrol", "patrol_router"]

logger = logging.getLogger(__name__)

_ID = re.compile(r"[^a-z0-9]+")


def parse_patrol(name: str, cameras: str, times: str, dwell: int) -> Patrol:
    """A patrol from the form: cameras "id" or "id:preset" separated by commas or spaces,
    times "HH:MM" separated by commas."""
    steps = []
    for item in re.split(r"[,\s]+", cameras.strip()):
        if item:
            camera_id, _, preset = item.partition(":")
            steps.append(PatrolStep(camera_id, preset, dwell))
    moments: list[time] = []
    for text in re.split(r"[,\s]+", times.strip()):
        if text:
            try:
                moments.append(time.fromisoformat(text))
            except ValueError:
                raise InvalidValue("times", "times of day as HH:MM") from None
    ident = _ID.sub("-", name.strip().lower()).strip("-")[:40] or "ronde"
    return Patrol(ident, name.strip(), tuple(steps), tuple(sorted(set(moments))))


def patrol_router(
    patrols: VideoPatrols | None,
    cameras: CameraStore,
    ptz_of: Callable[[Camera], OnvifPtz | None],
    refresh_ms: int,
) -> APIRouter:
    router = APIRouter(include_in_schema=False, tags=["video"])

    def service() -> VideoPatrols:
        if patrols is None:
            raise HTTPException(status_code=503, detail="video patrols are not configured")
        return patrols

    def names() -> dict[str, str]:
        return {c.id: c.name for c in cameras.cameras()}

    def values(principal: Principal, lang: str, flash: str = "") -> dict[str, Any]:
        return context(principal, lang, flash) | {
            "t": i18n_video.texts(lang),
            "refresh_ms": refresh_ms,
            "camera_names": names(),
            "local": i18n.paris_time,
            "may_act": principal.user.may("queue.work"),
        }

    def board_page(
        request: Request, principal: Principal, flash: str = "", status: int = 200
    ) -> Response:
        lang = lang_of(request, principal)
        found = service()
        page = values(principal, lang, flash) | {
            "boards": found.board(), "runs": found.recent_runs(), "run": None,
            "title": i18n_video.VIDEO[lang]["patrols"],
        }  # fmt: skip
        return render(request, "console/patrols.html", page, status)

    async def reach(run: PatrolRun) -> None:
        """Turn a PTZ camera to the next step's preset before it is shown."""
        index = run.next_index
        if index is None or not run.steps[index].preset:
            return
        try:
            camera = await run_in_threadpool(cameras.camera, run.steps[index].camera_id)
            client = ptz_of(camera)
            if client is not None:
                with anyio.fail_after(5.0):
                    await client.goto_preset(run.steps[index].preset)
        except Exception as exc:  # the operator still sees the camera where it points
            logger.warning("patrol %s: preset of step %d not reached: %s", run.id, index, exc)

    @router.get("/console/video/patrols", response_class=HTMLResponse)
    def board(request: Request, principal: ConsolePrincipal) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        return board_page(request, principal)

    @router.post("/console/video/patrols")
    def define(
        request: Request,
        principal: ConsolePrincipal,
        name: Annotated[str, Form(max_length=200)] = "",
        cameras_text: Annotated[str, Form(alias="cameras", max_length=2000)] = "",
        times: Annotated[str, Form(max_length=500)] = "",
        dwell: Annotated[int, Form()] = 20,
    ) -> Response:
        if principal is None:
            return to_login()
        if not principal.user.may("supervise"):
            raise HTTPException(status_code=403, detail="droit requis : supervise")
        lang = lang_of(request, principal)
        try:
            patrol = parse_patrol(name, cameras_text, times, dwell)
            unknown = [s.camera_id for s in patrol.steps if s.camera_id not in names()]
            if unknown:
                raise InvalidValue("cameras", f"declared cameras (unknown: {', '.join(unknown)})")
        except InvalidValue as exc:
            flash = f"{i18n_video.VIDEO[lang]['bad_patrol']} : {exc}"
            return board_page(request, principal, flash, 422)
        service().define(patrol, principal.actor)
        return RedirectResponse("/console/video/patrols", status_code=303)

    @router.post("/console/video/patrols/{patrol_id}/start")
    async def start(request: Request, patrol_id: str, principal: ConsolePrincipal) -> Response:
        if principal is None:
            return to_login()
        may_act(principal)
        try:
            run = await run_in_threadpool(service().start, patrol_id, principal.actor)
        except NotFound:
            raise HTTPException(status_code=404, detail=f"no patrol {patrol_id[:64]}") from None
        await reach(run)
        return RedirectResponse(f"/console/video/patrols/runs/{run.id}", status_code=303)

    @router.get("/console/video/patrols/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: str, principal: ConsolePrincipal) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        return _run_page(request, principal, run_id)

    def _run_page(
        request: Request, principal: Principal, run_id: str, flash: str = "", status: int = 200
    ) -> Response:
        lang = lang_of(request, principal)
        try:
            run = service().run(run_id)
        except NotFound:
            raise HTTPException(status_code=404, detail=f"no patrol run {run_id[:64]}") from None
        index = run.next_index
        step = run.steps[index] if index is not None else None
        words = i18n_video.VIDEO[lang]
        progress = words["step_of"].format(n=(index or 0) + 1, total=len(run.steps))
        page = values(principal, lang, flash) | {
            "run": run, "step": step, "index": index, "progress": progress,
            "title": f"{words['patrol']} {run.patrol_name}",
        }  # fmt: skip
        return render(request, "console/patrols.html", page, status)

    @router.post("/console/video/patrols/runs/{run_id}/steps/{index}")
    async def confirm(
        request: Request,
        run_id: str,
        index: int,
        principal: ConsolePrincipal,
        verdict: Annotated[str, Form(max_length=16)] = "",
        note: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        if principal is None:
            return to_login()
        may_act(principal)
        try:
            chosen = Verdict(verdict)
            run = await run_in_threadpool(
                service().confirm, run_id, index, chosen, note, principal.actor
            )
        except NotFound:
            raise HTTPException(status_code=404, detail=f"no patrol run {run_id[:64]}") from None
        except (InvalidValue, ValueError) as exc:
            return await run_in_threadpool(_run_page, request, principal, run_id, str(exc), 422)
        await reach(run)
        return RedirectResponse(f"/console/video/patrols/runs/{run.id}", status_code=303)

    return router
