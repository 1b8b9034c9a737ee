"""The operators' console: server-rendered pages (Jinja2), plain forms, a WebSocket push.

* ``GET /console``: the queue of open incidents (``console_queue``); ``/ws/console``
  (``console_socket``) keeps ``#queue-rows`` up to date (the whole queue on every
  connect, then only the rows that changed; see ``console_live`` and ``live.LiveHub``).
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

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

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
from vigie.entrypoints.web.actor import Principal, card_refusal, current_principal
from vigie.entrypoints.web.console_queue import (
    notify_change,
    queue_of,
    queue_view,
)
from vigie.entrypoints.web.console_templates import templates
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Actor, Logbook

__all__ = ["router", "templates"]

router = APIRouter(include_in_schema=False, tags=["console"])

LANG_COOKIE = "vigie_lang"


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
    refused = card_refusal(user, request)
    return t[refused] if refused is not None else None


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
    view = queue_view(request.app.state, lang)
    context = page_context(principal, lang, flash) | {
        "rows_html": view.html(),
        "digest": view.digest,
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
    incident = queue_of(request.app.state).claim_next(principal.actor)
    if incident is None:
        return _queue_page(request, principal, i18n.texts(lang)["nothing_waiting"])
    notify_change(request.app.state, incident.id)
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


def _arming(state: Any, site: Site | None) -> list[dict[str, Any]]:
    """Each partition: armed or not, by which panel user (and their name), since when."""
    reader = getattr(state, "arming", None)
    if reader is None or site is None:
        return []
    rows = []
    for partition, armed, by, at in reader(site.id):
        user = site.user(by) if by is not None else None
        rows.append(
            {"partition": partition, "armed": armed, "by": by,
             "name": user.name if user is not None else "", "at": at}
        )  # fmt: skip
    return rows


def _incident_page(
    request: Request,
    principal: Principal,
    incident_id: int,
    flash: str = "",
    status: int = 200,
) -> Response:
    state = request.app.state
    lang = page_language(request, principal.user)
    queue = queue_of(state)
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
        "arming": _arming(state, site),
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
    video = getattr(state, "video", None)
    if video is not None:  # the pane's module builds on this one: imported here
        from vigie.entrypoints.web.console_video_pane import video_pane_context

        context |= video_pane_context(
            incident_id,
            context["cameras"],
            video.media,
            video.supervisor,
            camera_store=video.cameras,
            lang=lang,
        )
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
        action(queue_of(request.app.state), principal.actor)
    except IncidentRefused as exc:
        return _incident_page(request, principal, incident_id, i18n.refusal(str(exc), lang), 409)
    except LookupError:
        raise HTTPException(status_code=404, detail=f"no incident {incident_id}") from None
    notify_change(request.app.state, incident_id)
    return RedirectResponse(f"/console/incidents/{incident_id}", status_code=303)


@router.post("/console/incidents/{incident_id}/claim")
def claim(request: Request, incident_id: int, principal: ConsolePrincipal) -> Response:
    return _act(request, principal, incident_id, lambda q, a: q.claim(incident_id, a))


@router.post("/console/incidents/{incident_id}/release")
def release(request: Request, incident_id: int, principal: ConsolePrincipal) -> Response:
    return _act(request, principal, incident_id, lambda q, a: q.release(incident_id, a))


@router.post("/console/incidents/{incident_id}/hold")
def hold(
    request: Request,
    incident_id: int,
    principal: ConsolePrincipal,
    minutes: Annotated[float, Form(gt=0, le=1440)],
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    """Mise en attente: the incident comes back to the queue when its timer runs out."""
    return _act(
        request, principal, incident_id, lambda q, a: q.hold(incident_id, a, minutes, reason)
    )


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
