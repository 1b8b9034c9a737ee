"""The console's push channel: ``/ws/console`` keeps a page's ``#queue-rows`` current.

On connect the whole queue (or ``"same"`` when the page was rendered from the current
view), then only the rows that changed, as ``console_live`` describes; the session is
checked again every ``SESSION_RECHECK`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from vigie.domain.users import User
from vigie.entrypoints.web import i18n
from vigie.entrypoints.web.actor import _INSTALLER
from vigie.entrypoints.web.console_live import QueueView
from vigie.entrypoints.web.console_queue import queue_views
from vigie.entrypoints.web.live import LiveHub
from vigie.entrypoints.web.security import SESSION_COOKIE
from vigie.services.auth import Authenticator

__all__ = ["router"]

router = APIRouter(include_in_schema=False, tags=["console"])

SESSION_RECHECK = 30.0  # seconds between checks that a console socket's session lives


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
    """On connect: the whole queue; then only the rows that changed (``console_live``).

    ``{"type": "queue", "snapshot": true, "html": "<tr ...>..."}`` first (``"same": true``
    instead of the HTML when ``?have=`` names the view the page was rendered from), then
    ``{"type": "rows", "upsert": [{"id", "after", "html"}], "remove": [id], "count": n}``."""
    user = await _socket_user(websocket)
    if user is None:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    state = websocket.app.state
    hub: LiveHub = state.live
    lang = i18n.language(websocket.query_params.get("lang"), user.language)
    views = queue_views(state)
    have = websocket.query_params.get("have", "")[:64]
    closed = asyncio.Event()

    async def read_until_closed() -> None:
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            closed.set()

    reader = asyncio.create_task(read_until_closed())
    sent: QueueView | None = None
    checked = time.monotonic()
    try:
        while not closed.is_set():
            seen = hub.version  # before reading: a change meanwhile is not lost
            view = views.peek(lang, seen, hub.poll)
            if view is None:  # a read is due: in the thread pool (the first console only)
                view = await run_in_threadpool(views.view, lang, seen, hub.poll)
            if sent is None:
                same = bool(have) and have == view.digest  # the page was rendered from it
                snapshot: dict[str, Any] = {"type": "queue", "snapshot": True}
                snapshot.update({"same": True} if same else {"html": view.html()})
                snapshot["sent_at"] = time.time() * 1000  # epoch ms: the benchmark's split
                await websocket.send_json(snapshot)
            elif view is not sent:
                text = views.message(lang, sent, view)
                if text is not None:
                    await websocket.send_text(text)
            sent = view
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
