"""The main courante, handover and supervisor pages (issue 4, items 4-6).

Over SQLite with FastAPI's TestClient; users sign in through the real form and post the
pages' forms with the CSRF field, as a browser does.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.support.auth import sign_in
from tests.support.pipeline import Pipeline, authenticator
from vigie.bootstrap_pages import page_services
from vigie.domain.users import Role, User
from vigie.entrypoints.web.security import CONTENT_SECURITY_POLICY

PASSWORD = "un mot de passe solide"
VALID = date(2031, 1, 1)
USERS = [
    User("alice", Role.OPERATOR, "CAR-069-2031-01-01-20190000001", VALID, language="fr"),
    User("bob", Role.OPERATOR, "CAR-069-2031-01-01-20190000002", VALID, language="fr"),
    User("chef", Role.SUPERVISOR, "CAR-069-2031-01-01-20190000003", VALID, language="fr"),
    User("client", Role.CUSTOMER, "", date.min),
]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(pipe: Pipeline) -> Any:
    auth = authenticator(pipe, USERS, PASSWORD)
    services = page_services(pipe.engine, pipe.logbook, pipe.queue, pipe.clock)
    return pipe.app(auth=auth, **services)


def client_of(app: Any, name: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = sign_in(client, name, PASSWORD)
    client.headers.pop("X-CSRF-Token")  # the pages post forms with the field
    return client, token


def _burglary(pipe: Pipeline) -> int:
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.process()
    (incident,) = [i for i in pipe.queue.waiting() if i.site_id == "BOUL-MARTIN"]
    assert incident.id is not None
    return incident.id


def _page_rules(answer: Any) -> str:
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html: str = answer.text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(re.search(r'\bsrc="/static/', s) for s in scripts), scripts
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    return html


def _entries(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/logbook", params={"limit": 1000, **params})
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()
    return entries


# -- access -----------------------------------------------------------------------------


def test_pages_need_a_session_and_the_right_role(app: Any) -> None:
    anonymous = TestClient(app)
    for path in ("/console/logbook", "/console/handover", "/console/supervisor"):
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
    customer, _ = client_of(app, "client")
    for path in ("/console/logbook", "/console/handover"):
        assert customer.get(path).status_code == 403, path
    alice, _ = client_of(app, "alice")
    for path in ("/console/logbook", "/console/handover"):
        assert alice.get(path).status_code == 200, path
    refused = alice.get("/console/supervisor")
    assert refused.status_code == 403
    assert 'id="forbidden"' in refused.text and "supervise" in refused.text
    assert 'href="/console/supervisor"' not in refused.text  # no link for operators
    chef, _ = client_of(app, "chef")
    page = chef.get("/console/supervisor")
    assert page.status_code == 200
    html = _page_rules(page)
    for table in ("holders", "escalations", "load"):
        assert f'<table id="{table}">' in html
    assert 'href="/console/supervisor"' in html


def test_english_with_lang(app: Any) -> None:
    alice, _ = client_of(app, "alice")
    french = alice.get("/console/logbook")
    assert '<html lang="fr">' in french.text and "chaîne intègre" in french.text
    english = alice.get("/console/logbook?lang=en")
    assert '<html lang="en">' in english.text and "chain intact" in english.text
    assert "Handover" in alice.get("/console/handover?lang=en").text


# -- the main courante ---------------------------------------------------------------------


def test_manual_entry_and_correction_through_the_page(app: Any, pipe: Pipeline) -> None:
    incident = _burglary(pipe)
    alice, token = client_of(app, "alice")
    page = alice.get("/console/logbook")
    html = _page_rules(page)
    assert '<form id="logbook-search"' in html and '<form id="logbook-add"' in html
    assert re.search(r'<p id="chain-status" data-ok="true"[^>]*>chaîne intègre : \d+ entrées', html)
    assert "/api/v1/logbook/export?format=csv" in html and "format=pdf" in html

    without = alice.post("/console/logbook", data={"text": "x"}, follow_redirects=False)
    assert without.status_code == 403  # no CSRF field
    added = alice.post(
        "/console/logbook",
        data={
            "csrf_token": token,
            "text": "Ronde faite, RAS",
            "site_id": "BOUL-MARTIN",
            "incident_id": str(incident),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    (entry,) = _entries(alice, q="Ronde faite")
    assert (entry["author"], entry["role"], entry["kind"]) == ("alice", "operator", "manual")
    assert (entry["site_id"], entry["incident_id"]) == ("BOUL-MARTIN", incident)
    assert entry["card_number"] == "CAR-069-2031-01-01-20190000001"

    bob, bob_token = client_of(app, "bob")
    corrected = bob.post(
        f"/console/logbook/{entry['id']}/corrections",
        data={"csrf_token": bob_token, "text": "Ronde faite à 6 h, RAS"},
        follow_redirects=False,
    )
    assert corrected.status_code == 303, corrected.text
    (correction,) = _entries(bob, kind="correction")
    assert (correction["author"], correction["corrects"]) == ("bob", entry["id"])
    assert correction["incident_id"] == incident

    html = bob.get("/console/logbook").text
    row = re.search(
        rf'<tr id="entry-{correction["id"]}" data-entry="{correction["id"]}"[^>]*>', html
    )
    assert row and f'data-corrects="{entry["id"]}"' in row.group(0)
    assert f'href="#entry-{entry["id"]}"' in html
    rows = bob.get("/console/logbook/rows", params={"author": "alice", "kind": "manual"})
    assert rows.status_code == 200 and f'data-entry="{entry["id"]}"' in rows.text
    assert f'data-entry="{correction["id"]}"' not in rows.text

    empty = alice.post("/console/logbook", data={"csrf_token": token, "text": "  "})
    assert empty.status_code == 422 and "obligatoire" in empty.text
    missing = alice.post(
        "/console/logbook/99999/corrections", data={"csrf_token": token, "text": "x"}
    )
    assert missing.status_code == 422 and "99999" in missing.text
    bad = alice.get("/console/logbook", params={"from": "hier"})
    assert bad.status_code == 200 and "filtre refusé" in bad.text


def test_search_form_filters_the_table(app: Any) -> None:
    alice, token = client_of(app, "alice")
    for text in ("premier", "second"):
        alice.post("/console/logbook", data={"csrf_token": token, "text": text})
    html = alice.get("/console/logbook", params={"q": "second", "author": "alice"}).text
    assert "second" in html and ">premier" not in html
    assert 'data-refresh="/console/logbook/rows?author=alice&amp;q=second"' in html


# -- the handover --------------------------------------------------------------------------


def test_handover_written_by_alice_signed_by_bob(app: Any, pipe: Pipeline) -> None:
    incident = _burglary(pipe)
    alice, alice_token = client_of(app, "alice")
    assert alice.post(f"/console/incidents/{incident}/claim",
                      data={"csrf_token": alice_token}).status_code == 200  # fmt: skip
    page = alice.get("/console/handover")
    html = _page_rules(page)
    assert '<form id="handover-new"' in html and 'name="notes"' in html
    made = alice.post(
        "/console/handover",
        data={"csrf_token": alice_token, "notes": "Rappeler le gérant à 7 h"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    html = alice.get("/console/handover").text
    found = re.search(r'<li id="handover-(\d+)" data-handover="\d+" data-state="open"', html)
    assert found, html
    number = int(found.group(1))
    assert f'data-incident="{incident}"' in html and "Rappeler le gérant" in html
    assert f'id="sign-{number}"' not in html  # alice cannot sign her own

    own = alice.post(f"/console/handover/{number}/sign", data={"csrf_token": alice_token})
    assert own.status_code == 409 and "autre que l&#39;opérateur sortant" in own.text

    bob, bob_token = client_of(app, "bob")
    assert f'id="sign-{number}"' in bob.get("/console/handover").text
    signed = bob.post(
        f"/console/handover/{number}/sign", data={"csrf_token": bob_token}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text
    html = bob.get("/console/handover").text
    assert f'data-handover="{number}" data-state="signed"' in html
    assert 'data-signer="alice"' in html and 'data-signer="bob"' in html
    assert f'id="sign-{number}"' not in html
    again = bob.post(f"/console/handover/{number}/sign", data={"csrf_token": bob_token})
    assert again.status_code == 409 and "déjà signée par bob" in again.text

    entries = _entries(bob, kind="handover")
    assert [(e["author"], e["data"]["action"]) for e in entries] == [
        ("alice", "handover_open"),
        ("bob", "handover_sign"),
    ]
    assert entries[0]["data"]["incidents"] == [incident]
    assert "Rappeler le gérant" in entries[0]["text"]
    assert alice.get("/api/v1/logbook/verify").json()["ok"] is True


def test_a_customer_cannot_write_or_sign_a_handover(app: Any) -> None:
    customer, token = client_of(app, "client")
    answer = customer.post("/console/handover", data={"csrf_token": token, "notes": "x"})
    assert answer.status_code == 403
    assert customer.post("/console/handover/1/sign", data={"csrf_token": token}).status_code == 403


# -- the supervisor ---------------------------------------------------------------------------


def test_supervisor_sees_escalations_holders_and_load(
    app: Any, pipe: Pipeline, clock: FakeClock
) -> None:
    incident = _burglary(pipe)
    clock.advance(pipe.escalate_after + 30)
    pipe.queue.tick()
    chef, _ = client_of(app, "chef")
    html = chef.get("/console/supervisor").text
    escalations = re.search(r'<table id="escalations">.*?</table>', html, re.S)
    assert escalations and f'<tr data-incident="{incident}">' in escalations.group(0)
    waiting = re.search(r'<table id="waiting-by-priority">.*?</table>', html, re.S)
    assert waiting and "<tr data-priority=" in waiting.group(0)

    alice, token = client_of(app, "alice")
    claimed = alice.post(f"/console/incidents/{incident}/claim", data={"csrf_token": token})
    assert claimed.status_code == 200
    html = chef.get("/console/supervisor?lang=en").text
    holders = re.search(r'<table id="holders">.*?</table>', html, re.S)
    assert holders and 'data-holder="alice"' in holders.group(0)
    assert f'data-incident="{incident}"' in holders.group(0)
    load = re.search(r'<table id="load">.*?</table>', html, re.S)
    assert load and re.search(
        r'data-operator="alice"><td>alice</td><td class="num claimed">1</td>'
        r'<td class="num closed">0</td>',
        load.group(0),
    )
    assert "Who holds what" in html
