"""Server-side cost of the live queue with N open incidents, in process (no browser).

``python -m bench.console_render [--incidents 1000]``; also called by ``bench.console``.

On a fresh SQLite database holding N open incidents (one alarm each), through the
console's own code (``console_queue.queue_view``, ``console_live.diff``), medians of a few runs:

* ``whole_incidents_load_ms``: reading whole incidents (``IncidentQueue.waiting``, as
  the queue did before); ``queue_rows_load_ms``: the queue's light read (``SqlQueueRows``);
* ``cold_ms``: the first view of a language: load + every row rendered;
* ``one_change_ms``: the view after one incident changed, the change naming it (as the
  processor and the console's routes do): that row read and rendered again;
  ``one_change_whole_read_ms``: the same when the change names no incident (the whole
  queue is read, and only the changed row rendered);
* ``diff_ms``: what one console is sent for that change (``diff``), and its size;
* ``page_html_ms``: joining the whole ``#queue-rows`` (first page load, snapshots).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from vigie.adapters.clock import SystemClock
from vigie.adapters.db.engine import make_engine, write_transaction
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.queue_rows import SqlQueueRows
from vigie.domain.incidents import Alarm, Incident
from vigie.domain.register import AlarmKind
from vigie.entrypoints.web import console_queue
from vigie.entrypoints.web.console_live import diff
from vigie.entrypoints.web.live import LiveHub
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Logbook

RUNS = 7


def _median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(incidents: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vigie-console-render-") as folder:
        engine = make_engine(f"sqlite:///{folder}/vigie.db")
        upgrade(engine)
        store = SqlIncidents(engine)
        now = datetime.now(UTC) - timedelta(hours=1)
        with write_transaction(engine) as conn:
            for i in range(incidents):
                site = f"SYN-{i:05d}"
                opened = now + timedelta(seconds=i)
                made = store.insert(conn, Incident(None, site, 4, opened, title="Intrusion"))
                assert made.id is not None
                alarm = Alarm(None, AlarmKind.INTRUSION, site, "A", "BA", "Intrusion", opened,
                              zone="1", signal_ids=[i])  # fmt: skip
                store.insert_alarm(conn, made.id, alarm, f"{site}:intrusion:1")
        clock = SystemClock()
        queue = IncidentQueue(store, Logbook(SqlLogbook(engine), clock), clock)
        hub = LiveHub(poll=3600.0)
        state = SimpleNamespace(queue=queue, register=None, live=hub)
        full_load_ms = _median_ms(lambda: queue.waiting())
        rows_load_ms = _median_ms(SqlQueueRows(engine).rows)
        cold: list[float] = []
        for _ in range(3):
            state.console_queue_views = None
            start = time.perf_counter()
            before = console_queue.queue_view(state, "fr")
            cold.append((time.perf_counter() - start) * 1000)
        html_ms = _median_ms(before.html)
        html_chars = len(before.html())
        first = before.ids[len(before.ids) // 2]
        whole: list[float] = []
        for k in range(RUNS):  # a change that does not name its incident: the whole queue
            store.change(first, lambda incident, k=k: setattr(incident, "priority", 3 + k % 2))
            hub.notify()
            start = time.perf_counter()
            before = console_queue.queue_view(state, "fr")
            whole.append((time.perf_counter() - start) * 1000)
        changes: list[float] = []
        diffs: list[float] = []
        sizes: list[int] = []
        for k in range(RUNS):  # as the processor and the console's routes notify: by id
            store.change(first, lambda incident, k=k: setattr(incident, "priority", 3 + k % 2))
            hub.notify([first])
            start = time.perf_counter()
            after = console_queue.queue_view(state, "fr")
            changes.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            message = diff(before, after)
            diffs.append((time.perf_counter() - start) * 1000)
            sizes.append(len(json.dumps(message)))
            before = after
        engine.dispose()
    return {
        "incidents": incidents,
        "whole_incidents_load_ms": full_load_ms,
        "queue_rows_load_ms": rows_load_ms,
        "cold_ms": statistics.median(cold),
        "one_change_ms": statistics.median(changes),
        "one_change_whole_read_ms": statistics.median(whole),
        "diff_ms": statistics.median(diffs),
        "diff_message_chars": statistics.median(sizes),
        "page_html_ms": html_ms,
        "page_html_chars": html_chars,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, nargs="+", default=[10, 1000])
    args = parser.parse_args()
    for n in args.incidents:
        print(json.dumps(measure(n)))


if __name__ == "__main__":
    main()
