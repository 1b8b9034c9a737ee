"""The main courante page of the console.

* ``GET /console/logbook``: the latest entries (newest first) matching the search form
  (site, incident, author, text, kind, from/to), the chain status and export links.
* ``GET /console/logbook/rows``: the table's rows alone, which ``pages.js`` fetches
  every 5 s (no inline script: the CSP forbids it).
* ``POST /console/logbook``: a manual entry; ``POST /console/logbook/{id}/corrections``:
  a correction of entry ``id`` (both need "logbook.write" and the CSRF form field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigie.domain.errors import InvalidValue, NotFound
from vigie.domain.logbook import LogEntry, LogKind
from vigie.entrypoints.web import i18n_pages
from vigie.entrypoints.web.actor import Principal
from vigie.entrypoints.web.pages_common import (
    ConsolePrincipal,
    context,
    fragment,
    lang_of,
    need,
    render,
    to_login,
)
from vigie.services.logbook import Logbook
from vigie.services.logbook_export import paris_time
from vigie.services.logbook_period import PeriodError, parse_bound

__all__ = ["router"]

router = APIRouter(include_in_schema=False, tags=["console"])

SHOWN = 200  # entries on the page


@dataclass(frozen=True, slots=True)
class Filters:
    site: str = ""
    incident: str = ""
    author: str = ""
    q: str = ""
    kind: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def of(cls, request: Request) -> Filters:
        p = request.query_params
        return cls(*(p.get(name, "").strip()[:200] for name in _NAMES))

    def query(self) -> str:
        pairs = [(n, v) for n, v in zip(_NAMES, self.values(), strict=True) if v]
        return urlencode(pairs)

    def values(self) -> tuple[str, ...]:
        return (self.site, self.incident, self.author, self.q, self.kind, self.since, self.until)


_NAMES = ("site", "incident", "author", "q", "kind", "from", "to")


def _logbook(request: Request) -> Logbook:
    logbook: Logbook | None = getattr(request.app.state, "logbook", None)
    if logbook is None:
        raise HTTPException(status_code=503, detail="the logbook is not configured")
    return logbook


def _search(logbook: Logbook, f: Filters, lang: str) -> tuple[list[LogEntry], str]:
    """The entries matching ``f`` (newest first) and why a filter was refused, if one was."""
    t = i18n_pages.texts(lang)
    try:
        since, until = (
            parse_bound(f.since or None, end=False),
            parse_bound(f.until or None, end=True),
        )
        kind = LogKind(f.kind) if f.kind else None
        incident = int(f.incident) if f.incident else None
    except (PeriodError, ValueError) as exc:
        return [], t["bad_filter"].format(detail=exc)
    entries = logbook.search(
        site_id=f.site or None,
        incident_id=incident,
        author=f.author or None,
        text=f.q or None,
        kind=kind,
        since=since,
        until=until,
        limit=SHOWN,
        newest_first=True,
    )
    return entries, ""


def _rows(entries: list[LogEntry], lang: str, csrf_token: str, may_write: bool) -> str:
    kinds = {k.value: k.value for k in LogKind}
    values: dict[str, Any] = {
        "entries": entries,
        "t": i18n_pages.texts(lang),
        "kinds": kinds,
        "csrf_token": csrf_token,
        "may_write": may_write,
        "local": paris_time,
    }
    return fragment("console/_logbook_rows.html", values)


def _chain(logbook: Logbook, lang: str) -> tuple[bool, str]:
    t = i18n_pages.texts(lang)
    check = logbook.verify()
    if check.first_break is None:
        return True, t["chain_ok"].format(n=check.entries)
    broken = check.first_break
    return False, t["chain_broken"].format(
        id=broken.entry_id, detail=f"{broken.kind}: {broken.detail}"
    )


def _page(request: Request, principal: Principal, flash: str = "", status: int = 200) -> Response:
    lang = lang_of(request, principal)
    logbook = _logbook(request)
    f = Filters.of(request)
    entries, refused = _search(logbook, f, lang)
    values = context(principal, lang, flash or refused)
    chain_ok, chain_text = _chain(logbook, lang)
    export = urlencode([(n, v) for n, v in (("from", f.since), ("to", f.until)) if v])
    values |= {
        "filters": f,
        "query": f.query(),
        "kinds": [k.value for k in LogKind],
        "rows_html": _rows(entries, lang, values["csrf_token"], values["may_write"]),
        "chain_ok": chain_ok,
        "chain_text": chain_text,
        "export_csv": "/api/v1/logbook/export?"
        + urlencode([("format", "csv")])
        + ("&" + export if export else ""),
        "export_pdf": "/api/v1/logbook/export?"
        + urlencode([("format", "pdf")])
        + ("&" + export if export else ""),
    }
    return render(request, "console/logbook.html", values, status)


@router.get("/console/logbook", response_class=HTMLResponse)
def logbook_page(request: Request, principal: ConsolePrincipal) -> Response:
    if principal is None:
        return to_login()
    need(principal, "console.view")
    return _page(request, principal)


@router.get("/console/logbook/rows", response_class=HTMLResponse)
def logbook_rows(request: Request, principal: ConsolePrincipal) -> Response:
    if principal is None:
        raise HTTPException(status_code=401, detail="authentification requise")
    need(principal, "console.view")
    lang = lang_of(request, principal)
    entries, _ = _search(_logbook(request), Filters.of(request), lang)
    token = principal.session.csrf_token if principal.session is not None else ""
    html = _rows(entries, lang, token, principal.user.may("logbook.write"))
    return HTMLResponse(html)


def _write(request: Request, principal: Principal | None, write: Any) -> Response:
    if principal is None:
        return to_login()
    need(principal, "console.view")
    lang = lang_of(request, principal)
    t = i18n_pages.texts(lang)
    if not principal.user.may("logbook.write"):
        return _page(request, principal, t["need_write"], 403)
    try:
        write(_logbook(request), principal, t)
    except _Refused as exc:
        return _page(request, principal, str(exc), 422)
    except NotFound as exc:
        return _page(request, principal, str(exc), 404)
    except InvalidValue as exc:
        return _page(request, principal, str(exc), 422)
    return RedirectResponse("/console/logbook", status_code=303)


class _Refused(Exception):
    pass


@router.post("/console/logbook")
def add_entry(
    request: Request,
    principal: ConsolePrincipal,
    text: Annotated[str, Form(max_length=10_000)] = "",
    site_id: Annotated[str, Form(max_length=64)] = "",
    incident_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    def write(logbook: Logbook, who: Principal, t: Any) -> None:
        if not text.strip():
            raise _Refused(t["need_text"])
        try:
            incident = int(incident_id) if incident_id.strip() else None
        except ValueError:
            raise _Refused(t["bad_filter"].format(detail=incident_id)) from None
        logbook.manual(
            text.strip(), who.actor, site_id=site_id.strip() or None, incident_id=incident
        )

    return _write(request, principal, write)


@router.post("/console/logbook/{entry_id}/corrections")
def correct_entry(
    request: Request,
    entry_id: int,
    principal: ConsolePrincipal,
    text: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    def write(logbook: Logbook, who: Principal, t: Any) -> None:
        if not text.strip():
            raise _Refused(t["need_text"])
        if logbook.get(entry_id) is None:
            raise _Refused(t["no_entry"].format(id=entry_id))
        logbook.correct(entry_id, text.strip(), who.actor)

    return _write(request, principal, write)
