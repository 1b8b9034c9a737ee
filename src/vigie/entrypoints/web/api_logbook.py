"""``/api/v1/logbook``: read, add to, correct, verify and export the main courante.

Who writes is the signed-in user (``actor.current_actor``: session, role, CNAPS card and
client address); every entry is attributable (design invariant 4).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from vigie.domain.errors import InvalidValue, NotFound
from vigie.domain.logbook import LogEntry, LogKind, format_time
from vigie.entrypoints.web.actor import CurrentActor
from vigie.services.logbook import Logbook
from vigie.services.logbook_export import export_csv, export_pdf, paris_time
from vigie.services.logbook_period import PeriodError, describe_period, parse_bound

__all__ = ["entry_json", "router"]

router = APIRouter(prefix="/api/v1/logbook", tags=["logbook"])


class ManualEntry(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    site_id: str | None = Field(default=None, max_length=64)
    incident_id: int | None = Field(default=None, ge=1)
    data: dict[str, Any] = Field(default_factory=dict)


class Correction(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    data: dict[str, Any] = Field(default_factory=dict)


def _logbook(request: Request) -> Logbook:
    logbook: Logbook | None = getattr(request.app.state, "logbook", None)
    if logbook is None:
        raise HTTPException(status_code=503, detail="the logbook is not configured")
    return logbook


def _bounds(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    try:
        return parse_bound(since, end=False), parse_bound(until, end=True)
    except PeriodError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.get("", summary="Entries matching the filters, oldest first")
def search(
    request: Request,
    site: Annotated[str | None, Query(max_length=64)] = None,
    incident: Annotated[int | None, Query(ge=1)] = None,
    author: Annotated[str | None, Query(max_length=128)] = None,
    q: Annotated[str | None, Query(max_length=200, description="text, any case")] = None,
    kind: LogKind | None = None,
    since: Annotated[
        str | None, Query(alias="from", description="YYYY-MM-DD (Paris day) or ISO time")
    ] = None,
    until: Annotated[
        str | None, Query(alias="to", description="YYYY-MM-DD (included) or ISO time")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after_id: Annotated[int | None, Query(ge=0)] = None,
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> list[dict[str, Any]]:
    start, end = _bounds(since, until)
    entries = _logbook(request).search(
        site_id=site,
        incident_id=incident,
        author=author,
        text=q,
        kind=kind,
        since=start,
        until=end,
        limit=limit,
        after_id=after_id,
        newest_first=order == "desc",
    )
    return [entry_json(e) for e in entries]


@router.post("", status_code=201, summary="Add a manual entry")
def add(
    request: Request,
    body: ManualEntry,
    actor: CurrentActor,
) -> dict[str, Any]:
    try:
        entry = _logbook(request).manual(
            body.text,
            actor,
            site_id=body.site_id,
            incident_id=body.incident_id,
            data=body.data,
        )
    except InvalidValue as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return entry_json(entry)


@router.get("/verify", summary="Check the whole hash chain")
def verify(request: Request) -> dict[str, Any]:
    check = _logbook(request).verify()
    if check.first_break is None:
        return {"ok": True, "entries": check.entries, "last_hash": check.last_hash}
    broken = check.first_break
    return {
        "ok": False,
        "entries": check.entries,
        "break": {
            "id": broken.entry_id,
            "at": format_time(broken.at),
            "kind": str(broken.kind),
            "detail": broken.detail,
        },
    }


@router.get("/export", summary="The entries of a period as CSV (Excel) or PDF")
def export(
    request: Request,
    since: Annotated[str | None, Query(alias="from")] = None,
    until: Annotated[str | None, Query(alias="to")] = None,
    format: Annotated[Literal["csv", "pdf"], Query()] = "csv",
) -> Response:
    start, end = _bounds(since, until)
    logbook = _logbook(request)
    name = f"main-courante_{since or 'debut'}_{until or 'fin'}".replace(":", "")
    if format == "csv":
        text = io.StringIO(newline="")
        export_csv(logbook.period(start, end), text)
        return Response(
            text.getvalue().encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    station = str(getattr(request.app.state, "station_name", "Vigie"))
    pdf = io.BytesIO()
    export_pdf(
        logbook.period(start, end),
        pdf,
        "Main courante",
        describe_period(start, end),
        station=station,
        generated_at=logbook.now(),
    )
    return Response(
        pdf.getvalue(),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@router.get("/{entry_id}", summary="One entry")
def get(request: Request, entry_id: int) -> dict[str, Any]:
    entry = _logbook(request).get(entry_id)
    if entry is None:
        raise HTTPException(status_code=404, detail=f"logbook entry {entry_id} does not exist")
    return entry_json(entry)


@router.post("/{entry_id}/corrections", status_code=201, summary="Correct an entry")
def correct(
    request: Request,
    entry_id: int,
    body: Correction,
    actor: CurrentActor,
) -> dict[str, Any]:
    try:
        entry = _logbook(request).correct(entry_id, body.text, actor, data=body.data)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except InvalidValue as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return entry_json(entry)


def entry_json(entry: LogEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": format_time(entry.at),
        "at_local": paris_time(entry.at),
        "kind": str(entry.kind),
        "text": entry.text,
        "author": entry.author,
        "role": entry.role,
        "card_number": entry.card_number,
        "source": entry.source,
        "site_id": entry.site_id,
        "incident_id": entry.incident_id,
        "data": dict(entry.data),
        "corrects": entry.corrects,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
