"""Users of the station: roles, what each role may do, CNAPS cards and lock-out.

Standard library only. A user is a frozen value; the rules that change it (a failed
sign-in, a success, an unlock) return a new one, so the store can apply them under its
own row lock and stay the one place that writes.

Why the card matters: télésurveillance is a regulated activity (CSI L612-20); an operator
whose *carte professionnelle* has expired may not take alarms, whatever their role says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from vigie.domain.errors import InvalidValue

__all__ = [
    "LANGUAGES",
    "PERMISSIONS",
    "LockoutPolicy",
    "Role",
    "User",
    "permissions_of",
]

LANGUAGES = ("fr", "en")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    AGENT = "agent"  # intervention agent: the phone page, to come
    CUSTOMER = "customer"  # the customer portal, to come


# Behaviour as a table: who may do what. Reads of the station's data ("console.view")
# are a permission too: an agent or a customer must not list every incident.
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.OPERATOR: frozenset({"console.view", "queue.work", "logbook.write"}),
    Role.SUPERVISOR: frozenset({"console.view", "queue.work", "logbook.write", "supervise"}),
    Role.ADMIN: frozenset(
        {"console.view", "queue.work", "logbook.write", "supervise", "register.edit"}
        | {"users.manage"}
    ),
    Role.AGENT: frozenset({"missions.own"}),
    Role.CUSTOMER: frozenset({"portal.own"}),
}

# Roles whose holders work alarms, and so must hold a valid card.
_CARD_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})


def permissions_of(role: Role) -> frozenset[str]:
    return PERMISSIONS[role]


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """``max_failures`` consecutive failures lock the account for ``lock_for``."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise InvalidValue("max_failures", "at least 1")
        if self.lock_for <= timedelta(0):
            raise InvalidValue("lock_for", "a positive duration")


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in. ``name`` is the login; the hash never shows in a repr."""

    name: str
    role: Role
    card_number: str
    card_expiry: date
    display_name: str = ""
    language: str = "fr"
    password_hash: str = field(default="", repr=False)
    failed_logins: int = 0
    locked_until: datetime | None = None
    active: bool = True

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise InvalidValue("name", "2 to 64 characters: letters, digits, '.', '_', '-', '@'")
        if not isinstance(self.role, Role):
            try:
                object.__setattr__(self, "role", Role(self.role))
            except ValueError:
                raise InvalidValue("role", f"one of {', '.join(Role)}") from None
        card = self.card_number.strip()
        if self.role in (Role.OPERATOR, Role.SUPERVISOR) and not card:
            raise InvalidValue("card", "the CNAPS professional card number")
        if len(card) > 64 or any(not c.isprintable() for c in card):
            raise InvalidValue("card", "at most 64 printable characters")
        object.__setattr__(self, "card_number", card)
        if self.language not in LANGUAGES:
            raise InvalidValue("language", "fr or en")
        if len(self.display_name) > 200:
            raise InvalidValue("display_name", "at most 200 characters")
        if self.failed_logins < 0:
            raise InvalidValue("failed_logins", "zero or more")

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name

    # -- permissions -------------------------------------------------------------------

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_of(self.role)

    def may(self, permission: str) -> bool:
        return self.active and permission in self.permissions

    def card_valid(self, today: date) -> bool:
        """A card number is on file and its expiry day has not passed (it is valid on it)."""
        return bool(self.card_number) and today <= self.card_expiry

    def can_take_alarms(self, today: date) -> bool:
        return self.active and self.role in _CARD_ROLES and self.card_valid(today)

    # -- lock-out ----------------------------------------------------------------------

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime, policy: LockoutPolicy) -> User:
        """Count one more failure; the ``max_failures``-th locks. A lock that has run out
        starts a fresh count, so one more mistake after it does not lock again at once."""
        if self.is_locked(now):
            return self
        failures = 0 if self.locked_until is not None else self.failed_logins
        failures += 1
        locked = now + policy.lock_for if failures >= policy.max_failures else None
        return replace(self, failed_logins=failures, locked_until=locked)

    def after_success(self) -> User:
        return replace(self, failed_logins=0, locked_until=None)

    def unlocked(self) -> User:
        return replace(self, failed_logins=0, locked_until=None)
