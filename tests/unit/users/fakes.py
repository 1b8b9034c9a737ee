"""In-memory users and sessions: the ports' behaviour over dicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from vigie.domain.users import User
from vigie.services.auth import Session, UserExists


class MemoryUsers:
    def __init__(self) -> None:
        self.rows: dict[str, User] = {}

    def get(self, name: str) -> User | None:
        return self.rows.get(name)

    def add(self, user: User, now: datetime) -> None:
        if user.name in self.rows:
            raise UserExists(f"user {user.name} already exists")
        self.rows[user.name] = user

    def update(self, name: str, change: Callable[[User], User]) -> User | None:
        if name not in self.rows:
            return None
        self.rows[name] = change(self.rows[name])
        return self.rows[name]

    def all(self) -> list[User]:
        return sorted(self.rows.values(), key=lambda u: u.name)


class MemorySessions:
    def __init__(self) -> None:
        self.rows: dict[str, Session] = {}

    def create(self, session: Session) -> None:
        self.rows[session.id] = session

    def get(self, session_id: str) -> Session | None:
        return self.rows.get(session_id)

    def touch(self, session_id: str, last_seen: datetime, expires_at: datetime) -> None:
        old = self.rows[session_id]
        self.rows[session_id] = Session(
            old.id, old.user_name, old.created_at, last_seen, expires_at, old.csrf_token,
            old.source, old.user_agent,
        )  # fmt: skip

    def delete(self, session_id: str) -> bool:
        return self.rows.pop(session_id, None) is not None

    def delete_for_user(self, name: str) -> int:
        gone = [k for k, s in self.rows.items() if s.user_name == name]
        for key in gone:
            del self.rows[key]
        return len(gone)

    def purge_expired(self, now: datetime) -> int:
        gone = [k for k, s in self.rows.items() if s.expires_at <= now]
        for key in gone:
            del self.rows[key]
        return len(gone)
