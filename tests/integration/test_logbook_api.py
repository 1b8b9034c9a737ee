"""``/api/v1/logbook`` over SQLite with FastAPI's TestClient."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.conftest import FakeClock
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.signal_reader import SqlSignalReader
from vigie.domain.logbook import LogKind
from vigie.entrypoints.web.app import create_app
from vigie.services.logbook import Logbook

OPERATOR = {"X-Vigie-User": "jdupont", "X-Vigie-Role": "operator", "X-Vigie-Card": "CAR-1"}
# The client's own identity (a trusted proxy's headers) for requests that name none.
SUPERVISOR = {"X-Vigie-User": "chef", "X-Vigie-Role": "supervisor", "X-Vigie-Card": "CAR-2"}


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def logbook(engine: Engine, clock: FakeClock) -> Logbook:
    return Logbook(SqlLogbook(engine), clock)


@pytest.fixture
def client(engine: Engine, logbook: Logbook) -> TestClient:
    app = create_app(
        SqlSignalReader(engine),
        lambda: {"status": "ok"},
        logbook=logbook,
        trust_identity_headers=True,
    )
    return TestClient(app, headers=SUPERVISOR)


def test_a_manual_entry_is_attributed_to_the_request(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/logbook", json={"text": "Ronde effectuée", "site_id": "S1"}, headers=OPERATOR
    )
    assert answer.status_code == 201, answer.text
    entry = answer.json()
    assert entry["id"] == 1 and entry["kind"] == "manual"
    assert (entry["author"], entry["role"], entry["card_number"]) == (
        "jdupont",
        "operator",
        "CAR-1",
    )
    assert entry["source"] == "testclient"
    assert (
        entry["at"] == "2026-11-28T12:00:00.000000Z" and entry["at_local"] == "28/11/2026 13:00:00"
    )
    # nobody is anonymous any more: no identity, no entry
    anonymous = TestClient(client.app).post("/api/v1/logbook", json={"text": "Sans nom"})
    assert anonymous.status_code == 401
    chief = client.post("/api/v1/logbook", json={"text": "Relève"}).json()
    assert (chief["author"], chief["role"]) == ("chef", "supervisor")
    assert chief["prev_hash"] == entry["hash"]


def test_bad_entries_get_a_reason(client: TestClient) -> None:
    assert client.post("/api/v1/logbook", json={"text": ""}).status_code == 422
    assert client.post("/api/v1/logbook", json={}).status_code == 422
    answer = client.post("/api/v1/logbook", json={"text": "   "})
    assert answer.status_code == 422 and "text" in answer.json()["detail"]
    raw = '{"text": "x", "data": {"v": Infinity}}'
    answer = client.post(
        "/api/v1/logbook", content=raw, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422


def test_search_filters_over_http(client: TestClient, logbook: Logbook, clock: FakeClock) -> None:
    logbook.record(LogKind.ALARM, "Intrusion zone 3", site_id="S1", incident_id=4)
    clock.advance(86_400)
    logbook.record(LogKind.CALL, "Appel au client : pas de réponse", site_id="S2", incident_id=4)
    client.post(
        "/api/v1/logbook", json={"text": "RÉPONSE reçue", "site_id": "S2"}, headers=OPERATOR
    )

    def ids(query: str) -> list[int]:
        answer = client.get(f"/api/v1/logbook?{query}")
        assert answer.status_code == 200, answer.text
        return [e["id"] for e in answer.json()]

    assert ids("") == [1, 2, 3]
    assert ids("site=S2") == [2, 3]
    assert ids("incident=4") == [1, 2]
    assert ids("author=jdupont") == [3]
    assert ids("q=réponse") == [2, 3]
    assert ids("kind=call") == [2]
    assert ids("from=2026-11-29") == [2, 3]
    assert ids("to=2026-11-28") == [1]
    assert ids("from=2026-11-28T12:00:00Z&to=2026-11-28T12:00:01Z") == [1]
    assert ids("after_id=1&limit=1") == [2]
    assert ids("order=desc&limit=2") == [3, 2]
    assert client.get("/api/v1/logbook?from=29/11/2026").status_code == 422
    assert client.get("/api/v1/logbook?kind=nonsense").status_code == 422
    assert client.get("/api/v1/logbook/2").json()["text"].startswith("Appel")
    assert client.get("/api/v1/logbook/99").status_code == 404


def test_corrections(client: TestClient) -> None:
    client.post("/api/v1/logbook", json={"text": "Alarme zone 3", "incident_id": 7})
    answer = client.post(
        "/api/v1/logbook/1/corrections", json={"text": "Lire zone 4"}, headers=OPERATOR
    )
    assert answer.status_code == 201, answer.text
    fixed = answer.json()
    assert (fixed["kind"], fixed["corrects"], fixed["incident_id"]) == ("correction", 1, 7)
    assert client.get("/api/v1/logbook/1").json()["text"] == "Alarme zone 3"
    missing = client.post("/api/v1/logbook/42/corrections", json={"text": "?"})
    assert missing.status_code == 404 and "42" in missing.json()["detail"]


def test_verify_reports_the_count_or_the_first_break(
    client: TestClient, logbook: Logbook, engine: Engine
) -> None:
    for n in range(4):
        logbook.record(LogKind.SYSTEM, f"tick {n}")
    answer = client.get("/api/v1/logbook/verify").json()
    assert answer["ok"] is True and answer["entries"] == 4
    with engine.begin() as conn:  # bypass the append-only trigger on purpose
        conn.execute(text("DROP TRIGGER logbook_no_update"))
        conn.execute(text("UPDATE logbook SET author = 'autre' WHERE id = 2"))
    answer = client.get("/api/v1/logbook/verify").json()
    assert answer["ok"] is False
    assert answer["break"]["id"] == 2 and answer["break"]["kind"] == "hash mismatch"


def test_export_csv_and_pdf(client: TestClient, logbook: Logbook, clock: FakeClock) -> None:
    logbook.record(LogKind.ALARM, "Intrusion — zone « entrée »", site_id="S1")
    clock.advance(2 * 86_400)
    logbook.record(LogKind.ALARM, "Hors période", site_id="S1")
    answer = client.get("/api/v1/logbook/export?from=2026-11-28&to=2026-11-28&format=csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and rows[1][10] == "Intrusion — zone « entrée »"
    pdf = client.get("/api/v1/logbook/export?format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert client.get("/api/v1/logbook/export?format=doc").status_code == 422


def test_without_a_logbook_the_api_says_so(engine: Engine) -> None:
    app = create_app(SqlSignalReader(engine), lambda: {"status": "ok"}, trust_identity_headers=True)
    answer = TestClient(app, headers=SUPERVISOR).get("/api/v1/logbook")
    assert answer.status_code == 503
