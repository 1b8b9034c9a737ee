"""The whole way of a signal: a real panel (my-dc09-spt) -> ``vigie serve`` -> the console.

The example register is imported first; the station runs as its own process with its
HTTP API; everything is on loopback and every wait has a deadline. What is asserted is
what an operator sees over HTTP: the queue, an incident's alarms and steps, the main
courante and its chain.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from my_dc09_spt import dc09_spt

from tests.e2e.wire import HOST, wait_for
from tests.support.auth import sign_in
from tests.support.pipeline import example_keys, import_example_register
from tests.support.station import ProcessStation, start_process
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.register_repository import SqlRegister
from vigie.domain.register import AlarmKind

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

# Operators created with ``vigie user add`` and signed in through the real form.
OPERATORS = {"alice": "CAR-069-A", "bob": "CAR-069-B"}
PASSWORD = "correct horse battery"


@pytest.fixture
def station(sqlite_url: str, tmp_path: Path) -> Iterator[ProcessStation]:
    engine = make_engine(sqlite_url)
    import_example_register(engine)
    engine.dispose()
    for name, card in OPERATORS.items():
        added = subprocess.run(
            [sys.executable, "-m", "vigie.entrypoints.cli", "user", "add", name,
             "--role", "operator", "--card", card, "--card-expiry", "2099-12-31",
             "--password-stdin", "--db", sqlite_url],
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert added.returncode == 0, added.stdout + added.stderr
    started = start_process(sqlite_url, tmp_path / "serve.log")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def http(station: ProcessStation) -> Iterator[httpx.Client]:
    """Alice's browser, signed in."""
    with httpx.Client(base_url=station.http, timeout=10) as client:
        sign_in(client, "alice", PASSWORD)
        yield client


@pytest.fixture
def bob(station: ProcessStation) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=station.http, timeout=10) as client:
        sign_in(client, "bob", PASSWORD)
        yield client


def _panel(station: ProcessStation, account: str, transport: str) -> Any:
    key = example_keys().get(account)
    spt = dc09_spt.dc09_spt(account)
    spt.set_path("main", "primary", HOST, station.dc09_port, account=account, key=key,
                 type=transport, line=0)  # fmt: skip
    return spt


def _queue(http: httpx.Client) -> list[dict[str, Any]]:
    answer = http.get("/api/v1/incidents")
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _of(queue: list[dict[str, Any]], site_id: str | None) -> list[dict[str, Any]]:
    return [i for i in queue if i["site_id"] == site_id]


def _steps_of(sqlite_url: str, site_id: str, kind: AlarmKind) -> list[dict[str, Any]]:
    engine = make_engine(sqlite_url)
    try:
        procedure = SqlRegister(engine).procedures_for(site_id, kind)
    finally:
        engine.dispose()
    assert procedure is not None, (site_id, kind)
    return [
        {"number": n, "kind": s.kind.value, "text": s.text, "mandatory": s.mandatory}
        for n, s in enumerate(procedure.steps, start=1)
    ]


def _worked(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("number", "kind", "text", "mandatory")
    return [{k: s[k] for k in keep} for s in steps]


def test_panel_signals_become_incidents_an_operator_works_and_closes(
    station: ProcessStation, http: httpx.Client, bob: httpx.Client, sqlite_url: str
) -> None:
    # -- the panels send (TCP and UDP, plain and AES-128 / AES-256) ------------------------
    boulangerie = _panel(station, "1001", "TCP")  # plain
    boulangerie.send_msg("SIA-DCS", {"code": "BA", "zone": 3, "area": 1})
    banque = _panel(station, "1003", "UDP")  # AES-128 (key_hex)
    banque.send_msg("SIA-DCS", {"code": "HA", "zone": 5, "area": 1})
    entrepot = _panel(station, "1004", "TCP")  # AES-256 (key_text)
    entrepot.send_msg("ADM-CID", {"code": 110, "q": 1, "zone": 6, "area": 2})
    pharmacie = _panel(station, "1002", "UDP")  # plain
    for _ in range(10):
        pharmacie.send_msg("SIA-DCS", {"code": "BA", "zone": 2, "area": 1})
    _panel(station, "4999", "TCP").send_msg("SIA-DCS", {"code": "BA", "zone": 1})

    def settled() -> list[dict[str, Any]] | None:
        queue = _queue(http)
        flood = _of(queue, "PHARMA-CENTRE")
        ready = len(queue) == 5 and flood and flood[0]["alarms"][0]["count"] == 10
        return queue if ready else None

    queue = wait_for(settled, 30, "five incidents, the flood counted to 10")

    # -- the queue: hold-up, then fire, then intrusion; each on its site with its steps ---
    assert [(i["site_id"], i["alarms"][0]["kind"]) for i in queue[:3]] == [
        ("BANQUE-PARTDIEU", "holdup"),
        ("ENTREPOT-VENISSIEUX", "fire"),
        ("BOUL-MARTIN", "intrusion"),
    ]
    priorities = [i["priority"] for i in queue]
    assert priorities == sorted(priorities) and priorities[0] < priorities[1] < priorities[2]
    assert all(i["state"] == "waiting" and i["holder"] is None for i in queue)

    expected = {
        "BANQUE-PARTDIEU": ("holdup", "5", "Bouton agression guichet 1", "1003", "HA"),
        "ENTREPOT-VENISSIEUX": ("fire", "6", "Sprinkler : débit", "1004", "110"),
        "BOUL-MARTIN": ("intrusion", "3", "Fournil", "1001", "BA"),
        "PHARMA-CENTRE": ("intrusion", "2", "Officine volumétrique", "1002", "BA"),
    }
    for site_id, (kind, zone, label, account, code) in expected.items():
        (incident,) = _of(queue, site_id)
        (alarm,) = incident["alarms"]
        assert (alarm["kind"], alarm["zone"], alarm["zone_label"]) == (kind, zone, label)
        assert (alarm["account"], alarm["code"]) == (account, code)
        assert alarm["restored_at"] is None
        assert _worked(incident["steps"]) == _steps_of(sqlite_url, site_id, AlarmKind(kind))
        assert all(s["status"] == "open" for s in incident["steps"])

    (flood,) = _of(queue, "PHARMA-CENTRE")
    assert flood["alarms"][0]["count"] == 10 and len(flood["alarms"][0]["signal_ids"]) == 10

    (unknown,) = _of(queue, None)
    (alarm,) = unknown["alarms"]
    assert (alarm["kind"], alarm["account"]) == ("unknown_transmitter", "4999")
    assert unknown["priority"] > queue[2]["priority"]

    # -- a second zone joins the open incident; a restore attaches to its alarm ---------
    (intrusion,) = _of(queue, "BOUL-MARTIN")
    boulangerie.send_msg("SIA-DCS", {"code": "BA", "zone": 4, "area": 1})
    boulangerie.send_msg("SIA-DCS", {"code": "BR", "zone": 3, "area": 1})

    def restored() -> dict[str, Any] | None:
        shown = http.get(f"/api/v1/incidents/{intrusion['id']}").json()
        alarms = shown["alarms"]
        return shown if len(alarms) == 2 and alarms[0]["restored_at"] else None

    shown = wait_for(restored, 15, "zone 4 joined and zone 3 restored")
    assert [(a["zone"], a["zone_label"], a["count"]) for a in shown["alarms"]] == [
        ("3", "Fournil", 1),
        ("4", "Réserve farine", 1),
    ]
    assert shown["alarms"][1]["restored_at"] is None
    assert len(_of(_queue(http), "BOUL-MARTIN")) == 1  # no new incident for either
    assert len(_queue(http)) == 5

    # -- the operator works the intrusion ---------------------------------------------
    url = f"/api/v1/incidents/{intrusion['id']}"
    claimed = http.post(f"{url}/claim")
    assert claimed.status_code == 200, claimed.text
    assert (claimed.json()["state"], claimed.json()["holder"]) == ("claimed", "alice")
    stolen = bob.post(f"{url}/claim")
    assert stolen.status_code == 409 and "alice" in stolen.json()["detail"]

    steps = shown["steps"]
    mandatory = [s["number"] for s in steps if s["mandatory"]]
    optional = [s["number"] for s in steps if not s["mandatory"]]
    assert mandatory and optional

    aside = http.post(f"{url}/steps/{mandatory[0]}", json={"status": "not_applicable"})
    assert aside.status_code in (409, 422)
    assert "note" in aside.json()["detail"]

    for number in optional:
        done = http.post(f"{url}/steps/{number}", json={"status": "done"})
        assert done.status_code == 200, done.text

    early = http.post(f"{url}/close", json={"outcome": "false_alarm_user", "comment": "x"})
    assert early.status_code == 409
    assert early.json()["detail"] == "mandatory steps still open: " + ", ".join(
        str(n) for n in mandatory
    )

    for number in mandatory[:-1]:
        done = http.post(f"{url}/steps/{number}", json={"status": "done", "note": "ok"})
        assert done.status_code == 200, done.text
    last = http.post(
        f"{url}/steps/{mandatory[-1]}",
        json={"status": "not_applicable", "note": "levée de doute négative"},
    )
    assert last.status_code == 200, last.text

    closed = http.post(
        f"{url}/close",
        json={"outcome": "false_alarm_user", "comment": "Code erroné du gérant, mot de passe OK"},
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["state"], body["outcome"], body["closed_by"]) == (
        "closed",
        "false_alarm_user",
        "alice",
    )
    assert all(s["status"] in ("done", "not_applicable") and s["by"] == "alice"
               for s in body["steps"])  # fmt: skip
    assert intrusion["id"] not in [i["id"] for i in _queue(http)]

    # -- the main courante --------------------------------------------------------------
    entries = http.get("/api/v1/logbook", params={"incident": intrusion["id"], "limit": 1000})
    assert entries.status_code == 200, entries.text
    step_entries = {
        e["data"]["step"]: e for e in entries.json() if e["data"].get("action") == "step"
    }
    assert sorted(step_entries) == [s["number"] for s in steps]
    for entry in step_entries.values():
        assert (entry["author"], entry["role"], entry["card_number"]) == (
            "alice",
            "operator",
            "CAR-069-A",
        )
        assert entry["source"] == "127.0.0.1"
    actions = [e["data"].get("action") for e in entries.json()]
    assert "claim" in actions and "close" in actions
    assert any(e["kind"] == "alarm" for e in entries.json())

    verify = http.get("/api/v1/logbook/verify")
    assert verify.status_code == 200
    assert verify.json()["ok"] is True, verify.json()
