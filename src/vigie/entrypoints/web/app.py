"""The FastAPI application. Built by bootstrap with its dependencies in ``app.state``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from vigie.entrypoints.web import (
    api_incidents,
    api_logbook,
    api_register,
    api_signals,
    auth_routes,
    console,
    console_handover,
    console_logbook,
    console_socket,
    console_supervisor,
)
from vigie.entrypoints.web.actor import guard
from vigie.entrypoints.web.live import LiveHub
from vigie.entrypoints.web.security import SecurityHeaders
from vigie.services.auth import Authenticator
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Logbook
from vigie.services.ports import SignalReader

__all__ = ["create_app"]


def create_app(
    signal_reader: SignalReader,
    health: Callable[[], dict[str, Any]],
    *,
    logbook: Logbook | None = None,
    register: Any | None = None,
    queue: IncidentQueue | None = None,
    auth: Authenticator | None = None,
    trust_identity_headers: bool = False,
    live: LiveHub | None = None,
    handovers: Any | None = None,
    supervision: Any | None = None,
    routers: Sequence[APIRouter] = (),
    video: Any | None = None,
    queue_rows: Any | None = None,
    arming: Callable[[str], list[Any]] | None = None,
) -> FastAPI:
    """``register`` (a ``SqlRegister``) serves the /api/v1 register routes.

    Every /api/v1 route needs a signed-in user (``auth``'s session cookie, or the
    X-Vigie-* headers of a trusted reverse proxy when ``trust_identity_headers``);
    writes need the permission of their router (see ``actor.guard``).

    ``live`` wakes the consoles' WebSockets (``/ws/console``) when incidents change; the
    station passes the hub its processing worker notifies, else the app makes its own."""
    app = FastAPI(
        title="Vigie",
        version="0.1.0",
        description="Monitoring-centre platform: alarm reception, processing, console.",
    )
    app.add_middleware(SecurityHeaders)
    app.state.auth = auth
    app.state.trust_identity_headers = trust_identity_headers
    app.include_router(auth_routes.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    app.state.video = video
    app.state.arming = arming  # a site's partitions: armed or not, by whom, since when
    if queue_rows is not None:  # the light read of the queue (a ``SqlQueueRows``)
        app.state.queue_rows = queue_rows
    for extra in routers:  # before the console's: their paths are more specific
        app.include_router(extra)
    app.state.signal_reader = signal_reader
    app.include_router(api_signals.router, dependencies=[Depends(guard("console.view"))])
    if register is not None:
        app.state.register = register
    app.include_router(
        api_register.router, dependencies=[Depends(guard("console.view", "register.edit"))]
    )
    app.state.logbook = logbook
    app.include_router(
        api_logbook.router, dependencies=[Depends(guard("console.view", "logbook.write"))]
    )
    app.state.queue = queue
    app.include_router(
        api_incidents.router,
        dependencies=[Depends(guard("console.view", "queue.work", writes_take_alarms=True))],
    )
    app.state.live = live if live is not None else LiveHub()
    app.include_router(console.router)
    app.include_router(console_socket.router)
    app.state.handovers, app.state.supervision = handovers, supervision
    for pages in (console_logbook, console_handover, console_supervisor):
        app.include_router(pages.router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console")  # which sends visitors to /login first

    @app.get("/healthz", tags=["health"], summary="Is the station able to receive?")
    def healthz() -> JSONResponse:
        report = health()
        status = 200 if report.get("status") == "ok" else 503
        return JSONResponse(report, status_code=status)

    return app
