"""What the main courante, handover and supervisor pages share with the console's
pages: the signed-in user (or a redirect to ``/login``), the language, the base context
(``base.html``) with this pages' words added (``i18n_pages``)."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response

from vigie.entrypoints.web import console, i18n_pages
from vigie.entrypoints.web.actor import Principal

__all__ = ["ConsolePrincipal", "context", "forbidden", "lang_of", "need", "render", "to_login"]

ConsolePrincipal = console.ConsolePrincipal


def to_login() -> Response:
    return console.to_login()


def need(principal: Principal, permission: str) -> None:
    if not principal.user.may(permission):
        raise HTTPException(status_code=403, detail=f"droit requis : {permission}")


def lang_of(request: Request, principal: Principal) -> str:
    return console.page_language(request, principal.user)


def context(principal: Principal, lang: str, flash: str = "") -> dict[str, Any]:
    return console.page_context(principal, lang, flash) | {
        "t": i18n_pages.texts(lang),
        "may_supervise": principal.user.may("supervise"),
        "may_write": principal.user.may("logbook.write"),
    }


def render(request: Request, template: str, values: dict[str, Any], status: int = 200) -> Response:
    return console.render_page(request, template, values, status)


def forbidden(request: Request, principal: Principal, message: str) -> Response:
    """The 403 page saying which right (or card) is missing."""
    values = context(principal, lang_of(request, principal)) | {"message": message}
    return render(request, "console/forbidden.html", values, 403)


def fragment(template: str, values: dict[str, Any]) -> str:
    return console.templates().get_template(template).render(**values)
