"""Sign-in page, sign-out, and ``/api/v1/me``.

The sign-in form itself is protected against login CSRF (a site making a browser sign in
as someone else) by a double-submit token: ``GET /login`` sets it in a short-lived
cookie scoped to /login and in a hidden field; ``POST /login`` wants both equal.
"""

from __future__ import annotations

import secrets
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from vigie.entrypoints.web.actor import CurrentPrincipal, today
from vigie.entrypoints.web.security import (
    SESSION_COOKIE,
    clear_session_cookie,
    set_session_cookie,
)
from vigie.services.auth import Authenticator, SignInRefused

__all__ = ["TEXTS", "router"]

router = APIRouter(tags=["auth"])

LOGIN_COOKIE = "vigie_login"
AFTER_SIGN_IN = "/console"

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Connexion",
        "subtitle": "Centre de télésurveillance",
        "name": "Identifiant",
        "password": "Mot de passe",
        "submit": "Se connecter",
        "refused": "identifiant ou mot de passe incorrect",
        "locked": "compte verrouillé jusqu'à {time}",
        "expired_form": "formulaire expiré, veuillez réessayer",
    },
    "en": {
        "title": "Sign in",
        "subtitle": "Alarm receiving centre",
        "name": "Login",
        "password": "Password",
        "submit": "Sign in",
        "refused": "wrong login or password",
        "locked": "account locked until {time}",
        "expired_form": "the form has expired, please try again",
    },
}


@cache
def _templates() -> Jinja2Templates:
    return Jinja2Templates(directory=Path(__file__).with_name("templates"))


def _auth(request: Request) -> Authenticator:
    auth: Authenticator | None = getattr(request.app.state, "auth", None)
    if auth is None:
        raise HTTPException(status_code=503, detail="sign-in is not configured")
    return auth


def _language(request: Request, asked: str | None) -> str:
    if asked in TEXTS:
        return str(asked)
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "fr"


def _page(
    request: Request, lang: str, *, message: str = "", name: str = "", status: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = _templates().TemplateResponse(
        request,
        "login.html",
        {"lang": lang, "t": TEXTS[lang], "message": message, "name": name, "csrf_token": token},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse, summary="The sign-in page")
def login_page(request: Request, lang: str | None = None) -> Response:
    _auth(request)
    return _page(request, _language(request, lang))


@router.post("/login", response_class=HTMLResponse, summary="Sign in (form)")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=4096)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    lang: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    auth = _auth(request)
    language = _language(request, lang)
    texts = TEXTS[language]
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        return _page(request, language, message=texts["expired_form"], name=name, status=403)
    source = request.client.host if request.client else ""
    try:
        session = auth.sign_in(
            name.strip(), password, source, request.headers.get("user-agent", "")
        )
    except SignInRefused as exc:
        if exc.locked_until is not None:
            time = exc.locked_until.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
            message = texts["locked"].format(time=time)
        else:
            message = texts["refused"]
        return _page(request, language, message=message, name=name, status=401)
    response = RedirectResponse(AFTER_SIGN_IN, status_code=303)
    set_session_cookie(response, request, session.token)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", summary="Sign out: the session is deleted on the server")
def logout(request: Request, principal: CurrentPrincipal) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    auth: Authenticator | None = getattr(request.app.state, "auth", None)
    if auth is not None and principal.session is not None:
        auth.sign_out(token, principal.source)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/api/v1/me", summary="Who is signed in, their rights and the CSRF token")
def me(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    user, session = principal.user, principal.session
    day = today(request)
    on_file = user.card_expiry != date.max  # header identities carry no expiry
    return {
        "name": user.name,
        "display_name": user.shown_name,
        "role": str(user.role),
        "language": user.language,
        "card_number": user.card_number,
        "card_expiry": user.card_expiry.isoformat() if on_file else None,
        "card_days_left": (user.card_expiry - day).days if on_file else None,
        "can_take_alarms": user.can_take_alarms(day),
        "permissions": sorted(user.permissions),
        "source": principal.source,
        "csrf_token": session.csrf_token if session is not None else None,
        "session_expires": session.expires_at.isoformat() if session is not None else None,
    }
