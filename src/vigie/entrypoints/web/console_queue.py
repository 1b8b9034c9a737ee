"""The console's queue: its rows as HTML, shared by the page and the live socket.

``queue_view(state, lang)`` is the current ``console_live.QueueView`` of the app
(``state``: ``app.state``), read with ``SqlQueueRows`` (whole or only the incidents a
change named, ``LiveHub.changes_since``) and rendered with ``_queue_rows.html``;
``notify_change`` wakes the consoles after an action on an incident.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from sqlalchemy import Engine

from vigie.adapters.db.queue_rows import QueueRow, SqlQueueRows
from vigie.domain.register import Site
from vigie.entrypoints.web import i18n
from vigie.entrypoints.web.console_live import QueueView, QueueViews
from vigie.entrypoints.web.console_templates import templates
from vigie.entrypoints.web.live import LiveHub
from vigie.services.incident_queue import IncidentQueue

__all__ = ["notify_change", "queue_of", "queue_view", "queue_views", "render_queue_rows"]

SITE_NAMES_TTL = 60.0  # seconds a site's name is kept for the queue rows (no SQL read)


def queue_of(state: Any) -> IncidentQueue:
    queue: IncidentQueue | None = getattr(state, "queue", None)
    if queue is None:
        raise HTTPException(status_code=503, detail="the incident queue is not configured")
    return queue


def notify_change(state: Any, incident_id: int | None) -> None:
    """Wake the consoles: this incident changed (None: some, unknown)."""
    hub: LiveHub | None = getattr(state, "live", None)
    if hub is not None:
        hub.notify(None if incident_id is None else (incident_id,))


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


def _category(row: QueueRow, lang: str) -> str:
    if row.first_kind is None:
        return row.title
    return i18n.KINDS[lang].get(row.first_kind, row.first_kind)


def _row(row: QueueRow, lang: str) -> dict[str, Any]:
    """One queue row. Nothing here depends on the time of rendering (ages are counted in
    the browser), so an unchanged incident keeps the same HTML and is not pushed."""
    return {
        "id": row.id,
        "priority": row.priority,
        "state": row.state,
        "state_label": i18n.STATES[lang].get(row.state, row.state),
        "holder": row.holder or "",
        "site_id": row.site_id or "",
        "site_name": row.site_name or row.site_id or row.title,
        "category": _category(row, lang),
        "count": row.alarms,
        "since": row.opened_at.isoformat(),
        "opened": i18n.paris_time(row.opened_at),
        "escalated": row.escalated,
    }


def _queue_rows_reader(state: Any) -> Callable[[frozenset[int] | None], list[QueueRow]]:
    """The light read of the queue's rows (all open ones, or those of some incidents):
    ``state.queue_rows`` (a ``SqlQueueRows``) when the app was given one; else one on the
    queue's SQL engine; else whole incidents (site names from the register)."""
    reader: SqlQueueRows | None = getattr(state, "queue_rows", None)
    if reader is None:
        engine = getattr(getattr(queue_of(state), "_store", None), "_engine", None)
        if isinstance(engine, Engine):
            reader = state.queue_rows = SqlQueueRows(engine)
    if reader is not None:
        return reader.rows
    names = _site_names(state)

    def whole(ids: frozenset[int] | None) -> list[QueueRow]:
        return [
            QueueRow.of(i, names.name(i.site_id) or None)
            for i in queue_of(state).waiting()
            if ids is None or i.id in ids
        ]

    return whole


def _rows_template() -> Any:
    return templates().get_template("console/_queue_rows.html").module


def queue_views(state: Any) -> QueueViews:
    """The views shared by every console of this app (built on first use)."""
    views: QueueViews | None = getattr(state, "console_queue_views", None)
    if views is None:
        read = _queue_rows_reader(state)
        hub: LiveHub | None = getattr(state, "live", None)

        def load(ids: frozenset[int] | None) -> list[tuple[int, Hashable, Hashable, Any]]:
            return [(r.id, r.order, r, r) for r in read(ids)]

        def render(lang: str, rows: list[QueueRow]) -> list[str]:
            macro = _rows_template().row
            return [str(macro(_row(r, lang))) for r in rows]

        def empty(lang: str) -> str:
            return str(_rows_template().empty(i18n.texts(lang)))

        changes = hub.changes_since if hub is not None else None
        views = QueueViews(load, render, empty, changes)
        state.console_queue_views = views
    return views


def queue_view(state: Any, lang: str) -> QueueView:
    """The queue's current rows (blocking: call it from a thread)."""
    hub: LiveHub | None = getattr(state, "live", None)
    version, poll = (hub.version, hub.poll) if hub is not None else (0, 0.1)
    return queue_views(state).view(lang, version, poll)


def render_queue_rows(state: Any, lang: str) -> str:
    """The ``<tr>`` rows of ``#queue-rows`` (blocking: call it from a thread)."""
    return queue_view(state, lang).html()
