"""The live queue's row-level pushes: what a console is sent after a change.

``diff`` is checked by replaying its message the way ``console.js`` does (remove, then
each upsert right after its predecessor) and comparing with the server's new order.
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from typing import Any

from vigie.entrypoints.web.console_live import QueueView, QueueViews, diff


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


def test_views_are_shared_and_only_changed_rows_are_rendered() -> None:
    rows: list[tuple[int, Hashable, Any]] = [(i, ("p4", i), i) for i in range(100)]

    def render(lang: str, payloads: list[Any]) -> list[str]:
        return [f"<tr {lang}{p}>" for p in payloads]

    views = QueueViews(lambda lang: list(rows), render, lambda lang: "<tr empty>")
    first = views.view("fr", version=1, poll=3600)
    assert views.view("fr", version=1, poll=3600) is first  # ten consoles, one build
    assert (views.builds, views.rendered) == (1, 100)
    rows[50] = (50, ("p1", 50), 50)
    second = views.view("fr", version=2, poll=3600)
    assert (views.builds, views.rendered) == (2, 101)
    assert diff(first, second) is not None
    rows.clear()
    assert views.view("fr", version=3, poll=3600).html() == "<tr empty>"
