"""Workers for the claim races: each runs in its own process with its own engine.

Top-level functions so that a ``spawn`` multiprocessing context can import them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.domain.incidents import IncidentRefused
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Actor, Logbook

__all__ = ["race_claim", "race_claim_next"]


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 28, 12, 5, tzinfo=UTC)


def _queue(db_url: str) -> tuple[IncidentQueue, Any]:
    engine = make_engine(db_url)
    store = SqlLogbook(engine)
    return IncidentQueue(SqlIncidents(engine, store), Logbook(store, _Clock()), _Clock()), engine


def race_claim(db_url: str, incident_id: int, user: str, start: Any, results: Any) -> None:
    """Claim ``incident_id`` as ``user`` once every racer is ready; report what happened."""
    queue, engine = _queue(db_url)
    try:
        start.wait(timeout=30)
        try:
            incident = queue.claim(incident_id, Actor(user, "operator"))
        except IncidentRefused as exc:
            results.put((user, "refused", str(exc)))
        else:
            results.put((user, "won", incident.holder))
    except Exception as exc:  # reported to the test, never swallowed
        results.put((user, "error", repr(exc)))
    finally:
        engine.dispose()


def race_claim_next(db_url: str, user: str, start: Any, results: Any) -> None:
    """Take the next incident as ``user``; report its id (None: nothing was left)."""
    queue, engine = _queue(db_url)
    try:
        start.wait(timeout=30)
        incident = queue.claim_next(Actor(user, "operator"))
        results.put((user, "got", None if incident is None else incident.id))
    except Exception as exc:
        results.put((user, "error", repr(exc)))
    finally:
        engine.dispose()
