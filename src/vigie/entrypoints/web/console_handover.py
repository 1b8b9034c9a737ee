"""The shift handover page (relève).

* ``GET /console/handover``: the form for a new handover and the latest handovers, each
  with the incidents open or on hold when it was written and both signatures.
* ``POST /console/handover``: the outgoing operator writes one (``notes``).
* ``POST /console/handover/{id}/sign``: the incoming operator (someone else) signs it.

Both steps need "logbook.write" and the CSRF form field; each writes a main-courante
entry (``LogKind.HANDOVER``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.domain.errors import InvalidValue
from vigie.domain.handover import HandoverRefused
from vigie.entrypoints.web import i18n, i18n_pages
from vigie.entrypoints.web.actor import Principal
from vigie.entrypoints.web.pages_common import (
    ConsolePrincipal,
    context,
    lang_of,
    need,
    render,
    to_login,
)
from vigie.services.handover import Handovers

__all__ = ["router"]

router = APIRouter(include_in_schema=False, tags=["console"])


def _handovers(request: Request) -> Handovers:
    handovers: Handovers | None = getattr(request.app.state, "handovers", None)
    if handovers is None:
        raise HTTPException(status_code=503, detail="handovers are not configured")
    return handovers


def _page(request: Request, principal: Principal, flash: str = "", status: int = 200) -> Response:
    lang = lang_of(request, principal)
    handovers = _handovers(request)
    values = context(principal, lang, flash) | {
        "handovers": handovers.latest(),
        "current": handovers.snapshot(),
        "states": i18n.STATES[lang],
        "local": lambda at: i18n.paris_time(at, with_date=True),
    }
    return render(request, "console/handover.html", values, status)


@router.get("/console/handover", response_class=HTMLResponse)
def handover_page(request: Request, principal: ConsolePrincipal) -> Response:
    if principal is None:
        return to_login()
    need(principal, "console.view")
    return _page(request, principal)


def _refused(request: Request, principal: Principal) -> Response | None:
    if principal.user.may("logbook.write"):
        return None
    lang = lang_of(request, principal)
    return _page(request, principal, i18n_pages.texts(lang)["need_write"], 403)


@router.post("/console/handover")
def new_handover(
    request: Request,
    principal: ConsolePrincipal,
    notes: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    if principal is None:
        return to_login()
    need(principal, "console.view")
    refused = _refused(request, principal)
    if refused is not None:
        return refused
    try:
        handover = _handovers(request).open(principal.actor, notes)
    except InvalidValue as exc:
        return _page(request, principal, str(exc), 422)
    return RedirectResponse(f"/console/handover#handover-{handover.id}", status_code=303)


@router.post("/console/handover/{handover_id}/sign")
def sign_handover(request: Request, handover_id: int, principal: ConsolePrincipal) -> Response:
    if principal is None:
        return to_login()
    need(principal, "console.view")
    refused = _refused(request, principal)
    if refused is not None:
        return refused
    lang = lang_of(request, principal)
    try:
        _handovers(request).sign(handover_id, principal.actor)
    except HandoverRefused as exc:
        return _page(request, principal, i18n_pages.refusal(str(exc), lang), 409)
    except LookupError:
        raise HTTPException(status_code=404, detail=f"no handover {handover_id}") from None
    return RedirectResponse(f"/console/handover#handover-{handover_id}", status_code=303)
