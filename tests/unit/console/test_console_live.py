"""The live queue's row-level pushes: what a console is sent after a change.

``diff`` is checked by replaying its message the way ``console.js`` does (remove, then
each upsert right after its predecessor) and comparing with the server's new order.
"""

from __future__ import annotations

import json
import random
from collections.abc import Hashable
from typing import Any

from vigie.adapters.db.pg_notify import parse_payload, payload
from vigie.entrypoints.web.console_live import QueueView, QueueViews, diff
from vigie.entrypoints.web.live import HISTORY, LiveHub


def view(rows: list[tuple[int, Hashable]]) -> QueueView:
    return QueueView((0, 0), tuple(i for i, _ in rows),
                     {i: (p, f"<tr {i}:{p}>") for i, p in rows}, "<tr empty>")  # fmt: skip


def replay(shown: list[int], message: dict[str, Any]) -> list[int]:
    """What console.js does with a "rows" message."""
    rows = [i for i in shown if i not in message["remove"]]
    for change in message["upsert"]:
        if change["id"] in rows:
            rows.remove(change["id"])
        at = 0 if change["after"] is None else rows.index(change["after"]) + 1
        rows.insert(at, change["id"])
    assert len(rows) == message["count"]
    return rows


def test_an_unchanged_queue_sends_nothing() -> None:
    rows = [(1, "a"), (2, "b")]
    assert diff(view(rows), view(rows)) is None


def test_a_new_row_is_sent_alone_with_its_place() -> None:
    before = view([(i, "p4") for i in range(1, 1001)])
    after = view([(1001, "p2")] + [(i, "p4") for i in range(1, 1001)])
    message = diff(before, after)
    assert message == {"type": "rows", "remove": [], "count": 1001,
                       "upsert": [{"id": 1001, "after": None, "html": "<tr 1001:p2>"}]}  # fmt: skip


def test_a_changed_row_moves_and_a_closed_one_leaves() -> None:
    before = view([(1, "w"), (2, "w"), (3, "w"), (4, "w")])
    after = view([(3, "duress"), (1, "w"), (4, "w")])  # 3 jumps to the top, 2 is closed
    message = diff(before, after)
    assert message is not None
    assert message["remove"] == [2]
    assert [(c["id"], c["after"]) for c in message["upsert"]] == [(3, None)]
    assert replay(list(before.ids), message) == [3, 1, 4]


def test_random_changes_always_rebuild_the_servers_order() -> None:
    rng = random.Random(4)
    for _ in range(300):
        keys = {i: (rng.randint(1, 5), i) for i in range(rng.randint(0, 30))}
        before = view([(i, k) for i, k in sorted(keys.items(), key=lambda kv: kv[1])])
        for i in list(keys):
            roll = rng.random()
            if roll < 0.15:
                del keys[i]
            elif roll < 0.3:
                keys[i] = (rng.randint(1, 5), i)
        for i in range(100, 100 + rng.randint(0, 5)):
            keys[i] = (rng.randint(1, 5), i)
        after = view([(i, k) for i, k in sorted(keys.items(), key=lambda kv: kv[1])])
        message = diff(before, after)
        if message is None:
            assert before.ids == after.ids
        else:
            assert replay(list(before.ids), message) == list(after.ids)


class Incidents:
    """What ``SqlQueueRows`` answers: rows by id, the whole queue or some of it."""

    def __init__(self, n: int) -> None:
        self.open: dict[int, tuple[int, str]] = {i: (4, "w") for i in range(n)}  # prio, state
        self.reads: list[frozenset[int] | None] = []

    def read(self, ids: frozenset[int] | None) -> list[tuple[int, Any, Hashable, Any]]:
        self.reads.append(ids)
        return [(i, (p, i), (p, st), i) for i, (p, st) in self.open.items()
                if ids is None or i in ids]  # fmt: skip


def render(lang: str, payloads: list[Any]) -> list[str]:
    return [f"<tr {lang}{p}>" for p in payloads]


def test_views_are_shared_and_only_changed_rows_are_rendered() -> None:
    incidents = Incidents(100)
    views = QueueViews(incidents.read, render, lambda lang: "<tr empty>")
    first = views.view("fr", version=1, poll=3600)
    assert views.view("fr", version=1, poll=3600) is first  # ten consoles, one build
    assert (views.builds, views.rendered) == (1, 100)
    incidents.open[50] = (1, "w")
    second = views.view("fr", version=2, poll=3600)
    assert (views.builds, views.rendered) == (2, 101)  # no change list: the whole queue
    assert second.ids[0] == 50 and diff(first, second) is not None
    incidents.open.clear()
    assert views.view("fr", version=3, poll=3600).html() == "<tr empty>"


def test_a_change_that_names_its_incidents_reads_only_those() -> None:
    incidents = Incidents(1000)
    hub = LiveHub(poll=3600)
    views = QueueViews(incidents.read, render, lambda lang: "<tr empty>", hub.changes_since)
    first = views.view("fr", hub.version, 3600)
    english = views.view("en", hub.version, 3600)
    assert incidents.reads == [None] and views.rendered == 2000  # one read, two languages

    incidents.open[1000] = (2, "w")  # a new fire alarm (sorts first)
    incidents.open[7] = (4, "claimed")  # an operator took incident 7
    del incidents.open[3]  # incident 3 was closed
    hub.notify([1000])
    hub.notify([7, 3])
    second = views.view("fr", hub.version, 3600)
    assert incidents.reads[1:] == [{1000, 7, 3}] and views.builds == 1
    assert views.rendered == 2002  # the new row and the changed one
    message = diff(first, second)
    assert message is not None and message["remove"] == [3] and message["count"] == 1000
    assert [(c["id"], c["after"]) for c in message["upsert"]] == [(1000, None), (7, 6)]
    assert replay(list(first.ids), message) == list(second.ids)
    assert second.ids == tuple(sorted(incidents.open, key=lambda i: (incidents.open[i][0], i)))
    assert views.view("en", hub.version, 3600).ids == second.ids  # no second read
    assert len(incidents.reads) == 2 and views.view("en", hub.version, 3600) is not english

    hub.notify([12])  # touched, but shows the same: nothing to send
    assert views.view("fr", hub.version, 3600) is second
    hub.notify()  # a change that does not say which incidents: the whole queue
    views.view("fr", hub.version, 3600)
    assert incidents.reads[-1] is None and views.builds == 2


def test_the_hub_remembers_which_incidents_changed() -> None:
    hub = LiveHub()
    hub.notify([1, 2])
    hub.notify([])
    hub.notify({5})
    assert hub.changes_since(0) == {1, 2, 5} and hub.changes_since(2) == {5}
    assert hub.changes_since(hub.version) == frozenset()
    hub.notify()
    assert hub.changes_since(2) is None and hub.changes_since(hub.version) == frozenset()
    for i in range(HISTORY + 1):
        hub.notify([i])
    assert hub.changes_since(4) is None  # too old to be remembered: read the whole queue


def test_notification_payloads_name_the_incidents() -> None:
    assert payload("tok", [12, 7]) == "tok:7,12"
    assert parse_payload("tok:7,12") == ("tok", {7, 12})
    assert parse_payload(payload("tok", None)) == ("tok", None)
    assert parse_payload(payload("tok", [])) == ("tok", frozenset())
    assert parse_payload("tok") == ("tok", frozenset())
    assert parse_payload("tok:7,x") == ("tok", None)
    too_many = payload("tok", range(100_000, 102_000))
    assert too_many == "tok:*" and parse_payload(too_many) == ("tok", None)


def test_one_message_per_change_for_every_console_and_no_read_to_peek() -> None:
    incidents = Incidents(50)
    hub = LiveHub(poll=3600)
    views = QueueViews(incidents.read, render, lambda lang: "<tr empty>", hub.changes_since)
    shown = views.view("fr", hub.version, 3600)
    assert views.peek("fr", hub.version, 3600) is shown  # the other consoles: no read
    assert views.peek("en", hub.version, 3600) is None  # no English view yet
    incidents.open[60] = (1, "w")
    hub.notify([60])
    assert views.peek("fr", hub.version, 3600) is None  # a read is due
    new = views.view("fr", hub.version, 3600)
    text = views.message("fr", shown, new)
    assert text is not None and views.message("fr", shown, new) is text  # made once
    message = json.loads(text)
    assert message["upsert"][0]["id"] == 60 and message["sent_at"] > 0
    assert replay(list(shown.ids), message) == list(new.ids)
    assert views.message("fr", new, new) is None
