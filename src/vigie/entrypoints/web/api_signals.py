"""``GET /api/v1/signals``: the signal journal, as JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from vigie.domain.signals import SignalRecord, StoredSignal
from vigie.services.ports import SignalFilter, SignalReader

__all__ = ["router", "signal_json"]

router = APIRouter(prefix="/api/v1", tags=["signals"])


def _reader(request: Request) -> SignalReader:
    reader: SignalReader = request.app.state.signal_reader
    return reader


@router.get("/signals", summary="Frames received, newest first (or oldest first with order=asc)")
def list_signals(
    request: Request,
    account: Annotated[str | None, Query(max_length=32, description="transmitter account")] = None,
    since: Annotated[
        datetime | None, Query(description="ISO-8601 time; naive times are taken as UTC")
    ] = None,
    after_id: Annotated[
        int | None, Query(ge=0, description="only signals with a larger id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
) -> list[dict[str, Any]]:
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if since is not None and since.year < 1970:
        raise HTTPException(status_code=422, detail="since: expected a time after 1970")
    query = SignalFilter(
        account=account, since=since, after_id=after_id, limit=limit, newest_first=order == "desc"
    )
    return [signal_json(stored, record) for stored, record in _reader(request).list(query)]


def signal_json(stored: StoredSignal, record: SignalRecord) -> dict[str, Any]:
    return {
        "id": stored.id,
        "received_at": record.received_at.isoformat(),
        "listener": record.listener,
        "transport": record.transport.value,
        "peer": record.peer,
        "protocol": record.token,
        "encrypted": record.encrypted,
        "sequence": record.sequence,
        "receiver": record.receiver,
        "prefix": record.prefix,
        "account": record.account,
        "known_account": record.known_account,
        "panel_time": record.panel_time.isoformat() if record.panel_time else None,
        "events": [event.as_dict() for event in record.events],
        "extended": [{"type": letter, "value": value} for letter, value in record.extended],
        "raw": record.raw.decode("latin-1"),
        "reply_kind": record.reply_kind,
        "reply": record.reply.decode("latin-1"),
        "error": record.error,
        "detail": record.detail,
        "duplicate": stored.duplicate,
        "duplicate_of": stored.duplicate_of,
    }
