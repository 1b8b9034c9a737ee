"""The live queue: one rendering per change shared by every console, row-level pushes.

A queue of 1,000 open incidents is 500 kB of HTML: re-sending it to ten consoles after
every alarm, and having each browser re-parse it, is what made a new row take seconds to
appear (``bench/console.py``). So:

* ``QueueViews`` keeps the open incidents as last read and, per language, a
  ``QueueView``: the incident ids in queue order and each row's HTML with a fingerprint of
  what it shows. After a change that names its incidents (``LiveHub.notify(ids)``) only
  those rows are read again (~1 ms, against ~15 ms for the whole queue of 1,000) and only
  rows whose fingerprint changed are rendered; a change that names none, and every
  ``poll`` seconds (changes made by another process, as a safety net), the whole queue is
  read.
* ``diff(sent, view)`` is what one console lacks: the rows that are new or changed (each
  with the id of the row it follows in the new order), the ids that left, and the row
  count the browser must end with (a mismatch makes it reconnect, and a connection always
  starts with the whole queue).

The messages (JSON):
``{"type": "queue", "snapshot": true, "html": "<tr ...>..."}`` on every (re)connect (or
``"same": true`` without the HTML when the page, just loaded, says with ``?have=`` that it
was rendered from that very view: no second parsing of 500 kB), then
``{"type": "rows", "upsert": [{"id": 7, "after": 3 | null, "html": "<tr ...>"}],
"remove": [5], "count": 1000}`` for each change, made once and sent as the same text to
every console that showed the same rows. Every message also carries ``sent_at`` (epoch
ms, the server's clock, when it was made) so that a benchmark can split a latency.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["QueueView", "QueueViews", "RowsMessage", "diff"]

RowsMessage = dict[str, Any]
MESSAGES_KEPT = 32  # diffs kept for the consoles still behind


class QueueView:
    """The queue as one language shows it: ids in queue order, ``rows[id] = (fingerprint,
    html)``, and the HTML shown when nothing is open. ``key`` identifies the read it was
    built from. Built once, then only read (shared by every console of the process)."""

    __slots__ = ("_digest", "empty_html", "ids", "key", "rows")

    def __init__(
        self,
        key: Hashable,
        ids: tuple[int, ...],
        rows: dict[int, tuple[Hashable, str]],
        empty_html: str,
    ) -> None:
        self.key = key
        self.ids = ids
        self.rows = rows
        self.empty_html = empty_html
        self._digest: str | None = None

    def html(self) -> str:
        """The whole ``#queue-rows`` content (first page load, snapshots)."""
        if not self.ids:
            return self.empty_html
        return "\n".join(self.rows[i][1] for i in self.ids)

    @property
    def digest(self) -> str:
        """Of ``html()``: a page rendered from this view needs no snapshot (computed when a
        page or a socket first asks, not at every change)."""
        if self._digest is None:
            self._digest = hashlib.blake2b(self.html().encode(), digest_size=12).hexdigest()
        return self._digest


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


Row = tuple[int, Any, Hashable, Any]  # (incident id, order (sortable), fingerprint, payload)
Changes = Callable[[int], "frozenset[int] | None"]


@dataclass(slots=True)
class _Read:
    """The open incidents as last read (every language's views are built from it)."""

    version: int  # changes after this hub version are not in it
    bucket: int  # the ``poll`` period of the last whole read
    serial: int  # counts the reads that changed something
    rows: dict[int, Row]
    ids: tuple[int, ...]  # queue order
    changed: frozenset[int] | None  # what differs from the previous serial; None: unknown


def _bucket(poll: float) -> int:
    """The ``poll`` period now: a new one means a whole read of the queue."""
    return int(time.monotonic() / max(poll, 0.1))


def _in_order(rows: Iterable[Row]) -> tuple[int, ...]:
    return tuple(row[0] for row in sorted(rows, key=lambda row: row[1]))


class QueueViews:
    """Keeps the open incidents as last read and the ``QueueView`` of each language.

    ``read(ids)`` returns the open incidents among ``ids`` (all of them when None) as
    ``(id, order, fingerprint, payload)`` rows: ``order`` sorts the queue, and the
    fingerprint changes whenever the row would look different; only then does
    ``render(lang, payloads)`` make its HTML. ``empty(lang)`` is the HTML of an empty
    queue. ``changes(version)`` (``LiveHub.changes_since``) says which incidents changed
    after a hub version, or None when it cannot say: the whole queue is read then.
    Thread-safe: views are built in the thread pool; concurrent consoles wait for the one
    build instead of repeating it.
    """

    def __init__(
        self,
        read: Callable[[frozenset[int] | None], list[Row]],
        render: Callable[[str, list[Any]], list[str]],
        empty: Callable[[str], str],
        changes: Changes | None = None,
    ) -> None:
        self._read_rows = read
        self._render = render
        self._empty = empty
        self._changes = changes
        self._lock = threading.Lock()
        self._views: dict[str, QueueView] = {}
        self._last: _Read | None = None
        self._messages: dict[tuple[str, Hashable, Hashable], str | None] = {}
        self.builds = 0  # whole reads of the queue (tests, benchmark)
        self.partial_reads = 0  # reads of the rows a change named
        self.rendered = 0  # rows rendered

    def peek(self, lang: str, version: int, poll: float) -> QueueView | None:
        """The view ``view`` would return when it needs no read (else None): what every
        console but the first asks after a change, answered without a thread or a lock."""
        return self._fresh(lang, version, _bucket(poll))

    def _fresh(self, lang: str, version: int, bucket: int) -> QueueView | None:
        """This language's view when it is built from a read that is still current."""
        last, current = self._last, self._views.get(lang)
        if last is None or current is None or current.key != last.serial:
            return None
        if last.bucket != bucket or version > last.version:
            return None
        return current

    def message(self, lang: str, sent: QueueView, view: QueueView) -> str | None:
        """``diff(sent, view)`` as JSON text with its ``sent_at`` (epoch ms, when it was
        made), made once for all the consoles that showed ``sent`` (not under the lock:
        two consoles racing make the same text twice)."""
        key = (lang, sent.key, view.key)
        if key in self._messages:
            return self._messages[key]
        found = diff(sent, view)
        text = None
        if found is not None:
            found["sent_at"] = time.time() * 1000
            text = json.dumps(found, separators=(",", ":"))
        if len(self._messages) >= MESSAGES_KEPT:
            self._messages.clear()
        self._messages[key] = text
        return text

    def view(self, lang: str, version: int, poll: float) -> QueueView:
        bucket = _bucket(poll)
        with self._lock:
            found = self._fresh(lang, version, bucket)
            if found is not None:
                return found
            last = self._sync(version, bucket)
            current = self._views.get(lang)
            if current is not None and current.key == last.serial:
                return current  # the read moved on without changing a row
            self._views[lang] = built = self._build(lang, last, current)
            return built

    def _sync(self, version: int, bucket: int) -> _Read:
        last = self._last
        if last is not None and last.bucket == bucket:
            if version <= last.version:
                return last
            ids = self._changes(last.version) if self._changes is not None else None
            if ids is not None:
                return self._update(last, version, ids)
        self.builds += 1
        rows = self._read_rows(None)
        serial = last.serial + 1 if last is not None else 1
        ordered = _in_order(rows)
        self._last = _Read(version, bucket, serial, {r[0]: r for r in rows}, ordered, None)
        return self._last

    def _update(self, last: _Read, version: int, ids: frozenset[int]) -> _Read:
        changed: set[int] = set()
        rows = last.rows
        if ids:
            self.partial_reads += 1
            fresh = {row[0]: row for row in self._read_rows(ids)}
            rows = dict(last.rows)
            for incident_id in ids:
                new, old = fresh.get(incident_id), rows.get(incident_id)
                if new is None:
                    if old is not None:
                        del rows[incident_id]
                        changed.add(incident_id)
                elif old is None or old[1:3] != new[1:3]:
                    rows[incident_id] = new
                    changed.add(incident_id)
        if not changed:
            last.version = version
            return last
        ordered = _in_order(rows.values())
        self._last = _Read(version, last.bucket, last.serial + 1, rows, ordered,
                           frozenset(changed))  # fmt: skip
        return self._last

    def _build(self, lang: str, last: _Read, current: QueueView | None) -> QueueView:
        kept = current.rows if current is not None else {}
        if current is not None and current.key == last.serial - 1 and last.changed is not None:
            candidates = [last.rows[i] for i in last.changed if i in last.rows]
            fresh = {i: kept[i] for i in last.ids if i in kept and i not in last.changed}
        else:
            candidates, fresh = list(last.rows.values()), {}
        todo: list[Row] = []
        for row in candidates:
            old = kept.get(row[0])
            if old is not None and old[0] == row[2]:
                fresh[row[0]] = old
            else:
                todo.append(row)
        if todo:
            self.rendered += len(todo)
            htmls = self._render(lang, [row[3] for row in todo])
            for row, html in zip(todo, htmls, strict=True):
                fresh[row[0]] = (row[2], html)
        empty = current.empty_html if current is not None else self._empty(lang)
        return QueueView(last.serial, last.ids, fresh, empty)
