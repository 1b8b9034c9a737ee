"""``/api/v1/incidents`` over SQLite with FastAPI's TestClient, and claim races on PostgreSQL.

Incidents come from real frames through the processor (``tests.support.pipeline``); time
is a ``FakeClock`` so that escalation and hold expiry are exact.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.support.pipeline import (
    Pipeline,
    example_keys,
    register_pipeline,
)
from tests.support.racing import race_claim, race_claim_next
from vigie.adapters.db.engine import make_engine, write_transaction
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.migrate import upgrade
from vigie.domain.incidents import Alarm, Incident
from vigie.domain.register import AlarmKind

API = "/api/v1/incidents"
ALICE = {"X-Vigie-User": "alice", "X-Vigie-Role": "operator", "X-Vigie-Card": "CAR-A"}
BOB = {"X-Vigie-User": "bob", "X-Vigie-Role": "operator", "X-Vigie-Card": "CAR-B"}
# The client's own identity (a trusted proxy's headers) for requests that name none.
CHIEF = {"X-Vigie-User": "chef", "X-Vigie-Role": "supervisor", "X-Vigie-Card": "CAR-C"}
ESCALATE_AFTER = 120


@pytest.fixture
def pipe(sqlite_url: str, clock: FakeClock) -> Iterator[Pipeline]:
    pipeline = register_pipeline(sqlite_url, clock, escalate_after=ESCALATE_AFTER)
    yield pipeline
    pipeline.close()


@pytest.fixture
def client(pipe: Pipeline) -> TestClient:
    return TestClient(pipe.app(trust_identity_headers=True), headers=CHIEF)


def _burglary(pipe: Pipeline, client: TestClient) -> dict[str, Any]:
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.process()
    (incident,) = [i for i in client.get(API).json() if i["site_id"] == "BOUL-MARTIN"]
    return dict(incident)


def _entries(client: TestClient, incident_id: int) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/logbook", params={"incident": incident_id, "limit": 1000})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


# -- timers -----------------------------------------------------------------------------


def test_unclaimed_incident_escalates_once_and_is_logged(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    incident = _burglary(pipe, client)
    assert incident["escalated"] is False

    clock.advance(ESCALATE_AFTER - 1)
    assert pipe.queue.tick() == []
    assert client.get(f"{API}/{incident['id']}").json()["escalated"] is False

    clock.advance(1)
    (changed,) = pipe.queue.tick()
    assert changed.id == incident["id"]
    shown = client.get(f"{API}/{incident['id']}").json()
    assert shown["escalated"] is True and shown["state"] == "waiting"
    assert shown["times"]["escalated"] == clock.now().isoformat()
    escalations = [e for e in shown["logbook"] if e["data"].get("action") == "escalate"]
    assert len(escalations) == 1
    assert escalations[0]["author"] == "system"
    assert "Escalade superviseur" in escalations[0]["text"] and "2 min" in escalations[0]["text"]

    clock.advance(600)
    assert pipe.queue.tick() == []  # escalated once, not at every tick
    assert sum(e["data"].get("action") == "escalate" for e in _entries(client, incident["id"])) == 1


def test_a_claimed_incident_does_not_escalate(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    incident = _burglary(pipe, client)
    assert client.post(f"{API}/{incident['id']}/claim", headers=ALICE).status_code == 200
    clock.advance(ESCALATE_AFTER * 5)
    assert pipe.queue.tick() == []
    assert client.get(f"{API}/{incident['id']}").json()["escalated"] is False


def test_hold_expiry_returns_the_incident_to_the_queue(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    incident = _burglary(pipe, client)
    url = f"{API}/{incident['id']}"
    assert client.post(f"{url}/claim", headers=ALICE).status_code == 200
    held = client.post(f"{url}/hold", json={"minutes": 5, "reason": "rappel client"}, headers=ALICE)
    assert held.status_code == 200, held.text
    body = held.json()
    assert body["state"] == "on_hold" and body["holder"] == "alice"
    assert body["hold_until"] == (clock.now() + timedelta(minutes=5)).isoformat()

    clock.advance(5 * 60 - 1)
    assert pipe.queue.tick() == []
    assert client.get(url).json()["state"] == "on_hold"

    clock.advance(1)
    (changed,) = pipe.queue.tick()
    assert changed.id == incident["id"]
    shown = client.get(url).json()
    assert (shown["state"], shown["holder"], shown["hold_until"]) == ("waiting", None, None)
    texts = [e["text"] for e in shown["logbook"]]
    assert any("mis en attente 5 min : rappel client" in t for t in texts), texts
    assert any("Fin d'attente" in t for t in texts), texts
    # back in the queue: anyone may take it
    taken = client.post(f"{API}/next", headers=BOB).json()
    assert (taken["id"], taken["holder"]) == (incident["id"], "bob")


# -- queue order ------------------------------------------------------------------------


def test_next_gives_the_most_urgent_first(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    keys = example_keys()
    frames = [  # oldest first: the least urgent is the oldest
        pipe.frame("1001", "#1001|Nri1/BA3"),
        pipe.frame("1004", "#1004|1110 02 006", token="ADM-CID", key=keys["1004"]),
        pipe.frame("1003", "#1003|Nri1/HA5", key=keys["1003"]),
        pipe.frame("1002", "#1002|Nri1/BA2"),
    ]
    for raw in frames:
        pipe.send(raw)
        clock.advance(10)
    pipe.process()

    listed = client.get(API).json()
    assert [(i["site_id"], i["priority"]) for i in listed] == [
        ("BANQUE-PARTDIEU", 1),
        ("ENTREPOT-VENISSIEUX", 2),
        ("BOUL-MARTIN", 4),
        ("PHARMA-CENTRE", 4),
    ]
    taken = []
    for _ in listed:
        answer = client.post(f"{API}/next", headers=ALICE)
        assert answer.status_code == 200, answer.text
        assert answer.json()["holder"] == "alice" and answer.json()["state"] == "claimed"
        taken.append(answer.json()["site_id"])
    assert taken == [i["site_id"] for i in listed]
    empty = client.post(f"{API}/next", headers=ALICE)
    assert (empty.status_code, empty.json()["detail"]) == (404, "no incident is waiting")


# -- refusals ---------------------------------------------------------------------------


def test_refusals_say_why(pipe: Pipeline, client: TestClient) -> None:
    incident = _burglary(pipe, client)
    url = f"{API}/{incident['id']}"

    missing = client.get(f"{API}/999")
    assert (missing.status_code, missing.json()["detail"]) == (404, "no incident 999")
    missing = client.post(f"{API}/999/claim", headers=ALICE)
    assert (missing.status_code, missing.json()["detail"]) == (404, "no incident 999")

    not_held = client.post(f"{url}/steps/1", json={"status": "done"}, headers=ALICE)
    assert not_held.status_code == 409
    assert not_held.json()["detail"] == "incident is held by nobody, not alice"

    assert client.post(f"{url}/claim", headers=ALICE).status_code == 200
    taken = client.post(f"{url}/claim", headers=BOB)
    assert (taken.status_code, taken.json()["detail"]) == (409, "incident is held by alice")
    released = client.post(f"{url}/release", headers=BOB)
    assert (released.status_code, released.json()["detail"]) == (
        409,
        "incident is held by alice, not bob",
    )

    steps = len(incident["steps"])
    beyond = client.post(f"{url}/steps/{steps + 1}", json={"status": "done"}, headers=ALICE)
    assert beyond.status_code == 409
    assert beyond.json()["detail"] == f"no step {steps + 1}: the procedure has {steps} steps"

    mandatory = next(s["number"] for s in incident["steps"] if s["mandatory"])
    aside = client.post(
        f"{url}/steps/{mandatory}", json={"status": "not_applicable"}, headers=ALICE
    )
    assert aside.status_code == 409
    assert aside.json()["detail"] == "a mandatory step set aside needs a note saying why"

    for body, where in [
        ({"status": "open"}, "steps/1"),
        ({"status": "maybe"}, "steps/1"),
        ({"minutes": 0}, "hold"),
        ({"minutes": 24 * 60 + 1}, "hold"),
        ({"outcome": "false_alarm_user", "comment": ""}, "close"),
        ({"outcome": "no_such_outcome", "comment": "x"}, "close"),
    ]:
        answer = client.post(f"{url}/{where}", json=body, headers=ALICE)
        assert answer.status_code == 422, (where, body, answer.text)
        assert answer.json()["detail"], (where, body)

    early = client.post(
        f"{url}/close", json={"outcome": "false_alarm_user", "comment": "ok"}, headers=ALICE
    )
    assert early.status_code == 409
    open_mandatory = ", ".join(str(s["number"]) for s in incident["steps"] if s["mandatory"])
    assert early.json()["detail"] == f"mandatory steps still open: {open_mandatory}"

    shown = client.get(url).json()
    assert shown["state"] == "claimed" and shown["holder"] == "alice"
    assert all(s["status"] == "open" for s in shown["steps"])  # nothing half-applied


# -- races on PostgreSQL ----------------------------------------------------------------


T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _insert(pg_url: str, count: int) -> list[int]:
    engine = make_engine(pg_url)
    upgrade(engine)
    store = SqlIncidents(engine)
    ids: list[int] = []
    with write_transaction(engine) as conn:
        for n in range(count):
            at = T0 + timedelta(seconds=n)
            alarm = Alarm(None, AlarmKind.INTRUSION, f"S{n}", "1234", "BA", "Alarme", at, zone="3")
            incident = Incident(None, f"S{n}", 4, at, title="intrusion", alarms=[alarm])
            inserted = store.insert(conn, incident).id
            assert inserted is not None
            ids.append(inserted)
    engine.dispose()
    return ids


def _race(target: Any, args: list[tuple[Any, ...]]) -> list[tuple[str, str, Any]]:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(args))
    results = context.Queue()
    processes = [context.Process(target=target, args=(*a, start, results)) for a in args]
    for process in processes:
        process.start()
    try:
        found = [results.get(timeout=60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]
    assert not [r for r in found if r[1] == "error"], found
    return sorted(found)


@pytest.mark.postgres
def test_two_processes_claiming_one_incident_exactly_one_wins(pg_url: str) -> None:
    (incident_id,) = _insert(pg_url, 1)
    found = _race(race_claim, [(pg_url, incident_id, "alice"), (pg_url, incident_id, "bob")])
    outcomes = sorted(r[1] for r in found)
    assert outcomes == ["refused", "won"], found
    (winner,) = [r for r in found if r[1] == "won"]
    (loser,) = [r for r in found if r[1] == "refused"]
    assert winner[2] == winner[0]
    assert loser[2] == f"incident is held by {winner[0]}"

    engine = make_engine(pg_url)
    try:
        stored = SqlIncidents(engine).get(incident_id)
    finally:
        engine.dispose()
    assert stored is not None and stored.holder == winner[0]


@pytest.mark.postgres
def test_processes_taking_next_get_different_incidents(pg_url: str) -> None:
    ids = _insert(pg_url, 2)
    found = _race(race_claim_next, [(pg_url, "alice"), (pg_url, "bob"), (pg_url, "carol")])
    got = [r[2] for r in found]
    assert sorted(got, key=lambda i: (i is None, i)) == [*ids, None], found

    engine = make_engine(pg_url)
    try:
        store = SqlIncidents(engine)
        holders = {i: store.get(i).holder for i in ids}  # type: ignore[union-attr]
    finally:
        engine.dispose()
    assert holders == {r[2]: r[0] for r in found if r[2] is not None}
