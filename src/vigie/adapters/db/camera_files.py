"""Rows that point at a camera's files (recorded segments, incident media): what the
retention sweep lists by camera and deletes by id, the same way for both tables."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, Table, delete, select

from vigie.adapters.db.engine import write_transaction

__all__ = ["camera_ids_of", "delete_by_id"]


def camera_ids_of(engine: Engine, table: Table) -> list[str]:
    """Cameras with rows in ``table``, including cameras removed from the register since."""
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.camera_id).distinct()).all()
    return sorted(str(r[0]) for r in rows)


def delete_by_id(engine: Engine, table: Table, ids: Iterable[int]) -> int:
    wanted = list(ids)
    if not wanted:
        return 0
    with write_transaction(engine) as conn:
        result = conn.execute(delete(table).where(table.c.id.in_(wanted)))
    return int(result.rowcount)
