"""The law's video records in the console: the extraction register and legal holds.

* ``GET /console/video/extractions`` (``?camera=&from=&to=``, days in Paris, both
  included): the register, newest first, each row with its SHA-256 and, when the file is
  still there, a download link (``/api/v1/video/extractions/{id}/file``, logged by
  ``VideoExports.download``); a form to export a camera's period.
* ``POST /console/video/extractions``: the export (``VideoExports.export``: cut, hash,
  register row and main-courante entry in one transaction). Same rule as the API:
  ``EXPORT_PERMISSION`` and a valid CNAPS card, reason and recipient mandatory.
* ``GET /console/video/holds`` (``?camera=``): active and released legal holds; for
  supervisors a form to place one and, on each active hold, a release with its reason.
* ``POST /console/video/holds`` and ``POST /console/video/holds/{id}/release``:
  ``LegalHolds`` (``supervise``), each a main-courante entry.

Times typed in the forms are Paris time (``datetime-local`` sends no offset); shown
times are Paris time. A refused form answers 4xx with the page and a flash naming the
field; a missing right answers 403 with the right that is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vigie.domain.errors import InvalidValue, NotFound
from vigie.domain.video_media import Extraction
from vigie.entrypoints.web import i18n, i18n_video
from vigie.entrypoints.web.actor import CARD_REFUSALS, Principal, card_refusal
from vigie.entrypoints.web.api_cameras import EXPORT_PERMISSION
from vigie.entrypoints.web.console_video_pane import CameraStore, may_view
from vigie.entrypoints.web.pages_common import (
    ConsolePrincipal,
    context,
    forbidden,
    lang_of,
    render,
    to_login,
)
from vigie.services.logbook_period import PeriodError, parse_bound
from vigie.services.video_export import ExportError, VideoExports
from vigie.services.video_retention import LegalHolds

__all__ = ["law_router", "parse_local_time"]

logger = logging.getLogger(__name__)

SHOWN = 200  # register rows on the page
_TEXT = 500  # the domain's limit on reason, recipient, reference


class FormError(ValueError):
    """A form field the page refuses; ``field`` is the form's input name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_local_time(field: str, value: str, expected: str) -> datetime:
    """A time typed in a form (``2026-11-28T13:05`` from ``datetime-local``): Paris time
    unless it carries an offset; returned in UTC."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        moment = None
    if moment is None or len(text) < 16:  # a bare day is not a time
        raise FormError(field, expected)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=i18n.PARIS)
    return moment.astimezone(UTC)


def _size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} Mo"
    return f"{size / 1000:.1f} ko"


def law_router(exports: VideoExports, holds: LegalHolds, cameras: CameraStore) -> APIRouter:
    """The register and holds pages; ``cameras`` names the cameras in the lists and forms."""
    router = APIRouter(include_in_schema=False, tags=["video"])

    def camera_names() -> dict[str, str]:
        return {c.id: c.name for c in cameras.cameras()}

    def words(lang: str) -> Mapping[str, str]:
        return i18n_video.texts(lang)

    def refusal(lang: str, what: str, exc: FormError | InvalidValue) -> str:
        t = words(lang)
        if isinstance(exc, FormError):
            return f"{t[what]} : {t['field']} « {exc.field} » : {exc.message}"
        return f"{t[what]} : {t['field']} « {exc.field} » : {exc.expected}"

    def export_refusal(principal: Principal, request: Request) -> str | None:
        """Why this user may not export, or None (the API's rule)."""
        if not principal.user.may(EXPORT_PERMISSION):
            return f"droit requis : {EXPORT_PERMISSION}"
        refused = card_refusal(principal.user, request)
        return CARD_REFUSALS[refused] if refused is not None else None

    def base_values(principal: Principal, lang: str, flash: str) -> dict[str, Any]:
        return context(principal, lang, flash) | {
            "t": words(lang),
            "local": lambda at: i18n.paris_time(at, with_date=True),
            "camera_names": camera_names(),
        }

    # -- the extraction register ----------------------------------------------------------

    def register_page(
        request: Request,
        principal: Principal,
        flash: str = "",
        status: int = 200,
        form: Mapping[str, str] | None = None,
    ) -> Response:
        lang = lang_of(request, principal)
        t = words(lang)
        params = request.query_params
        camera = params.get("camera", "").strip()[:64]
        since_text, until_text = params.get("from", "")[:40], params.get("to", "")[:40]
        rows: list[Extraction] = []
        try:
            since = _day(since_text, "from", end=False, expected=t["bad_day"])
            until = _day(until_text, "to", end=True, expected=t["bad_day"])
        except FormError as exc:
            detail = f"{t['field']} « {exc.field} » : {exc.message}"
            flash, status = flash or t["bad_filter"].format(detail=detail), 422
        else:
            rows = exports.latest(camera_id=camera or None, limit=SHOWN, since=since, until=until)
        created = params.get("created", "")
        done = next((e for e in rows if created.isdigit() and e.id == int(created)), None)
        notice = t["export_done"].format(id=done.id, sha256=done.sha256) if done else ""
        refused = export_refusal(principal, request)
        values = base_values(principal, lang, flash) | {
            "title": t["extractions"],
            "rows": [_register_row(e) for e in rows],
            "filters": {"camera": camera, "from": since_text, "to": until_text},
            "may_export": refused is None,
            "form": dict(form or {}),
            "notice": notice,
        }
        return render(request, "console/video_extractions.html", values, status)

    @router.get("/console/video/extractions", response_class=HTMLResponse)
    def register(request: Request, principal: ConsolePrincipal) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        return register_page(request, principal)

    @router.post("/console/video/extractions")
    async def export(
        request: Request,
        principal: ConsolePrincipal,
        camera: Annotated[str, Form(max_length=64)] = "",
        start: Annotated[str, Form(max_length=40)] = "",
        end: Annotated[str, Form(max_length=40)] = "",
        recipient: Annotated[str, Form(max_length=_TEXT)] = "",
        requisition: Annotated[str, Form(max_length=_TEXT)] = "",
        reason: Annotated[str, Form(max_length=_TEXT)] = "",
    ) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        refused = export_refusal(principal, request)
        if refused is not None:
            return forbidden(request, principal, refused)
        lang = lang_of(request, principal)
        t = words(lang)
        form = {"camera": camera, "start": start, "end": end, "recipient": recipient,
                "requisition": requisition, "reason": reason}  # fmt: skip
        try:
            if camera not in await run_in_threadpool(camera_names):
                raise FormError("camera", t["unknown_camera"])
            begins = parse_local_time("start", start, t["bad_time"])
            ends = parse_local_time("end", end, t["bad_time"])
            done = await run_in_threadpool(
                exports.export, camera, begins, ends, principal.actor, reason, recipient,
                requisition,
            )  # fmt: skip
        except (FormError, InvalidValue) as exc:
            flash = refusal(lang, "export_refused", exc)
            return await run_in_threadpool(register_page, request, principal, flash, 422, form)
        except NotFound:
            flash = refusal(lang, "export_refused", FormError("camera", t["unknown_camera"]))
            return await run_in_threadpool(register_page, request, principal, flash, 422, form)
        except ExportError as exc:
            flash = f"{t['export_refused']} : {exc}"
            return await run_in_threadpool(register_page, request, principal, flash, 409, form)
        query = urlencode({"camera": camera, "created": str(done.id)})
        return RedirectResponse(f"/console/video/extractions?{query}", status_code=303)

    # -- legal holds ---------------------------------------------------------------------

    def holds_page(
        request: Request,
        principal: Principal,
        flash: str = "",
        status: int = 200,
        form: Mapping[str, str] | None = None,
    ) -> Response:
        lang = lang_of(request, principal)
        camera = request.query_params.get("camera", "").strip()[:64]
        every = holds.history(camera or None)
        values = base_values(principal, lang, flash) | {
            "title": words(lang)["holds"],
            "active": [h for h in every if h.active],
            "released": [h for h in reversed(every) if not h.active],
            "filters": {"camera": camera},
            "may_hold": principal.user.may("supervise"),
            "form": dict(form or {}),
        }
        return render(request, "console/video_holds.html", values, status)

    @router.get("/console/video/holds", response_class=HTMLResponse)
    def holds_list(request: Request, principal: ConsolePrincipal) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        return holds_page(request, principal)

    @router.post("/console/video/holds")
    def place_hold(
        request: Request,
        principal: ConsolePrincipal,
        camera: Annotated[str, Form(max_length=64)] = "",
        start: Annotated[str, Form(max_length=40)] = "",
        end: Annotated[str, Form(max_length=40)] = "",
        reference: Annotated[str, Form(max_length=_TEXT)] = "",
        reason: Annotated[str, Form(max_length=_TEXT)] = "",
    ) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        if not principal.user.may("supervise"):
            return forbidden(request, principal, "droit requis : supervise")
        lang = lang_of(request, principal)
        t = words(lang)
        form = {"camera": camera, "start": start, "end": end, "reference": reference,
                "reason": reason}  # fmt: skip
        try:
            try:
                site_id = cameras.camera(camera).site_id
            except (NotFound, LookupError):
                raise FormError("camera", t["unknown_camera"]) from None
            begins = parse_local_time("start", start, t["bad_time"])
            ends = parse_local_time("end", end, t["bad_time"])
            holds.hold(camera, begins, ends, reason, reference, principal.actor, site_id=site_id)
        except (FormError, InvalidValue) as exc:
            return holds_page(request, principal, refusal(lang, "hold_refused", exc), 422, form)
        return RedirectResponse("/console/video/holds", status_code=303)

    @router.post("/console/video/holds/{hold_id}/release")
    def release_hold(
        request: Request,
        hold_id: int,
        principal: ConsolePrincipal,
        note: Annotated[str, Form(max_length=_TEXT)] = "",
    ) -> Response:
        if principal is None:
            return to_login()
        may_view(principal)
        if not principal.user.may("supervise"):
            return forbidden(request, principal, "droit requis : supervise")
        lang = lang_of(request, principal)
        t = words(lang)
        if not note.strip():
            flash = refusal(lang, "release_refused", FormError("note", t["mandatory"]))
            return holds_page(request, principal, flash, 422)
        try:
            holds.release(hold_id, principal.actor, note=note.strip())
        except NotFound as exc:
            return holds_page(request, principal, f"{t['release_refused']} : {exc}", 409)
        return RedirectResponse("/console/video/holds", status_code=303)

    return router


def _day(value: str, field: str, *, end: bool, expected: str) -> datetime | None:
    """A filter's day (Paris); ``end``: up to the end of that day."""
    if not value.strip():
        return None
    if len(value.strip()) != 10:
        raise FormError(field, expected)
    try:
        return parse_bound(value, end=end)
    except PeriodError:
        raise FormError(field, expected) from None


def _register_row(e: Extraction) -> dict[str, Any]:
    return {
        "e": e,
        "present": Path(e.path).is_file(),
        "size": _size(e.size),
    }
