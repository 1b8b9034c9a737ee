"""New alarm rows, read by polling: the feed behind pre/post-alarm media.

Polling the ``alarms`` table by id works across processes (the video worker need not be
the processor) and on both databases, with no notification channel. For video alarms the
camera and the event's own snapshot are read from the alarm's first signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from vigie.adapters.db.engine import as_utc
from vigie.adapters.db.incident_tables import alarms
from vigie.adapters.db.tables import signals

__all__ = ["NewAlarm", "SqlAlarmFeed"]


@dataclass(frozen=True, slots=True)
class NewAlarm:
    id: int
    incident_id: int
    kind: str
    code: str
    site_id: str | None
    zone: str | None
    raised_at: datetime
    camera_id: str | None = None  # a video alarm's camera
    snapshot: str | None = None  # the video event's own snapshot file


class SqlAlarmFeed:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def last_id(self, raised_before: datetime | None = None) -> int:
        query = select(func.max(alarms.c.id))
        if raised_before is not None:
            query = query.where(alarms.c.raised_at < raised_before)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def after(self, alarm_id: int, limit: int = 100) -> list[NewAlarm]:
        query = (
            select(
                alarms.c.id,
                alarms.c.incident_id,
                alarms.c.kind,
                alarms.c.code,
                alarms.c.site_id,
                alarms.c.zone,
                alarms.c.raised_at,
                alarms.c.signal_ids,
            )
            .where(alarms.c.id > alarm_id)
            .order_by(alarms.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
            first = {row.id: int(row.signal_ids[0]) for row in rows if row.signal_ids}
            videos = _video_events(conn, set(first.values())) if first else {}
        out: list[NewAlarm] = []
        for row in rows:
            camera, snapshot = videos.get(first.get(row.id, -1), (None, None))
            out.append(
                NewAlarm(
                    id=int(row.id),
                    incident_id=int(row.incident_id),
                    kind=row.kind,
                    code=row.code,
                    site_id=row.site_id,
                    zone=row.zone,
                    raised_at=as_utc(row.raised_at),
                    camera_id=camera,
                    snapshot=snapshot,
                )
            )
        return out


def _video_events(conn: Any, ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
    query = select(signals.c.id, signals.c.events).where(
        signals.c.id.in_(ids), signals.c.transport == "video"
    )
    found: dict[int, tuple[str | None, str | None]] = {}
    for signal_id, events in conn.execute(query):
        for event in events or ():
            if event.get("protocol") != "VIDEO":
                continue
            mods = {str(k): str(v) for k, v in event.get("modifiers", ())}
            found[int(signal_id)] = (mods.get("camera"), mods.get("snapshot"))
            break
    return found
