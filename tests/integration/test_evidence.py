"""The evidence bundle (issue 4): a PDF for the préfecture with the levée de doute, the
timeline and the incident's main-courante entries with their hashes; each export is itself
written to the main courante.

The text is read back from a PDF printed with the core fonts and without compression
(``system_fonts=False, compress=False``): fpdf2 then writes each line as a Latin-1 string.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.support.pipeline import Pipeline, example_keys
from vigie.services.evidence import NO_IMAGE, evidence_pdf

API = "/api/v1/incidents"
ALICE = {"X-Vigie-User": "alice", "X-Vigie-Role": "operator", "X-Vigie-Card": "CAR-A"}
CHIEF = {"X-Vigie-User": "chef", "X-Vigie-Role": "supervisor", "X-Vigie-Card": "CAR-C"}
# BOUL-MARTIN's first contact (examples/register.json): the secret and the duress words
WORDS = ("Pain d'épices", "Pain d", "épices", "epices", "Baguette", "tradition")
_STRING = re.compile(rb"\(((?:[^()\\]|\\.)*)\) ?Tj")


@pytest.fixture
def client(pipe: Pipeline) -> TestClient:
    return TestClient(pipe.app(trust_identity_headers=True), headers=CHIEF)


def _ok(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _post(client: TestClient, path: str, body: Any = None) -> dict[str, Any]:
    return _ok(client.post(f"{API}{path}", json=body, headers=ALICE))


def _pdf_text(pdf: bytes) -> str:
    """The strings an uncompressed core-font PDF shows, one line each."""
    lines = []
    for raw in _STRING.findall(pdf):
        unescaped = re.sub(rb"\\(.)", rb"\1", raw)
        lines.append(unescaped.decode("latin-1"))
    return "\n".join(lines)


def _worked_burglary(pipe: Pipeline, client: TestClient, clock: FakeClock) -> int:
    """A burglary at the bakery: calls (no answer, wrong word, right word), a guard on
    site, the police called, the first step done."""
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    clock.advance(10)
    pipe.process()
    (incident,) = [i for i in pipe.queue.waiting() if i.site_id == "BOUL-MARTIN"]
    bakery = incident.id or 0
    _post(client, f"/{bakery}/claim")
    clock.advance(5)
    _post(client, f"/{bakery}/calls", {"contact_id": "C2", "result": "no_answer"})
    _post(client, f"/{bakery}/calls", {"contact_id": "C1", "result": "reached", "word": "Brioche"})
    right = {"contact_id": "C1", "result": "reached", "word": "PAIN D EPICES", "note": "code OK"}
    _post(client, f"/{bakery}/calls", right)
    _post(client, f"/{bakery}/dispatches", {"kind": "provider", "provider_id": "PRESTA-RHONE-SECU"})
    clock.advance(60)
    _post(client, f"/{bakery}/dispatches/1", {"stage": "on_site"})
    _post(client, f"/{bakery}/dispatches", {"kind": "police"})
    _post(client, f"/{bakery}/steps/1", {"status": "done", "note": "vu sur caméra 2"})
    return bakery


def test_the_bundle_shows_the_levee_de_doute_and_the_hashes(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    bakery = _worked_burglary(pipe, client, clock)
    incident = pipe.queue.get(bakery)
    site = pipe.register.site("BOUL-MARTIN")
    assert incident is not None and site is not None
    entries = pipe.logbook.search(incident_id=bakery, limit=1000)
    assert entries
    pdf = evidence_pdf(
        incident,
        site,
        entries,
        station="Station Lyon",
        generated_at=clock.now(),
        generated_by="chef",
        system_fonts=False,
        compress=False,
    )
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Station Lyon - Dossier de preuves - incident n° " + str(bakery) in text
    assert site.name in text and site.city in text
    assert "Levée de doute (CSI L613-6)" in text
    assert "Levée de doute établie : vidéo vue, appel concluant, agent sur place." in text
    assert "Vidéo vue : le " in text and "par alice - vu sur caméra 2" in text
    assert "Sophie Martin (+33 6 55 44 33 22) - pas de réponse" in text
    assert "joint - mot de passe erroné" in text
    assert "joint - mot de passe correct - par alice - code OK" in text
    assert "Agent sur place : Rhône Sécurité Intervention" in text
    assert "Police / gendarmerie" in text
    assert NO_IMAGE in text
    for entry in entries:
        assert f"hash {entry.hash}" in text
        assert f"Main courante n° {entry.id} " in text
    for word in WORDS:
        assert word.casefold() not in text.casefold(), word


def test_a_hold_up_says_a_person_raised_it(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    pipe.send(pipe.frame("1003", "#1003|Nri1/HA5", key=example_keys()["1003"]))
    pipe.process()
    (bank,) = pipe.queue.waiting()
    pdf = evidence_pdf(
        bank,
        None,
        [],
        station="Vigie",
        generated_at=clock.now(),
        generated_by="chef",
        system_fonts=False,
        compress=False,
    )
    text = _pdf_text(pdf)
    assert "Alarme déclenchée par une personne" in text
    assert "Levée de doute non établie" not in text
    assert "Appels : aucun." in text and "Aucune entrée de main courante." in text


def test_the_export_route_serves_the_pdf_and_logs_who_exported_it(
    pipe: Pipeline, client: TestClient, clock: FakeClock
) -> None:
    bakery = _worked_burglary(pipe, client, clock)
    before = pipe.logbook.search(incident_id=bakery, limit=1000)
    answer = client.get(f"{API}/{bakery}/evidence.pdf", headers=ALICE)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert f"preuves_incident_{bakery}.pdf" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"%PDF")
    after = pipe.logbook.search(incident_id=bakery, limit=1000)
    assert len(after) == len(before) + 1
    logged = after[-1]
    assert (logged.author, logged.role, logged.card_number) == ("alice", "operator", "CAR-A")
    assert "Dossier de preuves" in logged.text and "alice" in logged.text
    assert logged.at == clock.now() and logged.site_id == "BOUL-MARTIN"
    assert logged.data["sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert logged.data["entries"] == len(before)

    assert client.get(f"{API}/999/evidence.pdf").status_code == 404
    page = client.get(f"/console/incidents/{bakery}")
    assert page.status_code == 200
    assert f'id="evidence" href="/api/v1/incidents/{bakery}/evidence.pdf"' in page.text
    assert 'id="shortcuts"' in page.text
