"""Who is acting, from the request, and what they may do.

The identity comes from the server-side session behind the ``vigie_session`` cookie.
Only when the app is built with ``trust_identity_headers=True`` (a reverse proxy that
authenticates and sets them) do ``X-Vigie-User``, ``X-Vigie-Role`` and ``X-Vigie-Card``
name the user; a stored user of that name then supplies role and card, so an expired
card still stops them. The source address is the client's (invariant 4).

A fresh station has no user, so nobody could sign in: until the first user is created
(``vigie user add``), requests are served as the "installation" administrator, or as the
user the headers name, and every action is still logged with its source address.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from vigie.domain.errors import InvalidValue
from vigie.domain.users import Role, User
from vigie.entrypoints.web.security import SAFE_METHODS, SESSION_COOKIE, check_csrf
from vigie.services.auth import Authenticator, Session
from vigie.services.logbook import Actor

__all__ = [
    "CurrentActor",
    "CurrentPrincipal",
    "Principal",
    "current_actor",
    "current_principal",
    "guard",
    "require",
]

_PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of this request; ``session`` is None for header identity."""

    user: User
    session: Session | None
    source: str

    @property
    def actor(self) -> Actor:
        user = self.user
        return Actor(user.name, str(user.role), user.card_number, self.source)


# Who acts on a station that has no user yet (see the module's docstring).
_INSTALLER = User(
    name="installation", role=Role.ADMIN, card_number="installation", card_expiry=date.max
)


def _unauthenticated() -> HTTPException:
    return HTTPException(status_code=401, detail="authentification requise")


def today(request: Request) -> date:
    """The Paris day by the station's clock: a card is valid until the end of that day."""
    auth: Authenticator | None = getattr(request.app.state, "auth", None)
    now = auth.now() if auth is not None else datetime.now(UTC)
    return now.astimezone(_PARIS).date()


async def current_principal(request: Request) -> Principal:
    source = request.client.host if request.client else ""
    auth: Authenticator | None = getattr(request.app.state, "auth", None)
    token = request.cookies.get(SESSION_COOKIE)
    setting_up = not token and auth is not None and await run_in_threadpool(auth.setting_up)
    if setting_up or getattr(request.app.state, "trust_identity_headers", False):
        name = request.headers.get("X-Vigie-User", "").strip()
        if name:
            return await _from_headers(request, auth, name, source, setting_up)
        if setting_up:
            return Principal(_INSTALLER, None, source)
    if auth is None or not token:
        raise _unauthenticated()
    found = await run_in_threadpool(auth.session_user, token)
    if found is None:
        raise _unauthenticated()
    user, session = found
    await check_csrf(request, session.csrf_token)
    return Principal(user, session, source)


async def _from_headers(
    request: Request, auth: Authenticator | None, name: str, source: str, setting_up: bool
) -> Principal:
    stored = await run_in_threadpool(auth.users.get, name) if auth is not None else None
    if stored is not None:
        if not stored.active:
            raise _unauthenticated()
        return Principal(stored, None, source)
    role_text = request.headers.get("X-Vigie-Role", "") or ("admin" if setting_up else "")
    try:
        role = Role(role_text)
    except ValueError:
        raise HTTPException(status_code=403, detail=f"rôle inconnu : {role_text[:32]!r}") from None
    try:
        # The proxy vouches for the card it names: no expiry on file, none enforced.
        user = User(
            name=name,
            role=role,
            card_number=request.headers.get("X-Vigie-Card", "")[:64],
            card_expiry=date.max,
        )
    except InvalidValue as exc:
        raise HTTPException(status_code=401, detail=f"identité refusée : {exc}") from None
    return Principal(user, None, source)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def current_actor(principal: CurrentPrincipal) -> Actor:
    return principal.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


CARD_REFUSALS = {
    "card_required": "carte professionnelle requise",
    "card_expired": "carte professionnelle expirée",
}


def card_refusal(user: User, request: Request) -> str | None:
    """Why this user may not take alarms today, as a key of ``CARD_REFUSALS`` (and of
    the pages' words), or None: no CNAPS card, or an expired one."""
    if user.can_take_alarms(today(request)):
        return None
    return "card_required" if not user.card_number else "card_expired"


def _refuse_card(user: User, request: Request) -> None:
    refused = card_refusal(user, request)
    if refused is not None:
        raise HTTPException(status_code=403, detail=CARD_REFUSALS[refused])


def require(permission: str, *, takes_alarms: bool = False) -> Callable[..., Principal]:
    """A dependency: the signed-in user must hold ``permission`` (and, for alarm work,
    a valid CNAPS card)."""

    def check(request: Request, principal: CurrentPrincipal) -> Principal:
        if not principal.user.may(permission):
            raise HTTPException(status_code=403, detail=f"droit requis : {permission}")
        if takes_alarms:
            _refuse_card(principal.user, request)
        return principal

    return check


def guard(
    read: str, write: str | None = None, *, writes_take_alarms: bool = False
) -> Callable[..., Coroutine[Any, Any, None]]:
    """A router-wide dependency: reading needs ``read``, unsafe methods need ``write``."""

    async def check(request: Request, principal: CurrentPrincipal) -> None:
        unsafe = request.method not in SAFE_METHODS
        needed = write if unsafe and write is not None else read
        if not principal.user.may(needed):
            raise HTTPException(status_code=403, detail=f"droit requis : {needed}")
        if unsafe and writes_take_alarms:
            _refuse_card(principal.user, request)

    return check
