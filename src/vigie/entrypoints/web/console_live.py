"""The live queue: one rendering per change shared by every console, row-level pushes.

A queue of 1,000 open incidents is 500 kB of HTML: re-sending it to ten consoles after
every alarm, and having each browser re-parse it, is what made a new row take seconds to
appear (``bench/console.py``). So:

* ``QueueViews.view`` builds, once per hub version (and per ``poll`` period, for changes
  made by another process) and per language, a ``QueueView``: the incident ids in queue
  order and each row's HTML with a fingerprint of what it shows. A row whose fingerprint
  did not change is not rendered again.
* ``diff(sent, view)`` is what one console lacks: the rows that are new or changed (each
  with the id of the row it follows in the new order), the ids that left, and the row
  count the browser must end with (a mismatch makes it reconnect, and a connection always
  starts with the whole queue).

The messages (JSON):
``{"type": "queue", "snapshot": true, "html": "<tr ...>..."}`` on every (re)connect (or
``"same": true`` without the HTML when the page, just loaded, says with ``?have=`` that it
was rendered from that very view: no second parsing of 500 kB), then
``{"type": "rows", "upsert": [{"id": 7, "after": 3 | null, "html": "<tr ...>"}],
"remove": [5], "count": 1000}`` for each change. Every message also carries ``sent_at``
(epoch ms, the server's clock) so that a benchmark can split a latency.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

__all__ = ["QueueView", "QueueViews", "RowsMessage", "diff"]

RowsMessage = dict[str, Any]


@dataclass(frozen=True, slots=True)
class QueueView:
    """The queue as one language shows it: ids in queue order, ``rows[id] = (fingerprint,
    html)``, and the HTML shown when nothing is open."""

    key: tuple[int, int]
    ids: tuple[int, ...]
    rows: dict[int, tuple[Hashable, str]]
    empty_html: str
    digest: str = ""  # of ``html()``: a page rendered with it needs no snapshot

    def html(self) -> str:
        """The whole ``#queue-rows`` content (first page load, snapshots)."""
        if not self.ids:
            return self.empty_html
        return "\n".join(self.rows[i][1] for i in self.ids)


def diff(sent: QueueView, view: QueueView) -> RowsMessage | None:
    """What a console showing ``sent`` needs to show ``view``; None when nothing.

    The queue order (priority, age, id) of two rows that did not change cannot change,
    so placing every new or changed row right after its new predecessor, in queue order,
    rebuilds the whole order."""
    removed = [i for i in sent.rows if i not in view.rows]
    upsert: list[dict[str, Any]] = []
    previous: int | None = None
    for incident_id in view.ids:
        fingerprint, html = view.rows[incident_id]
        old = sent.rows.get(incident_id)
        if old is None or old[0] != fingerprint:
            upsert.append({"id": incident_id, "after": previous, "html": html})
        previous = incident_id
    if not removed and not upsert:
        return None
    return {"type": "rows", "upsert": upsert, "remove": removed, "count": len(view.ids)}


Row = tuple[int, Hashable, Any]  # (incident id, fingerprint, what ``render`` needs)


class QueueViews:
    """Builds and keeps the current ``QueueView`` of each language.

    ``load(lang)`` returns the open incidents in queue order as ``(id, fingerprint,
    payload)``: the fingerprint changes whenever the row would look different; only then
    does ``render(lang, payloads)`` make its HTML. ``empty(lang)`` is the HTML of an
    empty queue. Thread-safe: views are built in the thread pool; concurrent consoles
    wait for the one build instead of repeating it.
    """

    def __init__(
        self,
        load: Callable[[str], list[Row]],
        render: Callable[[str, list[Any]], list[str]],
        empty: Callable[[str], str],
    ) -> None:
        self._load = load
        self._render = render
        self._empty = empty
        self._lock = threading.Lock()
        self._views: dict[str, QueueView] = {}
        self.builds = 0  # how many times the queue was read (tests, benchmark)
        self.rendered = 0  # how many rows were rendered

    def view(self, lang: str, version: int, poll: float) -> QueueView:
        key = (version, int(time.monotonic() / max(poll, 0.1)))
        with self._lock:
            current = self._views.get(lang)
            if current is not None and current.key == key:
                return current
            self._views[lang] = built = self._build(lang, key, current)
            return built

    def _build(self, lang: str, key: tuple[int, int], current: QueueView | None) -> QueueView:
        self.builds += 1
        rows = self._load(lang)
        kept = current.rows if current is not None else {}
        fresh: dict[int, tuple[Hashable, str]] = {}
        todo: list[Row] = []
        for row in rows:
            incident_id, fingerprint, _ = row
            old = kept.get(incident_id)
            if old is not None and old[0] == fingerprint:
                fresh[incident_id] = old
            else:
                todo.append(row)
        if todo:
            self.rendered += len(todo)
            htmls = self._render(lang, [payload for _, _, payload in todo])
            for (new_id, new_print, _), html in zip(todo, htmls, strict=True):
                fresh[new_id] = (new_print, html)
        ids = tuple(row[0] for row in rows)
        empty = current.empty_html if current is not None else self._empty(lang)
        view = QueueView(key, ids, fresh, empty)
        digest = hashlib.blake2b(view.html().encode(), digest_size=12).hexdigest()
        return QueueView(key, ids, fresh, empty, digest)
