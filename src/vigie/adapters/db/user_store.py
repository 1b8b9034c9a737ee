"""Users and sessions on SQL (SQLite and PostgreSQL).

Changes to a user go through ``update(name, change)``: the row is read under a lock
(``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and the domain's pure rule
writes it back, so two wrong passwords typed at once still count as two.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.adapters.db.user_tables import sessions, users
from vigie.domain.users import Role, User
from vigie.services.auth import Session, UserExists

__all__ = ["SqlSessions", "SqlUsers"]


def _user(row: Any) -> User:
    expiry = row.card_expiry
    if isinstance(expiry, datetime):
        expiry = expiry.date()
    assert isinstance(expiry, date)
    return User(
        name=row.name,
        display_name=row.display_name,
        role=Role(row.role),
        card_number=row.card_number,
        card_expiry=expiry,
        language=row.language,
        password_hash=row.password_hash,
        failed_logins=row.failed_logins,
        locked_until=as_utc(row.locked_until) if row.locked_until is not None else None,
        active=bool(row.active),
    )


def _row(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "role": str(user.role),
        "card_number": user.card_number,
        "card_expiry": user.card_expiry,
        "language": user.language,
        "password_hash": user.password_hash,
        "failed_logins": user.failed_logins,
        "locked_until": user.locked_until,
        "active": user.active,
    }


class SqlUsers:
    """The ``UserStore`` port."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, name: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return _user(row) if row is not None else None

    def all(self) -> list[User]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).all()
        return [_user(r) for r in rows]

    def add(self, user: User, now: datetime) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(users).values(name=user.name, created_at=now, **_row(user)))
        except IntegrityError:
            raise UserExists(f"user {user.name} already exists") from None

    def update(self, name: str, change: Callable[[User], User]) -> User | None:
        with write_transaction(self._engine) as conn:
            query = select(users).where(users.c.name == name)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query).first()
            if row is None:
                return None
            changed = change(_user(row))
            conn.execute(update(users).where(users.c.name == name).values(**_row(changed)))
        return changed


def _session(row: Any) -> Session:
    return Session(
        id=row.id,
        user_name=row.user_name,
        created_at=as_utc(row.created_at),
        last_seen=as_utc(row.last_seen),
        expires_at=as_utc(row.expires_at),
        csrf_token=row.csrf_token,
        source=row.source,
        user_agent=row.user_agent,
    )


class SqlSessions:
    """The ``SessionStore`` port. Only the token's hash is ever written."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, session: Session) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    id=session.id,
                    user_name=session.user_name,
                    created_at=session.created_at,
                    last_seen=session.last_seen,
                    expires_at=session.expires_at,
                    csrf_token=session.csrf_token,
                    source=session.source,
                    user_agent=session.user_agent,
                )
            )

    def get(self, session_id: str) -> Session | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
        return _session(row) if row is not None else None

    def touch(self, session_id: str, last_seen: datetime, expires_at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id)
                .values(last_seen=last_seen, expires_at=expires_at)
            )

    def delete(self, session_id: str) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(delete(sessions).where(sessions.c.id == session_id))
        return bool(result.rowcount)

    def delete_for_user(self, name: str) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(delete(sessions).where(sessions.c.user_name == name))
        return int(result.rowcount)

    def purge_expired(self, now: datetime) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
        return int(result.rowcount)
