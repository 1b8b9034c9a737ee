"""``/api/v1/incidents``: the queue, an incident whole, and the operator's actions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from vigie.domain.incidents import (
    CallResult,
    DispatchKind,
    DispatchStage,
    Incident,
    IncidentRefused,
    IncidentState,
    Outcome,
    StepStatus,
)
from vigie.entrypoints.web.actor import CurrentActor
from vigie.entrypoints.web.api_logbook import entry_json
from vigie.services.evidence import export_evidence
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Logbook

__all__ = ["incident_json", "router"]

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


class HoldBody(BaseModel):
    minutes: float = Field(gt=0, le=24 * 60, description="how long to put it aside")
    reason: str = Field(default="", max_length=500)


class StepBody(BaseModel):
    status: StepStatus = Field(description="done or not_applicable")
    note: str = Field(default="", max_length=2000)


class CloseBody(BaseModel):
    outcome: Outcome
    comment: str = Field(min_length=1, max_length=5000)


class CallBody(BaseModel):
    contact_id: str = Field(min_length=1, max_length=64)
    result: Literal["reached", "no_answer", "voicemail"]
    word: str = Field(
        default="",
        max_length=200,
        description="the secret word as heard (reached only): checked, never stored",
    )
    phone: str = Field(default="", max_length=40, description="default: the first one")
    note: str = Field(default="", max_length=2000)


class DispatchBody(BaseModel):
    kind: DispatchKind
    provider_id: str | None = Field(default=None, max_length=64)


class DispatchStageBody(BaseModel):
    stage: Literal["on_the_way", "on_site", "finished"]
    report: str = Field(default="", max_length=5000, description="needed to finish")


class BackToNormalBody(BaseModel):
    rearmed: bool
    checked: bool


def _queue(request: Request) -> IncidentQueue:
    queue: IncidentQueue | None = getattr(request.app.state, "queue", None)
    if queue is None:
        raise HTTPException(status_code=503, detail="the incident queue is not configured")
    return queue


def _refused(exc: Exception) -> HTTPException:
    if isinstance(exc, LookupError):
        return HTTPException(status_code=404, detail=str(exc).strip("'\""))
    return HTTPException(status_code=409, detail=str(exc))


@router.get("", summary="Incidents in queue order (priority, then age)")
def list_incidents(
    request: Request,
    state: Annotated[list[IncidentState] | None, Query(description="default: open ones")] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="default: all (open ones are never cut)")
    ] = None,
) -> list[dict[str, Any]]:
    return [incident_json(i) for i in _queue(request).waiting(state, limit)]


@router.post("/next", summary="Take the most urgent waiting incident")
def take_next(request: Request, actor: CurrentActor) -> dict[str, Any]:
    incident = _queue(request).claim_next(actor)
    if incident is None:
        raise HTTPException(status_code=404, detail="no incident is waiting")
    _changed(request, incident.id)
    return incident_json(incident)


@router.get("/{incident_id}", summary="One incident: alarms, procedure steps, logbook entries")
def get_incident(request: Request, incident_id: int) -> dict[str, Any]:
    incident = _queue(request).get(incident_id)
    if incident is None:
        raise HTTPException(status_code=404, detail=f"no incident {incident_id}")
    body = incident_json(incident)
    logbook: Logbook | None = getattr(request.app.state, "logbook", None)
    if logbook is not None:
        entries = logbook.search(incident_id=incident_id, limit=1000)
        body["logbook"] = [entry_json(e) for e in entries]
    return body


@router.get(
    "/{incident_id}/evidence.pdf",
    summary="The evidence bundle (PDF): levée de doute, timeline, main courante with hashes",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def evidence(request: Request, incident_id: int, actor: CurrentActor) -> Response:
    """Each export is itself written to the main courante (who, when, the file's SHA-256)."""
    incident = _queue(request).get(incident_id)
    if incident is None:
        raise HTTPException(status_code=404, detail=f"no incident {incident_id}")
    logbook: Logbook | None = getattr(request.app.state, "logbook", None)
    if logbook is None:
        raise HTTPException(status_code=503, detail="the logbook is not configured")
    register = getattr(request.app.state, "register", None)
    site = register.site(incident.site_id) if register is not None and incident.site_id else None
    station = str(getattr(request.app.state, "station_name", "Vigie"))
    pdf = export_evidence(incident, site, logbook, actor, station=station)
    name = f"preuves_incident_{incident_id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/{incident_id}/claim", summary="Take an incident (one holder at a time)")
def claim(request: Request, incident_id: int, actor: CurrentActor) -> dict[str, Any]:
    return _act(lambda q: q.claim(incident_id, actor), request)


@router.post("/{incident_id}/release", summary="Put it back in the queue")
def release(request: Request, incident_id: int, actor: CurrentActor) -> dict[str, Any]:
    return _act(lambda q: q.release(incident_id, actor), request)


@router.post("/{incident_id}/hold", summary="Put it aside with a timer")
def hold(request: Request, incident_id: int, body: HoldBody, actor: CurrentActor) -> dict[str, Any]:
    return _act(lambda q: q.hold(incident_id, actor, body.minutes, body.reason), request)


@router.post("/{incident_id}/steps/{number}", summary="Mark a procedure step")
def step(
    request: Request, incident_id: int, number: int, body: StepBody, actor: CurrentActor
) -> dict[str, Any]:
    if body.status is StepStatus.OPEN:
        raise HTTPException(status_code=422, detail="status: expected done or not_applicable")
    return _act(lambda q: q.step(incident_id, actor, number, body.status, body.note), request)


@router.post("/{incident_id}/close", summary="Close with an outcome and a comment")
def close(
    request: Request, incident_id: int, body: CloseBody, actor: CurrentActor
) -> dict[str, Any]:
    return _act(lambda q: q.close(incident_id, actor, body.outcome, body.comment), request)


@router.post("/{incident_id}/calls", summary="Record a call attempt (and check a secret word)")
def call(request: Request, incident_id: int, body: CallBody, actor: CurrentActor) -> dict[str, Any]:
    result = CallResult(body.result)
    return _act(
        lambda q: q.call(
            incident_id, actor, body.contact_id, result, body.word, body.phone, body.note
        )[0],
        request,
    )


@router.post("/{incident_id}/dispatches", summary="Request a provider, the police or the fire")
def dispatch(
    request: Request, incident_id: int, body: DispatchBody, actor: CurrentActor
) -> dict[str, Any]:
    return _act(lambda q: q.dispatch(incident_id, actor, body.kind, body.provider_id)[0], request)


@router.post("/{incident_id}/dispatches/{number}", summary="A dispatch's next time")
def dispatch_progress(
    request: Request, incident_id: int, number: int, body: DispatchStageBody, actor: CurrentActor
) -> dict[str, Any]:
    stage = DispatchStage(body.stage)
    return _act(
        lambda q: q.dispatch_progress(incident_id, actor, number, stage, body.report)[0], request
    )


@router.post("/{incident_id}/back-to-normal", summary="The back-to-normal checklist")
def back_to_normal(
    request: Request, incident_id: int, body: BackToNormalBody, actor: CurrentActor
) -> dict[str, Any]:
    return _act(lambda q: q.back_to_normal(incident_id, actor, body.rearmed, body.checked), request)


def _act(action: Any, request: Request) -> dict[str, Any]:
    try:
        incident: Incident = action(_queue(request))
    except (IncidentRefused, LookupError) as exc:
        raise _refused(exc) from None
    _changed(request, incident.id)
    return incident_json(incident)


def _changed(request: Request, incident_id: int | None) -> None:
    """Wake the consoles (``live.LiveHub``): this incident changed."""
    hub = getattr(request.app.state, "live", None)
    if hub is not None:
        hub.notify(None if incident_id is None else (incident_id,))


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "site_id": incident.site_id,
        "state": incident.state.value,
        "priority": incident.priority,
        "title": incident.title,
        "holder": incident.holder,
        "hold_until": _time(incident.hold_until),
        "escalated": incident.escalated_at is not None,
        "times": {
            "received": _time(incident.opened_at),
            "first_displayed": _time(incident.first_displayed_at),
            "claimed": _time(incident.claimed_at),
            "first_action": _time(incident.first_action_at),
            "dispatched": _time(incident.dispatched_at),
            "escalated": _time(incident.escalated_at),
            "closed": _time(incident.closed_at),
        },
        "outcome": incident.outcome.value if incident.outcome else None,
        "comment": incident.comment,
        "closed_by": incident.closed_by,
        "alarms": [
            {
                "id": a.id,
                "kind": a.kind.value,
                "code": a.code,
                "description": a.description,
                "account": a.account,
                "zone": a.zone,
                "zone_label": a.zone_label,
                "partition": a.partition,
                "user": a.user,
                "user_name": a.user_name,
                "count": a.count,
                "raised_at": _time(a.raised_at),
                "last_at": _time(a.last_at),
                "restored_at": _time(a.restored_at),
                "signal_ids": a.signal_ids,
            }
            for a in incident.alarms
        ],
        "steps": [
            {
                "number": s.number,
                "kind": s.kind.value,
                "text": s.text,
                "mandatory": s.mandatory,
                "status": s.status.value,
                "note": s.note,
                "by": s.by,
                "at": _time(s.at),
            }
            for s in incident.steps
        ],
        "duress": incident.duress,
        "calls": [
            {
                "contact_id": c.contact_id,
                "contact_name": c.contact_name,
                "phone": c.phone,
                "result": c.result.value,
                "at": _time(c.at),
                "by": c.by,
                "note": c.note,
            }
            for c in incident.calls
        ],
        "dispatches": [
            {
                "number": n,
                "kind": d.kind.value,
                "provider_id": d.provider_id,
                "provider_name": d.provider_name,
                "stage": d.stage.value,
                "by": d.by,
                "requested_at": _time(d.requested_at),
                "on_the_way_at": _time(d.on_the_way_at),
                "on_site_at": _time(d.on_site_at),
                "finished_at": _time(d.finished_at),
                "report": d.report,
            }
            for n, d in enumerate(incident.dispatches, 1)
        ],
        "back_to_normal": {
            "restored": incident.restored,
            "rearmed": incident.back_to_normal.rearmed,
            "checked": incident.back_to_normal.checked,
            "by": incident.back_to_normal.by,
            "at": _time(incident.back_to_normal.at),
        },
        "verifications": incident.verifications(),
    }
