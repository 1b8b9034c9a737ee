"""Sign-in, server-side sessions and the user accounts they open.

Why it is built this way:

* The same refusal ("identifiant ou mot de passe incorrect") answers an unknown login and
  a wrong password, and an unknown login still pays for one hash, so neither the text nor
  the time tells an attacker which logins exist. A locked account says so, with the time
  it unlocks: the operator at the console needs that more than an attacker does.
* Sessions are rows, not signed cookies: signing out, a lock-out or a password change
  revokes them on the next request. The cookie holds a random token; the row holds its
  SHA-256. A session slides with use but never outlives one shift (``absolute``).
* Every sign-in, failure, lock and sign-out goes to the main courante (design invariant 4).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from vigie.domain.errors import DomainError, InvalidValue, NotFound
from vigie.domain.logbook import LogKind
from vigie.domain.users import LockoutPolicy, User
from vigie.services.logbook import Actor, Logbook
from vigie.services.ports import Clock

__all__ = [
    "GENERIC_REFUSAL",
    "Argon2Hasher",
    "Authenticator",
    "PasswordHasher",
    "Session",
    "SessionPolicy",
    "SessionStore",
    "SignInRefused",
    "UserExists",
    "UserStore",
    "check_password",
    "token_id",
]

log = logging.getLogger(__name__)

GENERIC_REFUSAL = "identifiant ou mot de passe incorrect"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing a megabyte on every attempt would be a cheap denial of service


class SignInRefused(DomainError):
    """The sign-in failed; ``str()`` is the message to show as is."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


class UserExists(DomainError):
    """A user of that name already exists."""


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser. ``token`` is only known right after sign-in (for the cookie)."""

    id: str
    user_name: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    csrf_token: str = field(repr=False)
    source: str = ""
    user_agent: str = ""
    token: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Idle expiry slides with each request; ``absolute`` caps a session at one shift.
    ``touch_every`` keeps a busy console from writing ``last_seen`` on every request."""

    idle: timedelta = timedelta(hours=2)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(seconds=60)


class UserStore(Protocol):
    def get(self, name: str) -> User | None: ...

    def add(self, user: User, now: datetime) -> None:
        """Raises ``UserExists`` if the name is taken."""
        ...

    def update(self, name: str, change: Callable[[User], User]) -> User | None:
        """Apply ``change`` to the stored user under a row lock; None if there is none."""
        ...

    def all(self) -> list[User]: ...


class SessionStore(Protocol):
    def create(self, session: Session) -> None: ...

    def get(self, session_id: str) -> Session | None: ...

    def touch(self, session_id: str, last_seen: datetime, expires_at: datetime) -> None: ...

    def delete(self, session_id: str) -> bool: ...

    def delete_for_user(self, name: str) -> int: ...

    def purge_expired(self, now: datetime) -> int: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class Argon2Hasher:
    """Argon2id through argon2-cffi, with its RFC 9106 defaults unless told otherwise."""

    def __init__(self, **parameters: Any) -> None:
        from argon2 import PasswordHasher as _Argon2

        self._hasher = _Argon2(**parameters)

    @classmethod
    def cheap(cls) -> Argon2Hasher:
        """Minimal cost, for tests only: the same code path in a millisecond."""
        return cls(time_cost=1, memory_cost=8, parallelism=1)

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return bool(self._hasher.verify(password_hash, password))
        except VerificationError:  # the mismatch: the expected "no"
            return False
        except InvalidHashError:
            log.warning("a stored password hash is not a valid argon2 hash")
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return bool(self._hasher.check_needs_rehash(password_hash))


def check_password(password: str) -> str:
    """The password policy; raises ``InvalidValue`` naming the field."""
    if len(password) < MIN_PASSWORD:
        raise InvalidValue("password", f"at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidValue("password", f"at most {MAX_PASSWORD} characters")
    return password


def token_id(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _shown_login(name: str) -> str:
    """A login as typed by whoever tried, made safe to log: printable and short."""
    kept = "".join(c for c in name if c.isprintable())
    return kept[:64]


class Authenticator:
    def __init__(
        self,
        users: UserStore,
        sessions: SessionStore,
        clock: Clock,
        hasher: PasswordHasher,
        lockout: LockoutPolicy | None = None,
        *,
        session_policy: SessionPolicy | None = None,
        logbook: Logbook | None = None,
        timezone: str = "Europe/Paris",
    ) -> None:
        self.users = users
        self._sessions = sessions
        self._clock = clock
        self._hasher = hasher
        self.lockout = lockout or LockoutPolicy()
        self.session_policy = session_policy or SessionPolicy()
        self._logbook = logbook
        self._zone = ZoneInfo(timezone)
        self._dummy_hash: str | None = None
        self._has_users = False
        self._users_checked: datetime | None = None

    def now(self) -> datetime:
        return self._clock.now()

    def setting_up(self) -> bool:
        """True while the station has no user at all (a fresh install).

        Until the first user exists nobody could sign in, so the API answers without a
        session (see ``actor.py``); once one exists this stays False for good. Checked
        against the database at most every 2 seconds.
        """
        if self._has_users:
            return False
        now = self.now()
        if self._users_checked is None or (now - self._users_checked).total_seconds() >= 2:
            self._has_users = bool(self.users.all())
            self._users_checked = now
        return not self._has_users

    # -- signing in and out ------------------------------------------------------------

    def sign_in(self, name: str, password: str, source: str, user_agent: str = "") -> Session:
        now = self._clock.now()
        user = self.users.get(name) if 0 < len(name) <= 64 else None
        if user is None or not user.active:
            self._hasher.verify(self._dummy(), password[:MAX_PASSWORD])  # same cost as a user
            self._access(
                f"Échec de connexion : identifiant inconnu ou désactivé « {_shown_login(name)} »",
                None,
                source,
                {"event": "sign_in", "result": "unknown_user", "login": _shown_login(name)},
            )
            raise SignInRefused(GENERIC_REFUSAL)
        if user.is_locked(now):
            self._access(
                f"Connexion refusée : compte {user.name} verrouillé",
                user,
                source,
                {"event": "sign_in", "result": "locked"},
            )
            raise self._locked(user)
        if len(password) > MAX_PASSWORD or not self._hasher.verify(user.password_hash, password):
            return self._failed(user, now, source)
        if user.failed_logins or user.locked_until is not None:
            user = self.users.update(user.name, User.after_success) or user
        if self._hasher.needs_rehash(user.password_hash):
            fresh = self._hasher.hash(password)
            self.users.update(user.name, lambda u: replace(u, password_hash=fresh))
        self._sessions.purge_expired(now)
        token = secrets.token_urlsafe(32)
        policy = self.session_policy
        session = Session(
            id=token_id(token),
            user_name=user.name,
            created_at=now,
            last_seen=now,
            expires_at=now + min(policy.idle, policy.absolute),
            csrf_token=secrets.token_urlsafe(32),
            source=source[:128],
            user_agent=user_agent[:300],
            token=token,
        )
        self._sessions.create(session)
        self._access(
            f"Connexion de {user.name} ({user.role})",
            user,
            source,
            {"event": "sign_in", "result": "ok"},
        )
        return session

    def _failed(self, user: User, now: datetime, source: str) -> Session:
        updated = self.users.update(user.name, lambda u: u.after_failure(now, self.lockout))
        if updated is not None and updated.is_locked(now):
            revoked = self._sessions.delete_for_user(user.name)
            self._access(
                f"Compte {user.name} verrouillé jusqu'à {self._clock_time(updated)} "
                f"après {updated.failed_logins} échecs de connexion",
                updated,
                source,
                {"event": "lock", "failures": updated.failed_logins, "sessions_revoked": revoked},
            )
            raise self._locked(updated)
        self._access(
            f"Échec de connexion de {user.name} : mot de passe incorrect",
            user,
            source,
            {
                "event": "sign_in",
                "result": "bad_password",
                "failures": updated.failed_logins if updated else None,
            },
        )
        raise SignInRefused(GENERIC_REFUSAL)

    def sign_out(self, token: str, source: str = "") -> bool:
        found = self.session_user(token, touch=False)
        if found is None:
            return False
        user, session = found
        self._sessions.delete(session.id)
        self._access(f"Déconnexion de {user.name}", user, source, {"event": "sign_out"})
        return True

    def session_user(self, token: str, *, touch: bool = True) -> tuple[User, Session] | None:
        """The user behind a cookie, or None; slides the session's expiry."""
        if not token or len(token) > 128:
            return None
        session = self._sessions.get(token_id(token))
        if session is None:
            return None
        now = self._clock.now()
        if now >= session.expires_at:
            self._sessions.delete(session.id)
            return None
        user = self.users.get(session.user_name)
        if user is None or not user.active or user.is_locked(now):
            self._sessions.delete(session.id)
            return None
        policy = self.session_policy
        if touch and now - session.last_seen >= policy.touch_every:
            expires = min(now + policy.idle, session.created_at + policy.absolute)
            self._sessions.touch(session.id, now, expires)
            session = replace(session, last_seen=now, expires_at=expires)
        return user, session

    # -- managing accounts (the CLI, later the admin pages) ----------------------------

    def add_user(self, user: User, password: str, *, by: Actor = Actor.SYSTEM) -> User:
        check_password(password)
        stored = replace(user, password_hash=self._hasher.hash(password))
        self.users.add(stored, self._clock.now())
        self._access(
            f"Utilisateur {user.name} créé ({user.role}, carte {user.card_number or '—'} "
            f"valable jusqu'au {user.card_expiry:%d/%m/%Y})",
            None,
            by.source,
            {"event": "user_add", "user": user.name, "role": str(user.role)},
            actor=by,
        )
        return stored

    def set_password(self, name: str, password: str, *, by: Actor = Actor.SYSTEM) -> None:
        """A new password, and every open session of that user closed."""
        check_password(password)
        fresh = self._hasher.hash(password)
        if self.users.update(name, lambda u: replace(u, password_hash=fresh)) is None:
            raise NotFound(f"no user {name}")
        revoked = self._sessions.delete_for_user(name)
        self._access(
            f"Mot de passe de {name} changé",
            None,
            by.source,
            {"event": "password", "user": name, "sessions_revoked": revoked},
            actor=by,
        )

    def unlock(self, name: str, *, by: Actor = Actor.SYSTEM) -> User:
        unlocked = self.users.update(name, User.unlocked)
        if unlocked is None:
            raise NotFound(f"no user {name}")
        self._access(
            f"Compte {name} déverrouillé", None, by.source, {"event": "unlock", "user": name},
            actor=by,
        )  # fmt: skip
        return unlocked

    # -- helpers -----------------------------------------------------------------------

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _clock_time(self, user: User) -> str:
        assert user.locked_until is not None
        return user.locked_until.astimezone(self._zone).strftime("%H:%M")

    def _locked(self, user: User) -> SignInRefused:
        return SignInRefused(
            f"compte verrouillé jusqu'à {self._clock_time(user)}", locked_until=user.locked_until
        )

    def _access(
        self,
        text: str,
        user: User | None,
        source: str,
        data: dict[str, Any],
        *,
        actor: Actor | None = None,
    ) -> None:
        if actor is None:
            actor = (
                Actor(user.name, str(user.role), user.card_number, source)
                if user is not None
                else Actor("anonymous", "anonymous", "", source)
            )
        log.info("%s (from %s)", text, source or "?")
        if self._logbook is not None:
            self._logbook.record(LogKind.ACCESS, text, actor=actor, data=data)
