"""The operators' console: server-rendered pages (Jinja2), plain forms, a WebSocket push.

* ``GET /console``: the queue of open incidents; ``#queue-rows`` is replaced by what
  ``/ws/console`` pushes (a full snapshot on every connect, then the rows again after
  each change; see ``live.LiveHub``).
* ``GET /console/incidents/{id}``: one incident to work (site card, timeline, procedure,
  contacts, main courante); the first view marks it displayed.
* ``POST /console/next`` and ``/console/incidents/{id}/claim|release|steps/{n}|close``,
  ``.../calls``, ``.../dispatches``, ``.../dispatches/{n}/{stage}``, ``.../back-to-normal``:
  the same ``IncidentQueue`` actions as the API, with the CSRF form field; success
  redirects back (303), a refusal re-renders the page with the reason in ``#flash``
  (409; 403 without the right or a valid card).

Without a session an HTML page redirects to ``/login``; the WebSocket is refused
(close code 1008) unless the session cookie names an active session.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from vigie.domain.incidents import (
    CallResult,
    DispatchKind,
    DispatchStage,
    Incident,
    IncidentRefused,
    Outcome,
    StepStatus,
)
from vigie.domain.register import Site
from vigie.domain.users import User
from vigie.entrypoints.web import i18n
from vigie.entrypoints.web.actor import _INSTALLER, Principal, current_principal, today
from vigie.entrypoints.web.live import LiveHub
from vigie.entrypoints.web.security import SESSION_COOKIE
from vigie.services.auth import Authenticator
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Actor, Logbook

__all__ = ["render_queue_rows", "router"]

router = APIRouter(include_in_schema=False, tags=["console"])

LANG_COOKIE = "vigie_lang"
SITE_NAMES_TTL = 60.0  # seconds a site's name is kept for the queue rows
SESSION_RECHECK = 30.0  # seconds between checks that a console socket's session lives


@cache
def templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
    templates.env.filters["paris"] = i18n.paris_time
    return templates


# -- who, in which language -------------------------------------------------------------


async def console_principal(request: Request) -> Principal | None:
    """The signed-in user, or None (the page then redirects to the sign-in form)."""
    try:
        return await current_principal(request)
    except HTTPException as exc:
        if exc.status_code == 401:
            return None
        raise


ConsolePrincipal = Annotated[Principal | None, Depends(console_principal)]


def page_language(request: Request, user: User) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return i18n.language(asked, user.language)


def to_login() -> Response:
    return RedirectResponse("/login", status_code=303)


def _may_view(principal: Principal) -> None:
    if not principal.user.may("console.view"):
        raise HTTPException(status_code=403, detail="droit requis : console.view")


def _work_refusal(principal: Principal, request: Request, lang: str) -> str | None:
    """Why this user may not work incidents, or None (same rules as the API)."""
    t = i18n.texts(lang)
    user = principal.user
    if not user.may("queue.work"):
        return t["forbidden_work"]
    if not user.can_take_alarms(today(request)):
        return t["card_required"] if not user.card_number else t["card_expired"]
    return None


def _queue(state: Any) -> IncidentQueue:
    queue: IncidentQueue | None = getattr(state, "queue", None)
    if queue is None:
        raise HTTPException(status_code=503, detail="the incident queue is not configured")
    return queue


def _notify(state: Any) -> None:
    hub: LiveHub | None = getattr(state, "live", None)
    if hub is not None:
        hub.notify()


# -- the queue's rows (also what the socket pushes) ------------------------------------------


@dataclass
class _SiteNames:
    """Site names for the queue rows, kept a minute (the queue is re-rendered often)."""

    register: Any
    names: dict[str, tuple[str, float]]

    def name(self, site_id: str | None) -> str:
        if site_id is None or self.register is None:
            return ""
        known = self.names.get(site_id)
        if known is not None and time.monotonic() - known[1] < SITE_NAMES_TTL:
            return known[0]
        site: Site | None = self.register.site(site_id)
        name = site.name if site is not None else site_id
        self.names[site_id] = (name, time.monotonic())
        return name


def _site_names(state: Any) -> _SiteNames:
    names: _SiteNames | None = getattr(state, "console_site_names", None)
    if names is None:
        names = _SiteNames(getattr(state, "register", None), {})
        state.console_site_names = names
    return names


def _category(incident: Incident, lang: str) -> str:
    if not incident.alarms:
        return incident.title
    kinds = i18n.KINDS[lang]
    return kinds.get(incident.alarms[0].kind.value, incident.alarms[0].kind.value)


def _row(incident: Incident, names: _SiteNames, lang: str) -> dict[str, Any]:
    """One queue row. Nothing here depends on the time of rendering (ages are counted in
    the browser), so an unchanged queue renders to the same HTML and is not pushed."""
    return {
        "id": incident.id,
        "priority": incident.priority,
        "state": incident.state.value,
        "state_label": i18n.STATES[lang].get(incident.state.value, incident.state.value),
        "holder": incident.holder or "",
        "site_id": incident.site_id or "",
        "site_name": names.name(incident.site_id) or incident.title,
        "category": _category(incident, lang),
        "count": len(incident.alarms),
        "since": incident.opened_at.isoformat(),
        "opened": i18n.paris_time(incident.opened_at),
        "escalated": incident.escalated_at is not None,
    }


def render_queue_rows(state: Any, lang: str) -> str:
    """The ``<tr>`` rows of ``#queue-rows`` (blocking: call it from a thread)."""
    names = _site_names(state)
    rows = [_row(i, names, lang) for i in _queue(state).waiting()]
    template = templates().get_template("console/_queue_rows.html")
    return template.render(rows=rows, t=i18n.texts(lang))


class _SharedRows:
    """One rendering of the queue serves every console of a language.

    Keyed by the hub's version and by the poll period (a change made by another process
    does not move this process's version): ten consoles cost one query and one render.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[int, int], str]] = {}

    def rows(self, state: Any, lang: str, version: int, poll: float) -> str:
        key = (version, int(time.monotonic() / max(poll, 0.1)))
        with self._lock:
            cached = self._cache.get(lang)
            if cached is not None and cached[0] == key:
                return cached[1]
            html = render_queue_rows(state, lang)
            self._cache[lang] = (key, html)
            return html


def _shared_rows(state: Any) -> _SharedRows:
    shared: _SharedRows | None = getattr(state, "console_shared_rows", None)
    if shared is None:
        shared = _SharedRows()
        state.console_shared_rows = shared
    return shared


# -- pages -------------------------------------------------------------------------------


def page_context(principal: Principal, lang: str, flash: str = "") -> dict[str, Any]:
    session = principal.session
    return {
        "lang": lang,
        "t": i18n.texts(lang),
        "user": principal.user.name,
        "role": str(principal.user.role),
        "role_label": i18n.ROLES[lang].get(str(principal.user.role), str(principal.user.role)),
        "csrf_token": session.csrf_token if session is not None else "",
        "flash": flash,
    }


def render_page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    response = templates().TemplateResponse(request, template, context, status_code=status)
    asked = request.query_params.get("lang")
    if asked in i18n.LANGUAGES and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(
            LANG_COOKIE, str(asked), samesite="strict", httponly=True, path="/",
            secure=request.url.scheme == "https",
        )  # fmt: skip
    return response


def _queue_page(
    request: Request, principal: Principal, flash: str = "", status: int = 200
) -> Response:
    lang = page_language(request, principal.user)
    context = page_context(principal, lang, flash) | {
        "rows_html": render_queue_rows(request.app.state, lang)
    }
    return render_page(request, "console/queue.html", context, status)


@router.get("/console", response_class=HTMLResponse)
def queue_page(request: Request, principal: ConsolePrincipal) -> Response:
    if principal is None:
        return to_login()
    _may_view(principal)
    return _queue_page(request, principal)


@router.post("/console/next")
def take_next(request: Request, principal: ConsolePrincipal) -> Response:
    if principal is None:
        return to_login()
    _may_view(principal)
    lang = page_language(request, principal.user)
    refused = _work_refusal(principal, request, lang)
    if refused is not None:
        return _queue_page(request, principal, refused, 403)
    incident = _queue(request.app.state).claim_next(principal.actor)
    if incident is None:
        return _queue_page(request, principal, i18n.texts(lang)["nothing_waiting"])
    _notify(request.app.state)
    return RedirectResponse(f"/console/incidents/{incident.id}", status_code=303)


def _timeline(incident: Incident, lang: str) -> list[dict[str, Any]]:
    t, kinds = i18n.texts(lang), i18n.KINDS[lang]
    events: list[dict[str, Any]] = []
    for alarm in incident.alarms:
        zone = f"zone {alarm.zone}" + (f" ({alarm.zone_label})" if alarm.zone_label else "")
        parts = [kinds.get(alarm.kind.value, alarm.kind.value), alarm.code, alarm.description]
        if alarm.zone:
            parts.append(zone)
        if alarm.user_name or alarm.user:
            parts.append(alarm.user_name or f"user {alarm.user}")
        text = " — ".join(p for p in parts if p)
        if alarm.count > 1:
            text += f" (×{alarm.count} {t['times']})"
        events.append({"at": alarm.raised_at, "class": "alarm", "text": text})
        if alarm.restored_at is not None:
            label = f"{t['restored']} — {alarm.code}" + (f" — {zone}" if alarm.zone else "")
            events.append({"at": alarm.restored_at, "class": "restore", "text": label})
    events.sort(key=lambda e: e["at"])
    return events


def _cameras(incident: Incident, site: Site | None) -> list[str]:
    if site is None:
        return []
    zones = {a.zone for a in incident.alarms if a.zone}
    cameras: list[str] = []
    for zone in site.zones:
        if zone.number in zones:
            cameras += [c for c in zone.cameras if c not in cameras]
    return cameras


def _incident_page(
    request: Request,
    principal: Principal,
    incident_id: int,
    flash: str = "",
    status: int = 200,
) -> Response:
    state = request.app.state
    lang = page_language(request, principal.user)
    queue = _queue(state)
    incident = queue.get(incident_id)
    if incident is None:
        raise HTTPException(status_code=404, detail=f"no incident {incident_id}")
    if incident.first_displayed_at is None:
        queue.displayed(incident_id)
    register = getattr(state, "register", None)
    site: Site | None = (
        register.site(incident.site_id) if register is not None and incident.site_id else None
    )
    logbook: Logbook | None = getattr(state, "logbook", None)
    entries = logbook.search(incident_id=incident_id, limit=1000) if logbook is not None else []
    context = page_context(principal, lang, flash) | {
        "incident": incident,
        "state_label": i18n.STATES[lang].get(incident.state.value, incident.state.value),
        "site": site,
        "contacts": sorted(site.contacts, key=lambda c: c.call_order) if site else [],
        "timeline": _timeline(incident, lang),
        "cameras": _cameras(incident, site),
        "entries": entries,
        "outcomes": [(o.value, i18n.OUTCOMES[lang][o.value]) for o in Outcome],
        "step_statuses": i18n.STEP_STATUSES[lang],
        "mine": incident.holder == principal.user.name,
        "providers": _providers(register, site),
        "call_results": i18n.CALL_RESULTS[lang],
        "dispatch_kinds": i18n.DISPATCH_KINDS[lang],
        "stages": i18n.DISPATCH_STAGES[lang],
        "next_stages": ("on_the_way", "on_site", "finished"),
        "urgent_steps": ("notify_police",) if incident.duress else (),
    }
    return render_page(request, "console/incident.html", context, status)


def _providers(register: Any, site: Site | None) -> list[Any]:
    """The site's providers first, then the others (a guard may cover for another)."""
    if register is None:
        return []
    every = list(register.providers())
    if site is None:
        return every
    own = [p for p in every if p.id in site.provider_ids]
    return own + [p for p in every if p.id not in site.provider_ids]


@router.get("/console/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: int, principal: ConsolePrincipal) -> Response:
    if principal is None:
        return to_login()
    _may_view(principal)
    return _incident_page(request, principal, incident_id)


def _act(
    request: Request,
    principal: Principal | None,
    incident_id: int,
    action: Callable[[IncidentQueue, Actor], object],
) -> Response:
    if principal is None:
        return to_login()
    _may_view(principal)
    lang = page_language(request, principal.user)
    refused = _work_refusal(principal, request, lang)
    if refused is not None:
        return _incident_page(request, principal, incident_id, refused, 403)
    try:
        action(_queue(request.app.state), principal.actor)
    except IncidentRefused as exc:
        return _incident_page(request, principal, incident_id, i18n.refusal(str(exc), lang), 409)
    except LookupError:
        raise HTTPException(status_code=404, detail=f"no incident {incident_id}") from None
    _notify(request.app.state)
    return RedirectResponse(f"/console/incidents/{incident_id}", status_code=303)


@router.post("/console/incidents/{incident_id}/claim")
def claim(request: Request, incident_id: int, principal: ConsolePrincipal) -> Response:
    return _act(request, principal, incident_id, lambda q, a: q.claim(incident_id, a))


@router.post("/console/incidents/{incident_id}/release")
def release(request: Request, incident_id: int, principal: ConsolePrincipal) -> Response:
    return _act(request, principal, incident_id, lambda q, a: q.release(incident_id, a))


@router.post("/console/incidents/{incident_id}/steps/{number}")
def step(
    request: Request,
    incident_id: int,
    number: int,
    principal: ConsolePrincipal,
    status: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if status not in (StepStatus.DONE.value, StepStatus.NOT_APPLICABLE.value):
        status = "open"  # refused by the domain, with its message

    def mark(queue: IncidentQueue, actor: Actor) -> object:
        return queue.step(incident_id, actor, number, StepStatus(status), note.strip())

    return _act(request, principal, incident_id, mark)


@router.post("/console/incidents/{incident_id}/close")
def close(
    request: Request,
    incident_id: int,
    principal: ConsolePrincipal,
    outcome: Annotated[str, Form(max_length=64)] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    def close_it(queue: IncidentQueue, actor: Actor) -> object:
        try:
            chosen = Outcome(outcome)
        except ValueError:
            raise IncidentRefused(f"unknown outcome {outcome[:64]!r}") from None
        return queue.close(incident_id, actor, chosen, comment.strip())

    return _act(request, principal, incident_id, close_it)


@router.post("/console/incidents/{incident_id}/calls")
def call(
    request: Request,
    incident_id: int,
    principal: ConsolePrincipal,
    contact_id: Annotated[str, Form(max_length=64)] = "",
    result: Annotated[str, Form(max_length=32)] = "",
    word: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def record(queue: IncidentQueue, actor: Actor) -> object:
        if result not in ("reached", "no_answer", "voicemail"):
            raise IncidentRefused(f"unknown call result {result[:32]!r}")
        return queue.call(
            incident_id, actor, contact_id, CallResult(result), word, phone, note.strip()
        )

    return _act(request, principal, incident_id, record)


@router.post("/console/incidents/{incident_id}/dispatches")
def dispatch(
    request: Request,
    incident_id: int,
    principal: ConsolePrincipal,
    kind: Annotated[str, Form(max_length=32)] = "",
    provider_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    def send(queue: IncidentQueue, actor: Actor) -> object:
        try:
            chosen = DispatchKind(kind)
        except ValueError:
            raise IncidentRefused(f"unknown dispatch kind {kind[:32]!r}") from None
        return queue.dispatch(incident_id, actor, chosen, provider_id or None)

    return _act(request, principal, incident_id, send)


@router.post("/console/incidents/{incident_id}/dispatches/{number}/{stage}")
def dispatch_progress(
    request: Request,
    incident_id: int,
    number: int,
    stage: str,
    principal: ConsolePrincipal,
    report: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    def advance(queue: IncidentQueue, actor: Actor) -> object:
        if stage not in ("on_the_way", "on_site", "finished"):
            raise IncidentRefused(f"unknown dispatch stage {stage[:32]!r}")
        return queue.dispatch_progress(incident_id, actor, number, DispatchStage(stage), report)

    return _act(request, principal, incident_id, advance)


@router.post("/console/incidents/{incident_id}/back-to-normal")
def back_to_normal(
    request: Request,
    incident_id: int,
    principal: ConsolePrincipal,
    rearmed: Annotated[str, Form(max_length=8)] = "",
    checked: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    def tick(queue: IncidentQueue, actor: Actor) -> object:
        return queue.back_to_normal(incident_id, actor, bool(rearmed), bool(checked))

    return _act(request, principal, incident_id, tick)


# -- the push channel -------------------------------------------------------------------------


def _same_origin(websocket: WebSocket) -> bool:
    """A browser always sends Origin on a WebSocket: refuse other sites' pages."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (tests, tools): the session cookie still decides
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


async def _socket_user(websocket: WebSocket) -> User | None:
    auth: Authenticator | None = getattr(websocket.app.state, "auth", None)
    if auth is None or not _same_origin(websocket):
        return None
    token = websocket.cookies.get(SESSION_COOKIE)
    if not token:
        return _INSTALLER if await run_in_threadpool(auth.setting_up) else None
    found = await run_in_threadpool(auth.session_user, token)
    if found is None or not found[0].may("console.view"):
        return None
    return found[0]


@router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    """On connect: the whole queue; then the rows again whenever they change.

    Messages are JSON: ``{"type": "queue", "snapshot": bool, "html": "<tr ...>..."}``."""
    user = await _socket_user(websocket)
    if user is None:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    state = websocket.app.state
    hub: LiveHub = state.live
    lang = i18n.language(websocket.query_params.get("lang"), user.language)
    closed = asyncio.Event()

    async def read_until_closed() -> None:
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            closed.set()

    reader = asyncio.create_task(read_until_closed())
    last: str | None = None
    checked = time.monotonic()
    try:
        while not closed.is_set():
            seen = hub.version  # before rendering: a change meanwhile is not lost
            html = await run_in_threadpool(_shared_rows(state).rows, state, lang, seen, hub.poll)
            if html != last:
                await websocket.send_json({"type": "queue", "snapshot": last is None, "html": html})
                last = html
            await hub.wait(seen)
            if time.monotonic() - checked >= SESSION_RECHECK:
                checked = time.monotonic()
                if await _socket_user(websocket) is None:
                    await websocket.close(code=1008)
                    break
    except (WebSocketDisconnect, RuntimeError):
        pass  # the console went away
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
