"""Incidents and alarms in SQL, and the queue's concurrency rules.

One holder at a time: every change to an incident happens in a write transaction that
first locks the incident row (``FOR UPDATE`` on PostgreSQL, the database write lock on
SQLite), then runs the domain's state machine, then writes. "Take the next incident"
uses ``FOR UPDATE SKIP LOCKED`` so that two operators asking at once get two different
incidents instead of waiting on each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, select, update

from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.adapters.db.incident_tables import alarms, incidents
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.domain.incidents import (
    Alarm,
    AlarmOf,
    BackToNormal,
    CallAttempt,
    CallResult,
    Dispatch,
    DispatchKind,
    Incident,
    IncidentState,
    Outcome,
    StepState,
    StepStatus,
)
from vigie.domain.logbook import LogDraft
from vigie.domain.register import AlarmKind, StepKind

__all__ = ["MAX_SIGNAL_IDS", "SqlIncidents"]

T = TypeVar("T")
_OPEN = (IncidentState.WAITING.value, IncidentState.CLAIMED.value, IncidentState.ON_HOLD.value)


LogFor = Callable[[Incident, Any], Sequence[LogDraft]]

# A flooded alarm keeps its count; only the latest signal ids are listed with it.
MAX_SIGNAL_IDS = 50


class SqlIncidents:
    """``logbook`` given: the entries an action returns are appended in its transaction."""

    def __init__(self, engine: Engine, logbook: SqlLogbook | None = None) -> None:
        self._engine = engine
        self._logbook = logbook

    # -- reads --------------------------------------------------------------------

    def get(self, incident_id: int) -> Incident | None:
        with self._engine.connect() as conn:
            return self.load(conn, incident_id)

    def in_states(
        self, states: Sequence[IncidentState] | None = None, limit: int | None = None
    ) -> list[Incident]:
        """Incidents in queue order: priority, then age. No limit by default: an open
        incident past any cut-off would be an alarm nobody sees."""
        wanted = [s.value for s in states] if states else list(_OPEN)
        query = (
            select(incidents)
            .where(incidents.c.state.in_(wanted))
            .order_by(incidents.c.priority, incidents.c.opened_at, incidents.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
            return self._with_alarms(conn, rows)

    # -- writes -------------------------------------------------------------------

    def change(
        self, incident_id: int, action: Callable[[Incident], T], log: LogFor | None = None
    ) -> tuple[Incident, T]:
        """Lock one incident, apply ``action`` (domain rules may refuse), store it, and
        append what ``log`` says about it to the main courante in the same transaction."""
        with self.locked(incident_id) as (conn, incident):
            result = action(incident)
            self.save(conn, incident)
            self._log(conn, log, incident, result)
            return incident, result

    def _log(self, conn: Connection, log: LogFor | None, incident: Incident, result: Any) -> None:
        if log is not None and self._logbook is not None:
            self._logbook.append_in(conn, log(incident, result))

    @contextmanager
    def locked(self, incident_id: int) -> Iterator[tuple[Connection, Incident]]:
        with write_transaction(self._engine) as conn:
            incident = self.load(conn, incident_id, for_update=True)
            if incident is None:
                raise LookupError(f"no incident {incident_id}")
            yield conn, incident

    def claim_next(self, user: str, now: datetime, log: LogFor | None = None) -> Incident | None:
        """Give the most urgent waiting incident to ``user``; None when the queue is empty."""
        query = (
            select(incidents.c.id)
            .where(incidents.c.state == IncidentState.WAITING.value)
            .order_by(incidents.c.priority, incidents.c.opened_at, incidents.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with write_transaction(self._engine) as conn:
            found = conn.execute(query).scalar()
            if found is None:
                return None
            incident = self.load(conn, int(found))
            assert incident is not None
            incident.claim(user, now)
            self.save(conn, incident)
            self._log(conn, log, incident, None)
            return incident

    def insert(self, conn: Connection, incident: Incident) -> Incident:
        row = _incident_row(incident)
        incident.id = int(
            conn.execute(incidents.insert().returning(incidents.c.id), row).scalar_one()
        )
        for alarm in incident.alarms:
            self.insert_alarm(conn, incident.id, alarm, key=_alarm_key(alarm))
        return incident

    def insert_alarm(self, conn: Connection, incident_id: int, alarm: Alarm, key: str) -> Alarm:
        row = _alarm_row(alarm) | {"incident_id": incident_id, "key": key}
        alarm.id = int(conn.execute(alarms.insert().returning(alarms.c.id), row).scalar_one())
        return alarm

    def save(self, conn: Connection, incident: Incident) -> None:
        assert incident.id is not None
        conn.execute(
            update(incidents).where(incidents.c.id == incident.id).values(_incident_row(incident))
        )
        for alarm in incident.alarms:
            if alarm.id is None:
                self.insert_alarm(conn, incident.id, alarm, key=_alarm_key(alarm))
            else:
                conn.execute(
                    update(alarms).where(alarms.c.id == alarm.id).values(_alarm_row(alarm))
                )

    def due(self, now: datetime, unclaimed_since: datetime) -> list[Incident]:
        """Incidents a queue tick must look at: holds that ran out, and incidents waiting
        since before ``unclaimed_since`` not yet escalated — found without loading the
        whole queue."""
        query = select(incidents).where(
            ((incidents.c.state == IncidentState.ON_HOLD.value) & (incidents.c.hold_until <= now))
            | (
                (incidents.c.state == IncidentState.WAITING.value)
                & incidents.c.escalated_at.is_(None)
                & (incidents.c.opened_at <= unclaimed_since)
            )
        )
        with self._engine.connect() as conn:
            return self._with_alarms(conn, list(conn.execute(query.order_by(incidents.c.id))))

    def save_alarm(self, conn: Connection, alarm: Alarm) -> None:
        """Update one alarm row (a repeat, a restore) without rewriting its incident."""
        assert alarm.id is not None
        conn.execute(update(alarms).where(alarms.c.id == alarm.id).values(_alarm_row(alarm)))

    # -- the processor's lookups (inside its transaction) ---------------------------

    def open_for_site(
        self, conn: Connection, site_id: str | None, account: str | None
    ) -> Incident | None:
        """The site's open incident (for an unknown transmitter: that account's)."""
        query = select(incidents.c.id).where(incidents.c.state.in_(_OPEN))
        if site_id is not None:
            query = query.where(incidents.c.site_id == site_id)
        else:
            query = query.where(
                incidents.c.site_id.is_(None),
                incidents.c.id.in_(select(alarms.c.incident_id).where(alarms.c.account == account)),
            )
        found = conn.execute(query.order_by(incidents.c.id.desc()).limit(1)).scalar()
        return self.load(conn, int(found), for_update=True) if found is not None else None

    def alarm_by_key(self, conn: Connection, key: str) -> AlarmOf | None:
        """The latest alarm raised under ``key`` (the engine's alarm identity), with its
        incident's id and whether it is open — one query, whatever the incident's size."""
        query = (
            select(alarms, incidents.c.state)
            .join(incidents, incidents.c.id == alarms.c.incident_id)
            .where(alarms.c.key == key)
            .order_by(alarms.c.id.desc())
            .limit(1)
        )
        row = conn.execute(query).first()
        if row is None:
            return None
        mapping = row._mapping
        is_open = mapping["state"] != IncidentState.CLOSED.value
        return AlarmOf(int(mapping["incident_id"]), is_open, _to_alarm(mapping))

    def load(self, conn: Connection, incident_id: int, for_update: bool = False) -> Incident | None:
        query = select(incidents).where(incidents.c.id == incident_id)
        if for_update:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            return None
        return self._with_alarms(conn, [row])[0]

    def _with_alarms(self, conn: Connection, rows: list[Any]) -> list[Incident]:
        found = [_to_incident(row._mapping) for row in rows]
        by_id = {i.id: i for i in found}
        if by_id:
            query = (
                select(alarms).where(alarms.c.incident_id.in_(list(by_id))).order_by(alarms.c.id)
            )
            for row in conn.execute(query):
                by_id[row.incident_id].alarms.append(_to_alarm(row._mapping))
        return found


def _alarm_key(alarm: Alarm) -> str:
    return f"{alarm.site_id or alarm.account}:{alarm.kind.value}:{alarm.zone or ''}"


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _incident_row(incident: Incident) -> dict[str, Any]:
    return {
        "site_id": incident.site_id,
        "state": incident.state.value,
        "priority": incident.priority,
        "title": incident.title[:300],
        "opened_at": incident.opened_at,
        "holder": incident.holder,
        "hold_until": incident.hold_until,
        "escalated_at": incident.escalated_at,
        "first_displayed_at": incident.first_displayed_at,
        "claimed_at": incident.claimed_at,
        "first_action_at": incident.first_action_at,
        "dispatched_at": incident.dispatched_at,
        "closed_at": incident.closed_at,
        "outcome": incident.outcome.value if incident.outcome else None,
        "comment": incident.comment,
        "closed_by": incident.closed_by,
        "steps": [
            {
                "number": s.number,
                "kind": s.kind.value,
                "text": s.text,
                "mandatory": s.mandatory,
                "status": s.status.value,
                "note": s.note,
                "by": s.by,
                "at": s.at.isoformat() if s.at else None,
            }
            for s in incident.steps
        ],
        "calls": [
            {
                "contact_id": c.contact_id,
                "contact_name": c.contact_name,
                "phone": c.phone,
                "result": c.result.value,
                "at": c.at.isoformat(),
                "by": c.by,
                "note": c.note,
            }
            for c in incident.calls
        ],
        "dispatches": [
            {
                "kind": d.kind.value,
                "provider_id": d.provider_id,
                "provider_name": d.provider_name,
                "by": d.by,
                "requested_at": d.requested_at.isoformat(),
                "on_the_way_at": _iso(d.on_the_way_at),
                "on_site_at": _iso(d.on_site_at),
                "finished_at": _iso(d.finished_at),
                "report": d.report,
            }
            for d in incident.dispatches
        ],
        "back_to_normal": {
            "rearmed": incident.back_to_normal.rearmed,
            "checked": incident.back_to_normal.checked,
            "by": incident.back_to_normal.by,
            "at": _iso(incident.back_to_normal.at),
        },
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _json(value: Any, empty: Any) -> Any:
    """A JSON column as read (a string on some drivers), or ``empty``."""
    if value is None:
        return empty
    if isinstance(value, str):
        return json.loads(value) if value else empty
    return value


def _to_calls(value: Any) -> list[CallAttempt]:
    return [
        CallAttempt(
            contact_id=c["contact_id"],
            contact_name=c["contact_name"],
            phone=c["phone"],
            result=CallResult(c["result"]),
            at=datetime.fromisoformat(c["at"]),
            by=c["by"],
            note=c.get("note", ""),
        )
        for c in _json(value, [])
    ]


def _to_dispatches(value: Any) -> list[Dispatch]:
    return [
        Dispatch(
            kind=DispatchKind(d["kind"]),
            provider_id=d.get("provider_id"),
            requested_at=datetime.fromisoformat(d["requested_at"]),
            by=d["by"],
            provider_name=d.get("provider_name", ""),
            on_the_way_at=_from_iso(d.get("on_the_way_at")),
            on_site_at=_from_iso(d.get("on_site_at")),
            finished_at=_from_iso(d.get("finished_at")),
            report=d.get("report", ""),
        )
        for d in _json(value, [])
    ]


def _to_back_to_normal(value: Any) -> BackToNormal:
    found = _json(value, {})
    return BackToNormal(
        rearmed=bool(found.get("rearmed", False)),
        checked=bool(found.get("checked", False)),
        by=found.get("by"),
        at=_from_iso(found.get("at")),
    )


def _to_incident(row: Any) -> Incident:
    opened_at = _utc(row["opened_at"])
    assert opened_at is not None
    return Incident(
        id=int(row["id"]),
        site_id=row["site_id"],
        priority=row["priority"],
        opened_at=opened_at,
        state=IncidentState(row["state"]),
        title=row["title"],
        holder=row["holder"],
        hold_until=_utc(row["hold_until"]),
        escalated_at=_utc(row["escalated_at"]),
        first_displayed_at=_utc(row["first_displayed_at"]),
        claimed_at=_utc(row["claimed_at"]),
        first_action_at=_utc(row["first_action_at"]),
        dispatched_at=_utc(row["dispatched_at"]),
        closed_at=_utc(row["closed_at"]),
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        comment=row["comment"],
        closed_by=row["closed_by"],
        steps=[
            StepState(
                number=s["number"],
                kind=StepKind(s["kind"]),
                text=s["text"],
                mandatory=s["mandatory"],
                status=StepStatus(s["status"]),
                note=s["note"],
                by=s["by"],
                at=datetime.fromisoformat(s["at"]) if s["at"] else None,
            )
            for s in row["steps"]
        ],
        calls=_to_calls(row["calls"]),
        dispatches=_to_dispatches(row["dispatches"]),
        back_to_normal=_to_back_to_normal(row["back_to_normal"]),
    )


def _alarm_row(alarm: Alarm) -> dict[str, Any]:
    return {
        "kind": alarm.kind.value,
        "site_id": alarm.site_id,
        "account": alarm.account,
        "code": alarm.code,
        "description": alarm.description[:300],
        "zone": alarm.zone,
        "zone_label": alarm.zone_label,
        "partition": alarm.partition,
        "user": alarm.user,
        "user_name": alarm.user_name,
        "count": alarm.count,
        "raised_at": alarm.raised_at,
        "last_at": alarm.last_at,
        "restored_at": alarm.restored_at,
        "signal_ids": list(alarm.signal_ids[-MAX_SIGNAL_IDS:]),
    }


def _to_alarm(row: Any) -> Alarm:
    raised_at = _utc(row["raised_at"])
    assert raised_at is not None
    return Alarm(
        id=int(row["id"]),
        kind=AlarmKind(row["kind"]),
        site_id=row["site_id"],
        account=row["account"],
        code=row["code"],
        description=row["description"],
        raised_at=raised_at,
        zone=row["zone"],
        zone_label=row["zone_label"],
        partition=row["partition"],
        user=row["user"],
        user_name=row["user_name"],
        count=row["count"],
        last_at=_utc(row["last_at"]),
        restored_at=_utc(row["restored_at"]),
        signal_ids=list(row["signal_ids"]),
    )
