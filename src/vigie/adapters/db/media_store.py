"""Incident media, the extraction register and legal holds on SQLAlchemy Core.

An extraction and a hold are legal acts: each row is written in the same transaction as
its main-courante entries (``SqlLogbook.append_in``), so neither exists without the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, insert, select, update

from vigie.adapters.db.camera_files import camera_ids_of, delete_by_id
from vigie.adapters.db.camera_tables import incident_media, video_extractions, video_holds
from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.domain.errors import NotFound
from vigie.domain.logbook import LogDraft
from vigie.domain.video_media import Extraction, IncidentMedia, LegalHold

__all__ = ["ExtractionStore", "HoldStore", "MediaStore"]


def _time(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _values(item: Any, table: Table) -> dict[str, Any]:
    values = {c.name: getattr(item, c.name) for c in table.columns if c.name != "id"}
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}


def _insert(conn: Any, table: Table, item: Any) -> int:
    key = conn.execute(insert(table).values(**_values(item, table))).inserted_primary_key
    assert key is not None
    return int(key[0])


def _row(row: Any, table: Table) -> dict[str, Any]:
    data = dict(row._mapping)
    for column in table.columns:
        if isinstance(data.get(column.name), datetime):
            data[column.name] = as_utc(data[column.name])
    return data


class MediaStore:
    """Snapshots and clips attached to incidents."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def attach(self, media: IncidentMedia) -> IncidentMedia:
        with write_transaction(self._engine) as conn:
            new_id = _insert(conn, incident_media, media)
        return replace(media, id=new_id)

    def for_incident(self, incident_id: int) -> list[IncidentMedia]:
        c = incident_media.c
        return self._query(select(incident_media).where(c.incident_id == incident_id))

    def get(self, media_id: int) -> IncidentMedia:
        found = self._query(select(incident_media).where(incident_media.c.id == media_id))
        if not found:
            raise NotFound(f"média {media_id} introuvable (no such media)")
        return found[0]

    def older_than(self, camera_id: str, before: datetime) -> list[IncidentMedia]:
        c = incident_media.c
        query = select(incident_media).where(c.camera_id == camera_id, c.end < as_utc(before))
        return self._query(query)

    def camera_ids(self) -> list[str]:
        return camera_ids_of(self._engine, incident_media)

    def delete(self, ids: Iterable[int]) -> int:
        return delete_by_id(self._engine, incident_media, ids)

    def _query(self, query: Any) -> list[IncidentMedia]:
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(incident_media.c.id)).all()
        return [IncidentMedia(**_row(r, incident_media)) for r in rows]


class ExtractionStore:
    """The extraction register: append-only (a row is never edited nor deleted here)."""

    def __init__(self, engine: Engine, logbook_store: SqlLogbook) -> None:
        self._engine = engine
        self._logbook = logbook_store

    def add(
        self,
        extraction: Extraction,
        place: Callable[[int], str],
        log: Callable[[Extraction], Sequence[LogDraft]],
    ) -> Extraction:
        """Insert the row, let ``place`` name the file after its id (``<id>.mp4``), and
        write the main-courante entries, all in one transaction."""
        with write_transaction(self._engine) as conn:
            new_id = _insert(conn, video_extractions, extraction)
            path = place(new_id)
            conn.execute(
                update(video_extractions).where(video_extractions.c.id == new_id).values(path=path)
            )
            stored = replace(extraction, id=new_id, path=path)
            self._logbook.append_in(conn, log(stored))
        return stored

    def get(self, extraction_id: int) -> Extraction:
        query = select(video_extractions).where(video_extractions.c.id == extraction_id)
        found = self._query(query)
        if not found:
            raise NotFound(f"extraction {extraction_id} introuvable (no such extraction)")
        return found[0]

    def latest(
        self,
        *,
        camera_id: str | None = None,
        limit: int = 100,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Extraction]:
        """Newest first; ``since``/``until`` bound the time of the extraction (until
        excluded)."""
        c = video_extractions.c
        query = select(video_extractions)
        if camera_id is not None:
            query = query.where(c.camera_id == camera_id)
        if since is not None:
            query = query.where(c.created_at >= as_utc(since))
        if until is not None:
            query = query.where(c.created_at < as_utc(until))
        return self._query(query.order_by(video_extractions.c.id.desc()).limit(limit))

    def _query(self, query: Any) -> list[Extraction]:
        with self._engine.connect() as conn:
            return [Extraction(**_row(r, video_extractions)) for r in conn.execute(query)]


class HoldStore:
    """Legal holds (evidence locks) on camera periods; placing or releasing one is logged."""

    def __init__(self, engine: Engine, logbook_store: SqlLogbook) -> None:
        self._engine = engine
        self._logbook = logbook_store

    def add(self, hold: LegalHold, log: Sequence[LogDraft]) -> LegalHold:
        with write_transaction(self._engine) as conn:
            new_id = _insert(conn, video_holds, hold)
            self._logbook.append_in(conn, log)
        return replace(hold, id=new_id)

    def release(self, hold_id: int, at: datetime, user: str, log: Sequence[LogDraft]) -> LegalHold:
        c = video_holds.c
        with write_transaction(self._engine) as conn:
            row = conn.execute(select(video_holds).where(c.id == hold_id)).first()
            if row is None:
                raise NotFound(f"gel {hold_id} introuvable (no such legal hold)")
            hold = LegalHold(**_row(row, video_holds))
            if not hold.active:
                return hold
            conn.execute(
                update(video_holds)
                .where(c.id == hold_id)
                .values(released_at=as_utc(at), released_by=user)
            )
            self._logbook.append_in(conn, log)
        return replace(hold, released_at=as_utc(at), released_by=user)

    def get(self, hold_id: int) -> LegalHold:
        found = self._query(select(video_holds).where(video_holds.c.id == hold_id))
        if not found:
            raise NotFound(f"gel {hold_id} introuvable (no such legal hold)")
        return found[0]

    def active_holds(self, camera_id: str | None = None) -> list[LegalHold]:
        query = select(video_holds).where(video_holds.c.released_at.is_(None))
        if camera_id is not None:
            query = query.where(video_holds.c.camera_id == camera_id)
        return self._query(query)

    def all(self, camera_id: str | None = None) -> list[LegalHold]:
        query = select(video_holds)
        if camera_id is not None:
            query = query.where(video_holds.c.camera_id == camera_id)
        return self._query(query)

    def _query(self, query: Any) -> list[LegalHold]:
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(video_holds.c.id)).all()
        return [LegalHold(**_row(r, video_holds)) for r in rows]
