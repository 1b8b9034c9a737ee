"""Handovers on SQLAlchemy Core; each step and its main-courante entry in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.adapters.db.handover_tables import handovers
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.domain.handover import Handover, HandoverItem
from vigie.domain.logbook import LogDraft

__all__ = ["SqlHandovers"]

LogFor = Callable[[Handover], Sequence[LogDraft]]


class SqlHandovers:
    def __init__(self, engine: Engine, logbook_store: SqlLogbook) -> None:
        self._engine = engine
        self._logbook = logbook_store

    def latest(self, limit: int = 20) -> list[Handover]:
        query = select(handovers).order_by(handovers.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [_from_row(row._mapping) for row in conn.execute(query)]

    def get(self, handover_id: int) -> Handover | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(handovers).where(handovers.c.id == handover_id)).first()
        return _from_row(row._mapping) if row is not None else None

    def add(self, handover: Handover, log: LogFor) -> Handover:
        with write_transaction(self._engine) as conn:
            new_id = conn.execute(
                insert(handovers).values(**_to_row(handover))
            ).inserted_primary_key
            assert new_id is not None
            handover.id = int(new_id[0])
            self._logbook.append_in(conn, log(handover))
        return handover

    def change(self, handover_id: int, action: Callable[[Handover], None], log: LogFor) -> Handover:
        """Lock one handover, apply ``action`` (the domain may refuse), store it and log."""
        with write_transaction(self._engine) as conn:
            handover = _locked(conn, handover_id)
            if handover is None:
                raise LookupError(f"no handover {handover_id}")
            action(handover)
            conn.execute(
                update(handovers)
                .where(handovers.c.id == handover_id)
                .values(incoming=handover.incoming, signed_at=handover.signed_at)
            )
            self._logbook.append_in(conn, log(handover))
        return handover


def _locked(conn: Connection, handover_id: int) -> Handover | None:
    query = select(handovers).where(handovers.c.id == handover_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _from_row(row._mapping) if row is not None else None


def _to_row(handover: Handover) -> dict[str, Any]:
    return {
        "outgoing": handover.outgoing,
        "created_at": handover.created_at,
        "notes": handover.notes,
        "items": [
            {"id": i.incident_id, "title": i.title, "state": i.state, "holder": i.holder}
            for i in handover.items
        ],
        "incoming": handover.incoming,
        "signed_at": handover.signed_at,
    }


def _from_row(row: Any) -> Handover:
    return Handover(
        id=int(row["id"]),
        outgoing=row["outgoing"],
        created_at=as_utc(row["created_at"]),
        notes=row["notes"],
        items=tuple(
            HandoverItem(int(i["id"]), str(i["title"]), str(i["state"]), i.get("holder"))
            for i in row["items"] or []
        ),
        incoming=row["incoming"],
        signed_at=as_utc(row["signed_at"]) if row["signed_at"] is not None else None,
    )
