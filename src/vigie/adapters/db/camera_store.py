"""Cameras and their recorded segments on SQLAlchemy Core (SQLite and PostgreSQL).

A camera's user name and password are sealed by the ``CredentialBox`` before they reach
the database and opened only when a camera is read back for a worker: the row never
holds them in clear. Zones, masks and rules are kept as one JSON document (the same
shape as the register file, without credentials).

Like ``SqlRegister``, the store calls ``on_change(kind, text, data)`` after each commit
(bootstrap hangs the main courante and the video workers' reload there); the data never
holds a credential.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, update

from vigie.adapters.db.camera_files import camera_ids_of, delete_by_id
from vigie.adapters.db.camera_tables import cameras, video_segments
from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.domain.errors import NotFound
from vigie.domain.register_codec import Problems
from vigie.domain.video import Camera, Segment
from vigie.services.camera_codec import camera_from_dict, camera_to_dict
from vigie.services.credential_box import CredentialBox

__all__ = ["CameraStore", "OnChange", "SegmentStore"]

OnChange = Callable[[str, str, dict[str, Any]], None]

_COLUMNS = ("id", "site_id", "name", "kind", "main_url", "sub_url", "onvif_url")
_NOT_IN_CONFIG = set(_COLUMNS) | {"username", "has_password", "retention_days", "enabled"}


class CameraStore:
    def __init__(
        self, engine: Engine, box: CredentialBox, on_change: OnChange | None = None
    ) -> None:
        self._engine = engine
        self._box = box
        self.on_change = on_change

    def cameras(self) -> list[Camera]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(cameras).order_by(cameras.c.id)).all()
        return [self._from_row(r._mapping) for r in rows]

    def camera(self, camera_id: str) -> Camera:
        with self._engine.connect() as conn:
            row = conn.execute(select(cameras).where(cameras.c.id == camera_id)).first()
        if row is None:
            raise NotFound(f"caméra {camera_id!r} introuvable (no such camera)")
        return self._from_row(row._mapping)

    def find(self, camera_id: str) -> Camera | None:
        try:
            return self.camera(camera_id)
        except NotFound:
            return None

    def save(self, camera: Camera) -> None:
        """Create or replace the camera (its credentials sealed)."""
        values = self._to_row(camera)
        with write_transaction(self._engine) as conn:
            exists = conn.execute(select(cameras.c.id).where(cameras.c.id == camera.id)).first()
            if exists is None:
                conn.execute(insert(cameras).values(**values))
            else:
                conn.execute(update(cameras).where(cameras.c.id == camera.id).values(**values))
        verb = "ajoutée" if exists is None else "modifiée"
        data = {"id": camera.id, "site_id": camera.site_id, "retention_days": camera.retention_days}
        self._changed("camera.saved", f"Caméra {camera.id} ({camera.name}) {verb}", data)

    def save_all(self, items: Iterable[Camera]) -> int:
        count = 0
        for camera in items:
            self.save(camera)
            count += 1
        return count

    def delete(self, camera_id: str) -> bool:
        with write_transaction(self._engine) as conn:
            result = conn.execute(delete(cameras).where(cameras.c.id == camera_id))
        if result.rowcount:
            self._changed("camera.deleted", f"Caméra {camera_id} supprimée", {"id": camera_id})
        return bool(result.rowcount)

    def _changed(self, kind: str, text: str, data: dict[str, Any]) -> None:
        if self.on_change is not None:
            self.on_change(kind, text, data)

    def _to_row(self, camera: Camera) -> dict[str, Any]:
        data = camera_to_dict(camera)
        config = {k: v for k, v in data.items() if k not in _NOT_IN_CONFIG}
        row = {k: data[k] for k in _COLUMNS}
        row.update(
            username_enc=self._box.seal(camera.username),
            password_enc=self._box.seal(camera.password),
            retention_days=camera.retention_days,
            enabled=camera.enabled,
            config=config,
        )
        return row

    def _from_row(self, row: Any) -> Camera:
        data: dict[str, Any] = dict(row["config"] or {})
        data.update({k: row[k] for k in _COLUMNS})
        data.update(
            username=self._box.open(row["username_enc"]),
            password=self._box.open(row["password_enc"]),
            retention_days=int(row["retention_days"]),
            enabled=bool(row["enabled"]),
        )
        problems = Problems()
        camera = camera_from_dict(data, problems, f"cameras[{row['id']}]")
        if camera is None:  # only a hand-edited row can get here
            raise ValueError("; ".join(f"{e.path}: {e.message}" for e in problems.errors))
        return camera


class SegmentStore:
    """The index of recorded segments, by camera and start time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, segment: Segment) -> Segment:
        values: dict[str, Any] = {
            "camera_id": segment.camera_id,
            "start": as_utc(segment.start),
            "end": as_utc(segment.end),
            "path": segment.path,
            "size": segment.size,
        }
        with write_transaction(self._engine) as conn:
            key = conn.execute(insert(video_segments).values(**values)).inserted_primary_key
        assert key is not None
        return Segment(
            segment.camera_id,
            values["start"],
            values["end"],
            segment.path,
            segment.size,
            id=int(key[0]),
        )

    def between(self, camera_id: str, start: datetime, end: datetime) -> list[Segment]:
        """Segments that hold at least one instant of [start, end], in time order."""
        c = video_segments.c
        query = (
            select(video_segments)
            .where(c.camera_id == camera_id, c.start <= as_utc(end), c.end >= as_utc(start))
            .order_by(c.start)
        )
        return self._query(query)

    def older_than(self, camera_id: str, before: datetime) -> list[Segment]:
        """Segments that ended before ``before``: candidates for the retention sweeper."""
        c = video_segments.c
        query = (
            select(video_segments)
            .where(c.camera_id == camera_id, c.end < as_utc(before))
            .order_by(c.start)
        )
        return self._query(query)

    def oldest(self, limit: int, after: tuple[datetime, int] | None = None) -> list[Segment]:
        """Segments of every camera, oldest start first, ``limit`` at a time: ``after`` is
        the (start, id) of the last one of the previous page (the low-disk guard)."""
        c = video_segments.c
        query = select(video_segments)
        if after is not None:
            start, last_id = as_utc(after[0]), after[1]
            query = query.where(or_(c.start > start, and_(c.start == start, c.id > last_id)))
        return self._query(query.order_by(c.start, c.id).limit(limit))

    def camera_ids(self) -> list[str]:
        """Cameras with segments, including cameras removed from the register since."""
        return camera_ids_of(self._engine, video_segments)

    def delete(self, ids: Iterable[int]) -> int:
        return delete_by_id(self._engine, video_segments, ids)

    def _query(self, query: Any) -> list[Segment]:
        with self._engine.connect() as conn:
            return [_segment(r._mapping) for r in conn.execute(query)]


def _segment(row: Any) -> Segment:
    return Segment(
        camera_id=row["camera_id"],
        start=as_utc(row["start"]),
        end=as_utc(row["end"]),
        path=row["path"],
        size=int(row["size"]),
        id=int(row["id"]),
    )
