"""The FastAPI application. Built by bootstrap with its dependencies in ``app.state``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

from vigie.entrypoints.web import api_incidents, api_logbook, api_register, api_signals
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
) -> FastAPI:
    """``register`` (a ``SqlRegister``) serves the /api/v1 register routes."""
    app = FastAPI(
        title="Vigie",
        version="0.1.0",
        description="Monitoring-centre platform: alarm reception, processing, console.",
    )
    app.state.signal_reader = signal_reader
    app.include_router(api_signals.router)
    if register is not None:
        app.state.register = register
    app.include_router(api_register.router)
    app.state.logbook = logbook
    app.include_router(api_logbook.router)
    app.state.queue = queue
    app.include_router(api_incidents.router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get("/healthz", tags=["health"], summary="Is the station able to receive?")
    def healthz() -> JSONResponse:
        report = health()
        status = 200 if report.get("status") == "ok" else 503
        return JSONResponse(report, status_code=status)

    return app
