"""Transmitters stored in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, select
from sqlalchemy.exc import IntegrityError

from vigie.adapters.db.engine import write_transaction
from vigie.adapters.db.register_rows import transmitter as transmitter_from_row
from vigie.adapters.db.tables import transmitters
from vigie.domain.errors import InvalidValue
from vigie.domain.transmitters import Transmitter

__all__ = ["SqlTransmitterRepository"]


class SqlTransmitterRepository:
    """``all()`` is called every few seconds by the receiver's directory: when the rows are
    the same as last time, the transmitters built then are returned (building 1,000 of
    them took ~15 ms of the interpreter, every 2 s)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._last: tuple[list[tuple[Any, ...]], list[Transmitter]] | None = None

    def add(self, transmitter: Transmitter) -> None:
        row = {
            "account": transmitter.account,
            "receiver": transmitter.receiver,
            "prefix": transmitter.prefix,
            "key": transmitter.key,
            "key_notation": transmitter.key_notation,
            "ignore_timestamp": transmitter.ignore_timestamp,
            "label": transmitter.label,
            "created_at": datetime.now(UTC),
        }
        with write_transaction(self._engine) as conn:
            if self._find(conn, transmitter.account, transmitter.receiver, transmitter.prefix):
                raise InvalidValue(
                    "account", f"an account not yet configured: {transmitter.account}"
                )
            try:
                conn.execute(transmitters.insert(), row)
            except IntegrityError:
                raise InvalidValue(
                    "account", f"an account not yet configured: {transmitter.account}"
                ) from None

    def all(self) -> Sequence[Transmitter]:
        with self._engine.connect() as conn:
            rows = list(conn.execute(select(transmitters).order_by(transmitters.c.id)))
        raw = [tuple(row) for row in rows]
        last = self._last
        if last is not None and last[0] == raw:
            return last[1]
        built = [transmitter_from_row(row._mapping) for row in rows]
        built.sort(key=lambda t: t.account)
        self._last = (raw, built)
        return built

    def remove(self, account: str, receiver: str | None, prefix: str | None) -> bool:
        with write_transaction(self._engine) as conn:
            found = self._find(conn, account, receiver, prefix)
            if found is None:
                return False
            conn.execute(delete(transmitters).where(transmitters.c.id == found))
            return True

    @staticmethod
    def _find(conn: Any, account: str, receiver: str | None, prefix: str | None) -> int | None:
        # NULL never equals NULL in SQL: compare the optional columns explicitly.
        conditions = [transmitters.c.account == account]
        for column, value in ((transmitters.c.receiver, receiver), (transmitters.c.prefix, prefix)):
            conditions.append(column.is_(None) if value is None else column == value)
        found = conn.execute(select(transmitters.c.id).where(and_(*conditions))).scalar()
        return int(found) if found is not None else None
