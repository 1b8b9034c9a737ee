"""Browser-facing protections: security headers on every answer, CSRF, the session cookie.

The CSP allows nothing but our own files: no inline script or style, no CDN, no frames.
Templates therefore carry no ``style=`` or ``<script>`` bodies; a page that needs
behaviour loads a static file (with the CSP build of Alpine, see reference/webstack.md).

CSRF: the session cookie is SameSite=Strict already; on top of that every unsafe request
authenticated by that cookie must echo the session's own token (synchronizer token, kept
server-side with the session), in the ``X-CSRF-Token`` header or a ``csrf_token`` field.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import HTTPException, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "SecurityHeaders",
    "check_csrf",
    "clear_session_cookie",
    "set_session_cookie",
]

SESSION_COOKIE = "vigie_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering, streaming answers stay streamed).

    Headers the route set itself win; answers other than static files get
    ``Cache-Control: no-store`` unless they chose otherwise, so a shared browser does not
    keep the queue or the main courante in its cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self._headers if k not in present]
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def check_csrf(request: Request, expected: str) -> None:
    """Refuse (403, with the reason) an unsafe request that does not echo ``expected``."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value: Any = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not given:
        raise HTTPException(
            status_code=403,
            detail=f"jeton CSRF manquant (en-tête {CSRF_HEADER} ou champ {CSRF_FIELD})",
        )
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="jeton CSRF invalide")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """A browser-session cookie: the server decides when it expires."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
