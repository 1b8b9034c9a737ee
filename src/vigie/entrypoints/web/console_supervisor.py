"""The supervisor's page: who holds what, escalations, operators' load, waiting counts.

``GET /console/supervisor`` needs "supervise" (supervisors, administrators); anyone else
gets a 403 page. Times to claim and to close are medians over the incidents closed since
midnight (Paris), measured from the incident's opening.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from vigie.domain.incidents import IncidentState
from vigie.entrypoints.web import i18n
from vigie.entrypoints.web.actor import today
from vigie.entrypoints.web.pages_common import (
    ConsolePrincipal,
    context,
    forbidden,
    lang_of,
    render,
    to_login,
)
from vigie.services import supervision
from vigie.services.incident_queue import IncidentQueue

__all__ = ["router"]

router = APIRouter(include_in_schema=False, tags=["console"])

_OPEN = [IncidentState.WAITING, IncidentState.CLAIMED, IncidentState.ON_HOLD]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@router.get("/console/supervisor", response_class=HTMLResponse)
def supervisor_page(request: Request, principal: ConsolePrincipal) -> Response:
    if principal is None:
        return to_login()
    if not principal.user.may("supervise"):
        return forbidden(request, principal, "droit requis : supervise")
    lang = lang_of(request, principal)
    state = request.app.state
    queue: IncidentQueue | None = getattr(state, "queue", None)
    if queue is None:
        raise HTTPException(status_code=503, detail="the incident queue is not configured")
    open_incidents = queue.waiting(_OPEN)
    midnight = datetime.combine(today(request), time(0), tzinfo=i18n.PARIS).astimezone(UTC)
    reader: supervision.ClosedReader | None = getattr(state, "supervision", None)
    closed = reader.closed_since(midnight) if reader is not None else []
    values = context(principal, lang) | {
        "holders": supervision.holders(open_incidents),
        "escalated": supervision.escalated(open_incidents),
        "load": supervision.load(open_incidents, closed),
        "waiting": supervision.waiting_by_priority(open_incidents),
        "states": i18n.STATES[lang],
        "local": i18n.paris_time,
        "duration": _duration,
    }
    return render(request, "console/supervisor.html", values)
