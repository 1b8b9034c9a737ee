"""Sign-in, sessions, CSRF, security headers and role checks over the real app and tables.

The core flows run on SQLite and PostgreSQL (``db_url``); the CLI flow on SQLite. Hashes
use argon2id at minimal cost; the clock is a ``FakeClock`` (12:00 UTC = 13:00 Paris).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.support.auth import login_form_token, sign_in
from tests.support.pipeline import Pipeline, import_example_register
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.user_store import SqlSessions, SqlUsers
from vigie.domain.logbook import LogKind
from vigie.domain.users import Role, User
from vigie.entrypoints.web.security import CONTENT_SECURITY_POLICY
from vigie.services.auth import Argon2Hasher, Authenticator

PASSWORD = "un mot de passe solide"
VALID = date(2031, 1, 1)
USERS = [
    User("alice", Role.OPERATOR, "CAR-069-2031-01-01-20190000001", VALID, language="fr"),
    User("eve", Role.OPERATOR, "CAR-069-2026-11-27-20210000002", date(2026, 11, 27)),  # expired
    User("chef", Role.SUPERVISOR, "CAR-069-2030-06-30-20200000003", VALID),
    User("admin", Role.ADMIN, "", date.min, language="en"),
    User("client", Role.CUSTOMER, "", date.min),
]
INCIDENTS = "/api/v1/incidents"


@pytest.fixture
def pipe(db_url: str, clock: FakeClock) -> Iterator[Pipeline]:
    engine = make_engine(db_url)
    import_example_register(engine)
    engine.dispose()
    pipeline = Pipeline(db_url, clock)
    yield pipeline
    pipeline.close()


@pytest.fixture
def auth(pipe: Pipeline) -> Authenticator:
    auth = Authenticator(
        SqlUsers(pipe.engine),
        SqlSessions(pipe.engine),
        pipe.clock,
        Argon2Hasher.cheap(),
        logbook=pipe.logbook,
    )
    for user in USERS:
        auth.add_user(user, PASSWORD)
    return auth


@pytest.fixture
def app(pipe: Pipeline, auth: Authenticator) -> Any:
    return pipe.app(auth=auth)


def client_of(app: Any, name: str | None = None) -> TestClient:
    client = TestClient(app)
    if name is not None:
        sign_in(client, name, PASSWORD)
    return client


def _post_login(client: TestClient, name: str, password: str) -> Any:
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": login_form_token(client)},
        follow_redirects=False,
    )


def _burglary(pipe: Pipeline, client: TestClient) -> int:
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.process()
    (incident,) = [i for i in client.get(INCIDENTS).json() if i["site_id"] == "BOUL-MARTIN"]
    return int(incident["id"])


def _access(pipe: Pipeline) -> list[Any]:
    return pipe.logbook.search(kind=LogKind.ACCESS, limit=1000)


# -- signing in and out -----------------------------------------------------------------


def test_sign_in_me_and_sign_out_revokes_the_session(app: Any, pipe: Pipeline) -> None:
    client = TestClient(app)
    assert client.get("/api/v1/me").status_code == 401
    answer = _post_login(client, "alice", PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("vigie_session=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
    assert "secure" not in lowered  # plain http here; https requests get Secure
    token = client.cookies["vigie_session"]

    me = client.get("/api/v1/me").json()
    assert (me["name"], me["role"], me["card_number"]) == (
        "alice",
        "operator",
        "CAR-069-2031-01-01-20190000001",
    )
    assert me["can_take_alarms"] is True and me["card_expiry"] == "2031-01-01"
    assert "queue.work" in me["permissions"] and "users.manage" not in me["permissions"]
    assert me["language"] == "fr" and me["csrf_token"]

    out = client.post("/logout", data={"csrf_token": me["csrf_token"]}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401
    replay = TestClient(app, cookies={"vigie_session": token})  # a stolen copy of the cookie
    assert replay.get(INCIDENTS).status_code == 401

    events = [(e.author, e.data["event"], e.source) for e in _access(pipe)]
    assert ("alice", "sign_in", "testclient") in events
    assert ("alice", "sign_out", "testclient") in events


def test_five_wrong_passwords_lock_the_account(app: Any, pipe: Pipeline, clock: FakeClock) -> None:
    signed_in = client_of(app, "alice")  # an earlier session elsewhere
    client = TestClient(app)
    for attempt in range(1, 5):
        refused = _post_login(client, "alice", f"mauvais {attempt}")
        assert refused.status_code == 401
        assert "identifiant ou mot de passe incorrect" in refused.text
    fifth = _post_login(client, "alice", "mauvais 5")
    assert fifth.status_code == 401 and "compte verrouillé jusqu&#39;à 13:15" in fifth.text
    sixth = _post_login(client, "alice", PASSWORD)
    assert sixth.status_code == 401
    assert "compte verrouillé jusqu&#39;à 13:15" in sixth.text
    assert "vigie_session" not in client.cookies
    assert signed_in.get("/api/v1/me").status_code == 401  # the lock revoked it

    unknown = _post_login(client, "personne", PASSWORD)
    assert unknown.status_code == 401 and "identifiant ou mot de passe incorrect" in unknown.text

    lock = [e for e in _access(pipe) if e.data.get("event") == "lock"]
    assert len(lock) == 1 and "13:15" in lock[0].text and lock[0].source == "testclient"

    clock.advance(15 * 60)
    assert _post_login(client, "alice", PASSWORD).status_code == 303


def test_the_page_speaks_english_when_asked(app: Any) -> None:
    client = TestClient(app)
    page = client.get("/login?lang=en")
    assert page.status_code == 200 and "Sign in" in page.text and 'lang="en"' in page.text
    assert "Connexion" in client.get("/login").text
    token = login_form_token(client)
    wrong = client.post(
        "/login", data={"name": "alice", "password": "nope", "csrf_token": token, "lang": "en"}
    )
    assert wrong.status_code == 401 and "wrong login or password" in wrong.text


# -- CSRF -----------------------------------------------------------------------------------


def test_unsafe_requests_need_the_session_csrf_token(app: Any) -> None:
    client = client_of(app, "alice")
    good = client.headers.pop("X-CSRF-Token")
    missing = client.post("/api/v1/logbook", json={"text": "Ronde"})
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = client.post("/api/v1/logbook", json={"text": "Ronde"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403 and wrong.json()["detail"] == "jeton CSRF invalide"
    other = client_of(app, "chef").headers["X-CSRF-Token"]  # another session's token
    assert (
        client.post(
            "/api/v1/logbook", json={"text": "Ronde"}, headers={"X-CSRF-Token": other}
        ).status_code
        == 403
    )
    ok = client.post("/api/v1/logbook", json={"text": "Ronde"}, headers={"X-CSRF-Token": good})
    assert ok.status_code == 201, ok.text
    assert (ok.json()["author"], ok.json()["card_number"]) == (
        "alice",
        "CAR-069-2031-01-01-20190000001",
    )
    assert client.post("/logout", follow_redirects=False).status_code == 403


def test_the_login_form_has_its_own_token(app: Any) -> None:
    client = TestClient(app)
    client.get("/login")
    forged = client.post("/login", data={"name": "alice", "password": PASSWORD})
    assert forged.status_code == 403 and "vigie_session" not in client.cookies


# -- headers --------------------------------------------------------------------------------


def test_security_headers_on_pages_api_and_errors(app: Any) -> None:
    client = client_of(app, "alice")
    anonymous = TestClient(app)
    answers = [
        anonymous.get("/login"),
        anonymous.get("/healthz"),
        anonymous.get("/static/css/login.css"),
        anonymous.get("/api/v1/incidents"),  # 401
        anonymous.get("/nowhere"),  # 404
        client.get("/api/v1/me"),
        client.get("/api/v1/logbook"),
        client.post("/api/v1/logbook", json={}),  # 422
    ]
    for answer in answers:
        headers = answer.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, answer.url
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
    assert answers[0].headers["cache-control"] == "no-store"
    page = answers[0].text
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert answers[2].status_code == 200 and "text/css" in answers[2].headers["content-type"]


# -- who may do what ------------------------------------------------------------------------


def test_everything_but_health_and_login_needs_a_user(app: Any) -> None:
    anonymous = TestClient(app)
    assert anonymous.get("/healthz").status_code == 200
    for path in (INCIDENTS, "/api/v1/logbook", "/api/v1/signals", "/api/v1/sites"):
        answer = anonymous.get(path)
        assert answer.status_code == 401 and answer.json()["detail"] == "authentification requise"
    # identity headers mean nothing unless the app trusts a proxy
    spoofed = anonymous.get(INCIDENTS, headers={"X-Vigie-User": "admin", "X-Vigie-Role": "admin"})
    assert spoofed.status_code == 401


def test_roles_and_admin_routes(app: Any) -> None:
    body = {"id": "CLI-9", "name": "Client"}
    for name in ("alice", "chef"):
        refused = client_of(app, name).put("/api/v1/customers/CLI-9", json=body)
        assert (
            refused.status_code == 403
            and refused.json()["detail"] == "droit requis : register.edit"
        )
    assert client_of(app, "alice").get("/api/v1/sites").status_code == 200
    assert client_of(app, "admin").put("/api/v1/customers/CLI-9", json=body).status_code == 200
    customer = client_of(app, "client")
    assert customer.get(INCIDENTS).status_code == 403
    assert customer.post("/api/v1/logbook", json={"text": "x"}).status_code == 403


def test_an_expired_card_cannot_take_alarms(app: Any, pipe: Pipeline) -> None:
    alice, eve, admin = client_of(app, "alice"), client_of(app, "eve"), client_of(app, "admin")
    incident = _burglary(pipe, alice)
    assert eve.get(f"{INCIDENTS}/{incident}").status_code == 200  # she may still look
    for path in (f"{INCIDENTS}/{incident}/claim", f"{INCIDENTS}/next"):
        refused = eve.post(path)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "carte professionnelle expirée"
    assert eve.get("/api/v1/me").json()["can_take_alarms"] is False
    assert admin.post(f"{INCIDENTS}/{incident}/claim").json()["detail"] == (
        "carte professionnelle requise"
    )
    claimed = alice.post(f"{INCIDENTS}/{incident}/claim")
    assert claimed.status_code == 200 and claimed.json()["holder"] == "alice"
    (entry,) = [
        e for e in pipe.logbook.search(incident_id=incident) if e.data.get("action") == "claim"
    ]
    assert (entry.author, entry.role, entry.source) == ("alice", "operator", "testclient")


def test_a_trusted_proxy_names_the_user(pipe: Pipeline, auth: Authenticator) -> None:
    client = TestClient(pipe.app(auth=auth, trust_identity_headers=True))
    eve = {"X-Vigie-User": "eve", "X-Vigie-Role": "operator"}
    incident = _burglary(pipe, TestClient(client.app, headers=eve))
    # a stored user's own record wins: her card has expired
    assert client.post(f"{INCIDENTS}/{incident}/claim", headers=eve).status_code == 403
    proxied = {"X-Vigie-User": "remote", "X-Vigie-Role": "operator", "X-Vigie-Card": "CAR-X"}
    assert client.post(f"{INCIDENTS}/{incident}/claim", headers=proxied).status_code == 200
    bad_role = client.get(INCIDENTS, headers={"X-Vigie-User": "x1", "X-Vigie-Role": "root"})
    assert bad_role.status_code == 403


# -- the command line -------------------------------------------------------------------------


def vigie(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigie.entrypoints.cli", *args],
        input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_user_add_from_the_cli_then_sign_in(sqlite_url: str, clock: FakeClock) -> None:
    added = vigie("user", "add", "jdupont", "--role", "operator",
                  "--card", "CAR-069-2031-01-01-20190000001", "--card-expiry", "2031-01-01",
                  "--display-name", "Jean Dupont", "--password-stdin", "--db", sqlite_url,
                  stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    first_admin = vigie("user", "add", "root", "--role", "admin", "--password-stdin",
                        "--db", sqlite_url, stdin=PASSWORD + "\n")  # fmt: skip
    assert first_admin.returncode == 0, first_admin.stderr

    for args, field in [
        (["x", "--role", "operator", "--card", "C", "--card-expiry", "2031-01-01"], "name"),
        (["bob", "--role", "boss", "--card", "C", "--card-expiry", "2031-01-01"], "role"),
        (["bob", "--role", "operator", "--card-expiry", "2031-01-01"], "card"),
        (["bob", "--role", "operator", "--card", "C", "--card-expiry", "31/12/2031"],
         "card_expiry"),
        (["bob", "--role", "operator", "--card", "C", "--card-expiry", "2031-01-01",
          "--language", "de"], "language"),
    ]:  # fmt: skip
        bad = vigie("user", "add", *args, "--password-stdin", "--db", sqlite_url,
                    stdin=PASSWORD + "\n")  # fmt: skip
        assert bad.returncode == 2 and f"error: {field}" in bad.stderr, (args, bad.stderr)
    short = vigie("user", "add", "bob", "--role", "operator", "--card", "C",
                  "--card-expiry", "2031-01-01", "--password-stdin", "--db", sqlite_url,
                  stdin="court\n")  # fmt: skip
    assert short.returncode == 2 and "password: expected at least 10 characters" in short.stderr
    again = vigie("user", "add", "jdupont", "--role", "admin", "--password-stdin",
                  "--db", sqlite_url, stdin=PASSWORD + "\n")  # fmt: skip
    assert again.returncode == 2 and "already exists" in again.stderr

    listed = vigie("user", "list", "--db", sqlite_url)
    assert listed.returncode == 0 and "jdupont" in listed.stdout and "root" in listed.stdout
    assert "argon2" not in listed.stdout and "2 user(s)" in listed.stdout

    pipe = Pipeline(sqlite_url, clock)
    try:
        auth = Authenticator(
            SqlUsers(pipe.engine), SqlSessions(pipe.engine), clock, Argon2Hasher.cheap(),
            logbook=pipe.logbook,
        )  # fmt: skip
        client = client_of(pipe.app(auth=auth), "jdupont")
        me = client.get("/api/v1/me").json()
        assert (me["display_name"], me["can_take_alarms"]) == ("Jean Dupont", True)
        for attempt in range(5):
            _post_login(TestClient(client.app), "jdupont", f"wrong {attempt}")
        assert client.get("/api/v1/me").status_code == 401
        locked = _post_login(TestClient(client.app), "jdupont", PASSWORD)
        assert locked.status_code == 401 and "verrouillé" in locked.text
        unlocked = vigie("user", "unlock", "jdupont", "--db", sqlite_url)
        assert unlocked.returncode == 0, unlocked.stderr
        new = "un nouveau mot de passe"
        changed = vigie("user", "passwd", "jdupont", "--password-stdin", "--db", sqlite_url,
                        stdin=new + "\n")  # fmt: skip
        assert changed.returncode == 0, changed.stderr
        assert _post_login(TestClient(client.app), "jdupont", PASSWORD).status_code == 401
        sign_in(TestClient(client.app), "jdupont", new)
        events = {str(e.data.get("event")) for e in pipe.logbook.search(kind=LogKind.ACCESS)}
        assert {"user_add", "sign_in", "lock", "unlock", "password"} <= events
    finally:
        pipe.close()


def test_a_fresh_station_answers_until_its_first_user_exists(pipe: Pipeline) -> None:
    auth = Authenticator(
        SqlUsers(pipe.engine), SqlSessions(pipe.engine), pipe.clock, Argon2Hasher.cheap()
    )
    client = TestClient(pipe.app(auth=auth))
    assert client.get("/api/v1/signals").status_code == 200  # no user: nobody could sign in
    entry = client.post("/api/v1/logbook", json={"text": "mise en service"})
    assert entry.status_code == 201 and entry.json()["author"] == "installation"
    auth.add_user(USERS[0], PASSWORD)
    pipe.clock.advance(3)  # the "any user yet?" answer is cached for 2 s
    assert client.get("/api/v1/signals").status_code == 401
    assert client.post("/api/v1/logbook", json={"text": "x"}).status_code == 401
