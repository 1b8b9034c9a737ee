"""Incidents in SQL: queue order, one holder at a time, SKIP LOCKED — SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from vigie.adapters.db.engine import make_engine, write_transaction
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.migrate import upgrade
from vigie.domain.incidents import (
    Alarm,
    Incident,
    IncidentRefused,
    IncidentState,
    Outcome,
    StepState,
    StepStatus,
)
from vigie.domain.register import AlarmKind, ProcedureStep, StepKind

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _incident(site: str, priority: int, at: datetime) -> Incident:
    alarm = Alarm(None, AlarmKind.INTRUSION, site, "1234", "BA", "Alarme intrusion", at, zone="3")
    steps = StepState.from_procedure(
        (ProcedureStep(StepKind.CALL_SITE, "Appeler le site"),
         ProcedureStep(StepKind.FREE_TEXT, "Noter", mandatory=False))
    )  # fmt: skip
    return Incident(
        None, site, priority, at, title=f"{site} intrusion", alarms=[alarm], steps=steps
    )


def _store(engine: Engine, *incidents: Incident) -> SqlIncidents:
    store = SqlIncidents(engine)
    with write_transaction(engine) as conn:
        for incident in incidents:
            store.insert(conn, incident)
    return store


def test_queue_is_priority_then_age_and_round_trips(engine: Engine) -> None:
    store = _store(
        engine,
        _incident("B", 4, T0),
        _incident("A", 1, T0 + timedelta(minutes=5)),
        _incident("C", 4, T0 - timedelta(minutes=5)),
    )
    queue = store.in_states()
    assert [i.site_id for i in queue] == ["A", "C", "B"]
    first = queue[0]
    assert first.alarms[0].zone == "3" and first.alarms[0].kind is AlarmKind.INTRUSION
    assert [s.kind for s in first.steps] == [StepKind.CALL_SITE, StepKind.FREE_TEXT]
    assert first.opened_at == T0 + timedelta(minutes=5)


def test_claim_work_and_close_are_stored(engine: Engine) -> None:
    store = _store(engine, _incident("A", 4, T0))
    (incident,) = store.in_states()
    assert incident.id is not None
    store.change(incident.id, lambda i: i.claim("alice", T0))
    with pytest.raises(IncidentRefused, match="held by alice"):
        store.change(incident.id, lambda i: i.claim("bob", T0))
    with pytest.raises(IncidentRefused, match="mandatory steps still open: 1"):
        store.change(incident.id, lambda i: i.close(Outcome.TEST, "essai", "alice", T0))
    store.change(incident.id, lambda i: i.set_step(1, StepStatus.DONE, "ok", "alice", T0))
    store.change(incident.id, lambda i: i.close(Outcome.TEST, "essai", "alice", T0))
    stored = store.get(incident.id)
    assert stored is not None
    assert stored.state is IncidentState.CLOSED and stored.outcome is Outcome.TEST
    assert stored.steps[0].status is StepStatus.DONE and stored.steps[0].by == "alice"
    assert stored.claimed_at == T0 and stored.closed_by == "alice"
    assert store.in_states() == []


def test_racing_claims_exactly_one_wins(engine: Engine) -> None:
    store = _store(engine, _incident("A", 4, T0))
    (incident,) = store.in_states()
    assert incident.id is not None
    winners: list[str] = []
    refused: list[str] = []
    barrier = threading.Barrier(8)

    def claim(user: str) -> None:
        barrier.wait()
        try:
            store.change(incident.id, lambda i: i.claim(user, T0))  # type: ignore[arg-type]
            winners.append(user)
        except IncidentRefused:
            refused.append(user)

    threads = [threading.Thread(target=claim, args=(f"op{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(winners) == 1 and len(refused) == 7
    stored = store.get(incident.id)
    assert stored is not None and stored.holder == winners[0]


def test_take_next_gives_different_incidents_to_racing_operators(engine: Engine) -> None:
    store = _store(engine, *(_incident(f"S{n}", 4, T0 + timedelta(seconds=n)) for n in range(6)))
    taken: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def take(user: str) -> None:
        barrier.wait()
        incident = store.claim_next(user, T0)
        assert incident is not None and incident.id is not None
        with lock:
            taken.append(incident.id)

    threads = [threading.Thread(target=take, args=(f"op{n}",)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(taken) == 6 and len(set(taken)) == 6
    assert store.claim_next("late", T0) is None


def test_every_open_incident_is_listed_however_many(engine: Engine) -> None:
    """A cut-off would hide the alarms ranked past it from every console."""
    store = _store(engine, *(_incident(f"S{n}", 4, T0 + timedelta(seconds=n)) for n in range(620)))
    queue = store.in_states()
    assert len(queue) == 620
    assert queue[-1].site_id == "S619"
