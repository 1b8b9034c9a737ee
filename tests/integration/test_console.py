"""The operators' console (issue 4): pages, form actions, the WebSocket push, languages.

Over SQLite with FastAPI's TestClient; incidents come from real frames through the
processor (``tests.support.pipeline``). Users sign in through the real form.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.support.auth import sign_in
from tests.support.pipeline import Pipeline, authenticator
from vigie.domain.users import Role, User
from vigie.entrypoints.web.security import CONTENT_SECURITY_POLICY

PASSWORD = "un mot de passe solide"
VALID = date(2031, 1, 1)
USERS = [
    User("alice", Role.OPERATOR, "CAR-069-2031-01-01-20190000001", VALID, language="fr"),
    User("bob", Role.OPERATOR, "CAR-069-2031-01-01-20190000002", VALID, language="en"),
    User("client", Role.CUSTOMER, "", date.min),
]
SECRET_WORDS = ("Pain d'épices", "Pain d&#39;épices", "Baguette tradition", "Clé de sol")
ROW = re.compile(r"<tr id=\"incident-(\d+)\"[^>]*>")


@pytest.fixture
def app(pipe: Pipeline) -> Any:
    auth = authenticator(pipe, USERS, PASSWORD)
    return pipe.app(auth=auth)


def client_of(app: Any, name: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = sign_in(client, name, PASSWORD)
    client.headers.pop("X-CSRF-Token")  # the console posts forms with the field
    return client, token


def _burglary(pipe: Pipeline) -> int:
    """A burglary at the bakery (zone 3): an incident with the intrusion procedure."""
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.process()
    (incident,) = [i for i in pipe.queue.waiting() if i.site_id == "BOUL-MARTIN"]
    assert incident.id is not None
    return incident.id


def _holdup(pipe: Pipeline) -> int:
    pipe.send(pipe.frame("1002", "#1002|Nri1/PA1"))
    pipe.process()
    found = [i for i in pipe.queue.waiting() if i.priority == 1]
    assert found and found[0].id is not None
    return found[0].id


def _assert_page_rules(answer: Any) -> None:
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html = answer.text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(re.search(r'\bsrc="/static/', s) for s in scripts), scripts
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    assert "</script>" in html and html.count("<script") == html.count("</script>")


# -- the queue --------------------------------------------------------------------------------


def test_without_a_session_the_console_sends_to_the_sign_in_page(app: Any) -> None:
    anonymous = TestClient(app)
    for path in ("/console", "/console/incidents/1"):
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        anonymous.websocket_connect("/ws/console") as socket,
    ):
        socket.receive_json()
    assert refused.value.code == 1008
    customer, _ = client_of(app, "client")
    assert customer.get("/console").status_code == 403


def test_the_queue_page_shows_open_incidents_with_the_contract(app: Any, pipe: Pipeline) -> None:
    incident = _burglary(pipe)
    alice, _ = client_of(app, "alice")
    page = alice.get("/console")
    assert page.status_code == 200, page.text
    _assert_page_rules(page)
    html = page.text
    assert '<html lang="fr">' in html
    assert '<body data-user="alice" data-role="operator" data-live="connecting">' in html
    assert '<table id="queue">' in html and '<tbody id="queue-rows" ' in html
    assert '<input id="queue-filter"' in html and '<button id="take-next"' in html
    assert 'src="/static/js/console.js"' in html and "Entrée = ouvrir" in html
    row = re.search(rf'<tr id="incident-{incident}"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None
    tag = row.group(0).split(">")[0]
    assert 'class="incident prio-4"' in tag and f'data-incident="{incident}"' in tag
    assert 'data-priority="4"' in tag and 'data-state="waiting"' in tag
    assert 'data-holder=""' in tag and 'data-site="BOUL-MARTIN"' in tag
    cells = row.group(1)
    assert f'<a class="open" href="/console/incidents/{incident}">Boulangerie Martin</a>' in cells
    assert '<span class="holder"></span>' in cells and '<span class="count">1</span>' in cells
    assert re.search(r'<span class="age" data-since="[^"]+\+00:00"', cells)
    assert "Intrusion" in cells and "en attente" in cells
    for path in ("/static/js/console.js", "/static/css/console.css", "/static/sound/alert.wav"):
        assert alice.get(path).status_code == 200, path


def test_take_next_claims_the_most_urgent_and_opens_it(app: Any, pipe: Pipeline) -> None:
    _burglary(pipe)
    holdup = _holdup(pipe)
    alice, token = client_of(app, "alice")
    taken = alice.post("/console/next", data={"csrf_token": token}, follow_redirects=False)
    assert taken.status_code == 303 and taken.headers["location"] == f"/console/incidents/{holdup}"
    assert alice.post("/console/next", follow_redirects=False).status_code == 403  # no CSRF


# -- one incident -----------------------------------------------------------------------------


def test_the_incident_page_shows_site_steps_contacts_and_no_secret_word(
    app: Any, pipe: Pipeline
) -> None:
    incident = _burglary(pipe)
    alice, _ = client_of(app, "alice")
    page = alice.get(f"/console/incidents/{incident}")
    assert page.status_code == 200, page.text
    _assert_page_rules(page)
    html = page.text
    for marker in (
        '<section id="site-card">',
        '<ol id="timeline">',
        '<ol id="procedure">',
        '<button id="claim"',
        '<button id="release"',
        '<form method="post"',
        'id="close-form"',
        '<div id="flash"',
        '<ul id="contacts">',
        '<section id="video">',
        '<ol id="logbook">',
        '<span id="incident-state" data-state="waiting">',
        '<span id="incident-holder"></span>',
        'select id="outcome" name="outcome"',
        'textarea id="comment" name="comment"',
        '<button type="submit">Clore',
    ):
        assert marker in html, marker
    assert "Boulangerie Martin" in html and "52 rue Paul Bert" in html
    assert "45.75968, 4.84862" in html and "code portail 2580" in html and "Four à sole" in html
    assert "3 — Fournil" in html and "Aucune caméra" in html
    assert re.search(r'<li class="alarm"><time datetime="[^"]+">\d\d:\d\d:\d\d</time>', html)
    assert html.index("Jean Martin") < html.index("Sophie Martin") < html.index("Mme Lef")
    assert "+33 6 11 22 33 44" in html and "gérant" in html
    for word in SECRET_WORDS:
        assert word not in html
    assert "scrypt" not in html and "$" not in html.split('id="contacts"')[1].split("</ul>")[0]
    steps = re.findall(r'<li data-step="(\d+)" data-status="(\w+)">', html)
    assert steps == [(str(n), "open") for n in range(1, 8)]
    assert html.count('data-action="done"') == 7 and html.count('data-action="not_applicable"') == 7
    assert "Fausse alarme — erreur d&#39;utilisateur" in html
    shown = pipe.queue.get(incident)
    assert shown is not None and shown.first_displayed_at == pipe.clock.now()


def test_claim_step_and_refused_close_from_the_console(app: Any, pipe: Pipeline) -> None:
    incident = _burglary(pipe)
    alice, token = client_of(app, "alice")
    url = f"/console/incidents/{incident}"

    claimed = alice.post(f"{url}/claim", data={"csrf_token": token}, follow_redirects=False)
    assert claimed.status_code == 303 and claimed.headers["location"] == url
    page = alice.get(url).text
    assert 'data-state="claimed"' in page and '<span id="incident-holder">alice</span>' in page

    done = alice.post(f"{url}/steps/2", data={"csrf_token": token, "status": "done", "note": "ok"})
    assert done.status_code == 200  # followed to the page
    assert '<li data-step="2" data-status="done">' in done.text
    (entry,) = [e for e in pipe.logbook.search(incident_id=incident) if e.data.get("step") == 2]
    assert entry.author == "alice" and entry.card_number == "CAR-069-2031-01-01-20190000001"
    assert "fait" in entry.text and "ok" in entry.text
    assert "alice" in done.text.split('id="logbook"')[1]

    aside = alice.post(f"{url}/steps/3", data={"csrf_token": token, "status": "not_applicable"})
    assert aside.status_code == 409 and "demande une note" in aside.text.split('id="flash"')[1]

    refused = alice.post(
        f"{url}/close", data={"csrf_token": token, "outcome": "test", "comment": "essai"}
    )
    assert refused.status_code == 409
    flash = refused.text.split('<div id="flash"')[1].split("</div>")[0]
    assert "étapes obligatoires encore ouvertes : 3, 4, 5, 6, 7" in flash
    assert 'data-state="claimed"' in refused.text

    for number in range(3, 8):
        marked = alice.post(f"{url}/steps/{number}", data={"csrf_token": token, "status": "done"})
        assert marked.status_code == 200, marked.text
    closed = alice.post(
        f"{url}/close", data={"csrf_token": token, "outcome": "test", "comment": "essai"}
    )
    assert closed.status_code == 200 and 'data-state="closed"' in closed.text

    bob, bob_token = client_of(app, "bob")
    again = bob.post(f"{url}/claim", data={"csrf_token": bob_token})
    assert again.status_code == 409 and "incident is closed" in again.text  # bob reads English


def test_english_when_asked_or_when_the_user_prefers_it(app: Any, pipe: Pipeline) -> None:
    incident = _burglary(pipe)
    alice, _ = client_of(app, "alice")
    english = alice.get("/console?lang=en")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "Take next" in english.text and "waiting" in english.text
    page = alice.get(f"/console/incidents/{incident}")  # the choice is remembered
    assert '<html lang="en">' in page.text and "No camera" in page.text
    assert "Procedure" in page.text and "Not applicable" in page.text
    assert '<html lang="fr">' in alice.get("/console?lang=fr").text
    bob, _ = client_of(app, "bob")
    assert '<html lang="en">' in bob.get("/console").text


# -- live updates -----------------------------------------------------------------------------


def test_the_socket_sends_a_snapshot_then_pushes_changes(app: Any, pipe: Pipeline) -> None:
    incident = _burglary(pipe)
    alice, token = client_of(app, "alice")
    with alice.websocket_connect("/ws/console") as socket:
        first = socket.receive_json()
        assert first["type"] == "queue" and first["snapshot"] is True
        assert ROW.findall(first["html"]) == [str(incident)]
        assert 'data-state="waiting"' in first["html"]

        claimed = alice.post(
            f"/console/incidents/{incident}/claim",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert claimed.status_code == 303
        pushed = socket.receive_json()  # only the row that changed
        assert pushed["type"] == "rows" and pushed["remove"] == [] and pushed["count"] == 1
        (row,) = pushed["upsert"]
        assert row["id"] == incident and row["after"] is None
        assert 'data-state="claimed"' in row["html"] and 'data-holder="alice"' in row["html"]

        holdup = _holdup(pipe)  # a new incident, made by the processor (no notify here)
        app.state.live.notify([holdup])  # as the processing worker does after a batch
        fresh = socket.receive_json()  # the new row only, placed first
        assert [(r["id"], r["after"]) for r in fresh["upsert"]] == [(holdup, None)]
        assert 'class="incident prio-1"' in fresh["upsert"][0]["html"] and fresh["count"] == 2

        closed = alice.post(
            f"/console/incidents/{incident}/close",
            data={"csrf_token": token, "outcome": "test", "comment": "essai"},
            follow_redirects=False,
        )
        if closed.status_code == 303:  # mandatory steps may refuse it: then release
            gone = socket.receive_json()
            assert gone["remove"] == [incident] and gone["upsert"] == [] and gone["count"] == 1

    with alice.websocket_connect("/ws/console?lang=en") as again:  # a snapshot on reconnect
        snapshot = again.receive_json()
        assert snapshot["snapshot"] is True and "claimed" in snapshot["html"]
        assert len(ROW.findall(snapshot["html"])) == 2


def test_the_socket_refuses_another_sites_page(app: Any) -> None:
    alice, _ = client_of(app, "alice")
    with (
        pytest.raises(WebSocketDisconnect),
        alice.websocket_connect(
            "/ws/console", headers={"origin": "https://evil.example"}
        ) as socket,
    ):
        socket.receive_json()


def test_a_page_just_rendered_is_not_sent_the_queue_again(app: Any, pipe: Pipeline) -> None:
    incident = _burglary(pipe)
    alice, _ = client_of(app, "alice")
    page = alice.get("/console").text
    digest = re.search(r'data-digest="([0-9a-f]+)"', page)
    assert digest is not None and f'id="incident-{incident}"' in page
    with alice.websocket_connect(f"/ws/console?have={digest.group(1)}") as socket:
        first = socket.receive_json()
        first.pop("sent_at")
        assert first == {"type": "queue", "snapshot": True, "same": True}
    with alice.websocket_connect("/ws/console?have=0123456789abcdef") as socket:  # stale
        first = socket.receive_json()
        assert first["snapshot"] is True and ROW.findall(first["html"]) == [str(incident)]


def test_an_incident_put_on_hold_from_the_console_waits_with_its_reason(
    app: Any, pipe: Pipeline
) -> None:
    incident = _burglary(pipe)
    alice, token = client_of(app, "alice")
    url = f"/console/incidents/{incident}"
    alice.post(f"{url}/claim", data={"csrf_token": token}, follow_redirects=False)
    page = alice.get(url).text
    assert f'action="/console/incidents/{incident}/hold"' in page
    assert 'id="site-map" href="https://www.openstreetmap.org/?mlat=' in page

    assert "inconnue (aucune mise en service" in page
    pipe.send(pipe.frame("1001", "#1001|Nri1/CL2"))  # user 2 arms partition 1
    pipe.process()
    arming = alice.get(url).text.split('id="site-arming"')[1].split("</dd>")[0]
    assert "groupe 1 : en service par l&#39;utilisateur 2" in arming

    held = alice.post(
        f"{url}/hold",
        data={"csrf_token": token, "minutes": "20", "reason": "rappel du client attendu"},
    )
    assert held.status_code == 200 and 'data-state="on_hold"' in held.text
    (entry,) = [
        e for e in pipe.logbook.search(incident_id=incident) if "rappel du client" in e.text
    ]
    assert entry.author == "alice"
    refused = alice.post(f"{url}/hold", data={"csrf_token": token, "minutes": "0", "reason": ""})
    assert refused.status_code == 422
