"""Queue changes reach the consoles of another process on PostgreSQL (LISTEN/NOTIFY).

Two ``LiveHub``s stand for two station processes on one database, each with its own
``PgQueueNotifier``; a change notified in one wakes the other's consoles, not itself
twice. Also: the queue's light read (``SqlQueueRows``) agrees with whole incidents.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from tests.support.pipeline import Pipeline
from vigie.adapters.db.pg_notify import PgQueueNotifier
from vigie.adapters.db.queue_rows import QueueRow, SqlQueueRows
from vigie.entrypoints.web.live import LiveHub


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = create_engine(pg_url)
    yield engine
    engine.dispose()


def _until(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.postgres
def test_a_change_in_one_process_wakes_the_consoles_of_another(pg_engine: Engine) -> None:
    here, there = LiveHub(poll=3600), LiveHub(poll=3600)
    mine = PgQueueNotifier(pg_engine, here.changed_elsewhere)
    theirs = PgQueueNotifier(pg_engine, there.changed_elsewhere)
    here.publish, there.publish = mine.publish, theirs.publish
    for notifier in (mine, theirs):
        notifier.start()
    try:
        assert mine.wait_listening(5) and theirs.wait_listening(5)
        start_here, start_there = here.version, there.version

        async def a_console_waits() -> float:
            started = time.monotonic()
            waiting = asyncio.create_task(there.wait(there.version))
            await asyncio.sleep(0.05)
            here.notify([7])  # e.g. an operator claimed incident 7 on this node
            await asyncio.wait_for(waiting, 5)
            return time.monotonic() - started

        woken_after = asyncio.run(a_console_waits())
        assert woken_after < 2.0  # woken by the notification, not by the hour-long poll
        assert _until(lambda: theirs.received == 1)
        assert here.version == start_here + 1  # its own notification is not counted twice
        assert there.version == start_there + 1
        assert there.changes_since(start_there) == {7}  # the other reads only that row
        assert mine.received == 0
    finally:
        mine.stop()
        theirs.stop()


def test_the_queue_rows_agree_with_whole_incidents(pipe: Pipeline) -> None:
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.send(pipe.frame("1002", "#1002|Nri1/PA1"))
    pipe.process()
    names = {s.id: s.name for s in pipe.register.sites()}
    whole = [QueueRow.of(i, names[i.site_id or ""]) for i in pipe.queue.waiting()]
    assert len(whole) == 2
    reader = SqlQueueRows(pipe.engine)
    assert reader.rows() == whole
    assert reader.rows({whole[1].id, 99_999}) == [whole[1]]  # only those of a change
    assert reader.rows(set()) == []
