"""The incident's work over HTTP (issue 4 §3): calls with the secret word checked, duress,
dispatches with the levée de doute gate, back to normal; API and console forms.

SQLite, FastAPI's TestClient, incidents from real frames through the processor; the
example register's words are hashed at a cheap cost (``tests.support.pipeline``).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tests.conftest import FakeClock
from tests.support.auth import sign_in
from tests.support.pipeline import Pipeline, example_keys
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.incident_tables import incidents
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.user_store import SqlSessions, SqlUsers
from vigie.domain.incidents import CallResult, DispatchKind, DispatchStage, Incident
from vigie.domain.users import Role, User
from vigie.services.auth import Argon2Hasher, Authenticator

API = "/api/v1/incidents"
ALICE = {"X-Vigie-User": "alice", "X-Vigie-Role": "operator", "X-Vigie-Card": "CAR-A"}
BOB = {"X-Vigie-User": "bob", "X-Vigie-Role": "operator", "X-Vigie-Card": "CAR-B"}
CHIEF = {"X-Vigie-User": "chef", "X-Vigie-Role": "supervisor", "X-Vigie-Card": "CAR-C"}
# BOUL-MARTIN's first contact (examples/register.json)
SECRET, DURESS = "Pain d'épices", "Baguette tradition"
WORDS = ("Pain", "pain d", "epices", "Baguette", "tradition", "Mauvais mot")
PASSWORD = "un mot de passe solide"


@pytest.fixture
def client(pipe: Pipeline) -> TestClient:
    return TestClient(pipe.app(trust_identity_headers=True), headers=CHIEF)


def _alarms(pipe: Pipeline, clock: FakeClock) -> dict[str, int]:
    """A burglary at the bakery (oldest), then a hold-up at the bank and a fire."""
    keys = example_keys()
    for raw in (
        pipe.frame("1001", "#1001|Nri1/BA3"),
        pipe.frame("1003", "#1003|Nri1/HA5", key=keys["1003"]),
        pipe.frame("1004", "#1004|1110 02 006", token="ADM-CID", key=keys["1004"]),
    ):
        pipe.send(raw)
        clock.advance(10)
    pipe.process()
    return {i.site_id or "": i.id or 0 for i in pipe.queue.waiting()}


def _post(client: TestClient, path: str, body: Any = None, who: Any = ALICE) -> Any:
    return client.post(f"{API}{path}", json=body, headers=who)


def _ok(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _entries(client: TestClient, incident_id: int) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/logbook", params={"incident": incident_id, "limit": 1000})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _assert_no_word(haystack: str) -> None:
    lowered = haystack.casefold()
    for word in (SECRET, DURESS, "épices", "epices", "baguette"):
        assert word.casefold() not in lowered, word


# -- calls ------------------------------------------------------------------------------


def test_calls_check_the_spoken_word_and_never_keep_it(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    bakery = _alarms(pipe, clock)["BOUL-MARTIN"]
    refused = _post(client, f"/{bakery}/calls", {"contact_id": "C1", "result": "no_answer"})
    assert refused.status_code == 409 and "held by nobody" in refused.json()["detail"]
    _ok(_post(client, f"/{bakery}/claim"))
    _ok(_post(client, f"/{bakery}/calls", {"contact_id": "C2", "result": "no_answer"}))
    _ok(_post(client, f"/{bakery}/calls", {"contact_id": "C2", "result": "voicemail"}))
    wrong = _post(
        client, f"/{bakery}/calls", {"contact_id": "C1", "result": "reached", "word": "Brioche"}
    )
    body = _ok(wrong)
    assert body["calls"][-1]["result"] == "secret_wrong" and body["priority"] == 4
    right = _post(
        client,
        f"/{bakery}/calls",
        {"contact_id": "C1", "result": "reached", "word": "PAIN D EPICES", "note": "code OK"},
    )
    body = _ok(right)
    assert [c["result"] for c in body["calls"]] == [
        "no_answer", "voicemail", "secret_wrong", "secret_ok",
    ]  # fmt: skip
    last = body["calls"][-1]
    assert (last["contact_id"], last["contact_name"], last["by"], last["note"]) == (
        "C1", "Jean Martin", "alice", "code OK",
    )  # fmt: skip
    assert last["phone"] and not body["duress"]

    # the main courante: one CALL entry per attempt, the operator named, no word
    calls = [e for e in _entries(client, bakery) if e["kind"] == "call"]
    assert len(calls) == 4
    assert {e["author"] for e in calls} == {"alice"}
    assert "Jean Martin" in calls[2]["text"] and "mot de passe erroné" in calls[2]["text"]
    assert "mot de passe correct" in calls[3]["text"]
    _assert_no_word(json.dumps(calls, ensure_ascii=False))
    _assert_no_word(json.dumps(client.get(f"{API}/{bakery}").json(), ensure_ascii=False))
    with pipe.engine.connect() as conn:
        stored = conn.execute(select(incidents.c.calls).where(incidents.c.id == bakery)).scalar()
    _assert_no_word(json.dumps(stored, ensure_ascii=False))


def test_call_refusals_say_why(pipe: Pipeline, client: TestClient, clock: FakeClock) -> None:
    bakery = _alarms(pipe, clock)["BOUL-MARTIN"]
    _ok(_post(client, f"/{bakery}/claim"))
    cases = [
        ({"contact_id": "C9", "result": "reached"}, "no contact C9 for this site"),
        ({"contact_id": "C3", "result": "reached", "word": "x"}, "contact C3 has no secret word"),
        ({"contact_id": "C1", "result": "voicemail", "word": "x"}, "only heard from a reached"),
        ({"contact_id": "C1", "result": "reached", "phone": "+1 555"}, "is not a phone of"),
    ]
    for body, why in cases:
        answer = _post(client, f"/{bakery}/calls", body)
        assert answer.status_code == 409 and why in answer.json()["detail"], answer.text
    assert (
        _post(client, f"/{bakery}/calls", {"contact_id": "C1", "result": "duress"}).status_code
        == 422
    )  # the server alone decides secret_ok / secret_wrong / duress


def test_duress_puts_the_incident_first_in_everyones_queue(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    ids = _alarms(pipe, clock)
    bakery = ids["BOUL-MARTIN"]
    before = [i["site_id"] for i in client.get(API, headers=BOB).json()]
    assert before == ["BANQUE-PARTDIEU", "ENTREPOT-VENISSIEUX", "BOUL-MARTIN"]
    _ok(_post(client, f"/{bakery}/claim"))
    body = _ok(
        _post(
            client,
            f"/{bakery}/calls",
            {"contact_id": "C1", "result": "reached", "word": "baguette  Tradition"},
        )
    )
    assert body["priority"] == 1 and body["duress"]
    assert body["calls"][-1]["result"] == "duress"
    after = [(i["site_id"], i["priority"]) for i in client.get(API, headers=BOB).json()]
    assert after == [("BOUL-MARTIN", 1), ("BANQUE-PARTDIEU", 1), ("ENTREPOT-VENISSIEUX", 2)]
    (entry,) = [e for e in _entries(client, bakery) if e["kind"] == "call"]
    assert entry["data"]["result"] == "duress" and entry["author"] == "alice"
    _assert_no_word(entry["text"])
    # a duress answer is itself the levée de doute: the police may be called
    police = _ok(_post(client, f"/{bakery}/dispatches", {"kind": "police"}))
    assert police["dispatches"][0]["kind"] == "police"


# -- dispatches -------------------------------------------------------------------------


def test_police_refused_without_levee_de_doute_then_allowed_after_a_guard_on_site(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    bakery = _alarms(pipe, clock)["BOUL-MARTIN"]
    _ok(_post(client, f"/{bakery}/claim"))
    refused = _post(client, f"/{bakery}/dispatches", {"kind": "police"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "levée de doute requise : vidéo vue, appel ou agent sur place"
    )
    missing = _post(client, f"/{bakery}/dispatches", {"kind": "provider"})
    assert missing.status_code == 409 and "needs a provider" in missing.json()["detail"]
    unknown = _post(client, f"/{bakery}/dispatches", {"kind": "provider", "provider_id": "NOPE"})
    assert unknown.status_code == 409 and "no provider NOPE" in unknown.json()["detail"]

    guard = _ok(
        _post(
            client,
            f"/{bakery}/dispatches",
            {"kind": "provider", "provider_id": "PRESTA-RHONE-SECU"},
        )
    )
    (sent,) = guard["dispatches"]
    assert sent["number"] == 1 and sent["stage"] == "requested"
    assert sent["provider_name"] == "Rhône Sécurité Intervention"
    assert guard["times"]["dispatched"] == sent["requested_at"]
    clock.advance(300)
    _ok(_post(client, f"/{bakery}/dispatches/1", {"stage": "on_the_way"}))
    assert _post(client, f"/{bakery}/dispatches", {"kind": "police"}).status_code == 409
    back = _post(client, f"/{bakery}/dispatches/1", {"stage": "on_the_way"})
    assert back.status_code == 409 and "already on_the_way" in back.json()["detail"]
    clock.advance(600)
    on_site = _ok(_post(client, f"/{bakery}/dispatches/1", {"stage": "on_site"}))
    assert on_site["verifications"] == ["on_site"]
    police = _ok(_post(client, f"/{bakery}/dispatches", {"kind": "police"}))
    assert [d["kind"] for d in police["dispatches"]] == ["provider", "police"]
    no_report = _post(client, f"/{bakery}/dispatches/1", {"stage": "finished"})
    assert no_report.status_code == 409
    done = _ok(
        _post(client, f"/{bakery}/dispatches/1", {"stage": "finished", "report": "Vitre cassée"})
    )
    assert done["dispatches"][0]["stage"] == "finished"
    assert done["dispatches"][0]["report"] == "Vitre cassée"
    assert done["times"]["dispatched"] == sent["requested_at"]
    not_mine = _post(client, f"/{bakery}/dispatches/2", {"stage": "on_site"}, BOB)
    assert not_mine.status_code == 409

    entries = [e for e in _entries(client, bakery) if e["kind"] == "dispatch"]
    assert [(e["data"]["dispatch"], e["data"]["stage"]) for e in entries] == [
        (1, "requested"), (1, "on_the_way"), (1, "on_site"), (2, "requested"), (1, "finished"),
    ]  # fmt: skip
    assert {e["author"] for e in entries} == {"alice"}
    assert "Rhône Sécurité Intervention" in entries[0]["text"]
    assert "Vitre cassée" in entries[-1]["text"]


def test_a_hold_up_may_call_the_police_at_once(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    bank = _alarms(pipe, clock)["BANQUE-PARTDIEU"]
    _ok(_post(client, f"/{bank}/claim"))
    _ok(_post(client, f"/{bank}/dispatches", {"kind": "police"}))


# -- back to normal, the close entry --------------------------------------------------


def test_back_to_normal_is_recorded_and_the_close_entry_holds_its_state(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    bakery = _alarms(pipe, clock)["BOUL-MARTIN"]
    _ok(_post(client, f"/{bakery}/claim"))
    body = _ok(_post(client, f"/{bakery}/back-to-normal", {"rearmed": True, "checked": False}))
    assert body["back_to_normal"] | {"at": None} == {
        "restored": False, "rearmed": True, "checked": False, "by": "alice", "at": None,
    }  # fmt: skip
    for step in body["steps"]:
        _ok(_post(client, f"/{bakery}/steps/{step['number']}", {"status": "done"}))
    _ok(_post(client, f"/{bakery}/close", {"outcome": "false_alarm_user", "comment": "code"}))
    (closing,) = [e for e in _entries(client, bakery) if e["data"].get("action") == "close"]
    assert closing["data"]["back_to_normal"] == {
        "restored": False,
        "rearmed": True,
        "checked": False,
    }
    assert "remis en service oui" in closing["text"] and "système vérifié non" in closing["text"]


def test_migration_0006_keeps_old_incidents_and_the_work_round_trips(db_url: str) -> None:
    """Both databases: a row from before 0006 reads as nothing recorded; then calls,
    dispatches and the checklist are stored and read back as they were."""
    engine = make_engine(db_url)
    upgrade(engine, "0004")
    with engine.begin() as conn:  # a row with the 0004 columns only
        conn.execute(
            text(
                "INSERT INTO incidents (state, priority, title, opened_at, comment, steps) "
                "VALUES ('waiting', 4, 'old', '2026-11-01 00:00:00+00', '', '[]')"
            )
        )
    upgrade(engine)
    store = SqlIncidents(engine)
    old = store.get(1)
    assert old is not None and old.calls == [] and old.dispatches == []
    assert not old.back_to_normal.rearmed and old.back_to_normal.by is None

    now = old.opened_at + timedelta(minutes=1)

    def work(incident: Incident) -> None:
        incident.claim("alice", now)
        incident.call("C1", "Jean", "+33 6", CallResult.SECRET_WRONG, "", "alice", now)
        incident.dispatch(DispatchKind.PROVIDER, "G", "Gardes", "alice", now)
        incident.dispatch_progress(1, DispatchStage.ON_SITE, "", "alice", now)
        incident.set_back_to_normal(True, False, "alice", now)

    changed, _ = store.change(1, work)
    again = store.get(1)
    assert again is not None
    assert again.calls == changed.calls and again.dispatches == changed.dispatches
    assert again.back_to_normal == changed.back_to_normal
    assert again.dispatched_at == now and again.dispatches[0].on_site_at == now
    engine.dispose()


# -- the console's forms -----------------------------------------------------------------


@pytest.fixture
def console_app(pipe: Pipeline) -> Any:
    auth = Authenticator(
        SqlUsers(pipe.engine), SqlSessions(pipe.engine), pipe.clock, Argon2Hasher.cheap(),
        logbook=pipe.logbook,
    )  # fmt: skip
    valid = date(2031, 1, 1)
    auth.add_user(User("alice", Role.OPERATOR, "CAR-069-2031-01-01-1", valid), PASSWORD)
    return pipe.app(auth=auth)


def test_the_console_forms_record_calls_dispatches_and_back_to_normal(
    pipe: Pipeline, console_app: Any, clock: FakeClock
) -> None:
    bakery = _alarms(pipe, clock)["BOUL-MARTIN"]
    alice = TestClient(console_app)
    token = sign_in(alice, "alice", PASSWORD)
    alice.headers.pop("X-CSRF-Token")
    base = f"/console/incidents/{bakery}"

    def post(path: str, form: dict[str, str]) -> Any:
        return alice.post(base + path, data=form | {"csrf_token": token}, follow_redirects=False)

    assert post("/claim", {}).status_code == 303
    page = alice.get(base).text
    assert '<span id="incident-priority" data-priority="4"' in page
    assert '<li data-contact="C1">' in page and 'class="call"' in page
    assert 'id="dispatch-form"' in page and 'id="back-to-normal"' in page
    assert 'id="duress"' not in page
    assert "style=" not in page and "<script>" not in page
    refused = post("/dispatches", {"kind": "police", "provider_id": ""})
    assert refused.status_code == 409
    assert "levée de doute requise" in refused.text
    for word in ("Brioche", SECRET):
        answer = post("/calls", {"contact_id": "C1", "result": "reached", "word": word})
        assert answer.status_code == 303
    answer = post("/dispatches", {"kind": "provider", "provider_id": "PRESTA-RHONE-SECU"})
    assert answer.status_code == 303
    assert post("/dispatches/1/on_site", {"report": ""}).status_code == 303
    assert post("/dispatches/1/bogus", {}).status_code == 409
    assert post("/back-to-normal", {"rearmed": "1", "checked": "1"}).status_code == 303
    page = alice.get(base).text
    results = re.findall(r'<li data-result="(\w+)"', page)
    assert results == ["secret_wrong", "secret_ok"]
    assert '<li data-dispatch="1" data-stage="on_site" data-kind="provider">' in page
    assert 'data-stage="finished"' in page and 'name="report"' in page
    assert re.search(r'name="rearmed" value="1" checked', page)
    _assert_no_word(page.split('id="contacts"', 1)[1])

    answer = post("/calls", {"contact_id": "C1", "result": "reached", "word": DURESS})
    assert answer.status_code == 303
    page = alice.get(base).text
    assert '<p id="duress" class="duress">Contrainte — prévenir la police</p>' in page
    assert '<span id="incident-priority" data-priority="1"' in page
    assert 'class="urgent"' in page  # the police step stands out
    assert 'role="alert"' not in page.split('id="duress"', 1)[0][-200:]
