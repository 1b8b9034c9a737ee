"""REST CRUD of the register and the import/export CLI, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.register_repository import SqlRegister
from vigie.adapters.db.transmitter_repository import SqlTransmitterRepository
from vigie.domain.transmitters import Transmitter
from vigie.entrypoints.cli import app as cli
from vigie.entrypoints.web.app import create_app
from vigie.services.secret_words import check_word, hash_word

EXAMPLES = Path(__file__).parents[2] / "examples"


class _NoSignals:
    def list(self, query: object) -> list[Any]:
        return []


@pytest.fixture
def store(sqlite_url: str) -> Iterator[SqlRegister]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield SqlRegister(engine)
    engine.dispose()


@pytest.fixture
def client(store: SqlRegister) -> TestClient:
    app = create_app(
        _NoSignals(), lambda: {"status": "ok"}, register=store, trust_identity_headers=True
    )
    app.state.word_hasher = lambda word: hash_word(word, cost=2**4)
    return TestClient(app, headers={"X-Vigie-User": "admin", "X-Vigie-Role": "admin"})


SITE: dict[str, Any] = {
    "id": "PHARMA-01",
    "customer_id": "CLI-1",
    "name": "Pharmacie de la Gare",
    "kind": "pharmacie",
    "partitions": [{"number": "1", "label": "Officine"}],
    "zones": [{"number": "1", "label": "Porte", "type": "entry_exit", "partition": "1"}],
    "contacts": [
        {
            "id": "K1",
            "name": "Claire",
            "call_order": 1,
            "phones": ["+33 6 00 00 00 01"],
            "secret_word": "Clé de sol",
        }
    ],
    "schedule": {"days": [{"weekdays": [0, 1, 2, 3, 4], "opens": "08:30", "closes": "19:30"}]},
    "supervision": {"category": "SP3", "grace_seconds": 60},
}


def test_crud_and_words_never_returned(client: TestClient, store: SqlRegister) -> None:
    assert (
        client.put("/api/v1/customers/CLI-1", json={"id": "CLI-1", "name": "Client"}).status_code
        == 200
    )
    reply = client.put("/api/v1/sites/PHARMA-01", json=SITE)
    assert reply.status_code == 200, reply.text
    body = client.get("/api/v1/sites/PHARMA-01").json()
    contact = body["contacts"][0]
    assert contact["has_secret_word"] is True and contact["has_duress_word"] is False
    assert "secret_word" not in contact and "secret_word_hash" not in contact
    assert "scrypt" not in client.get("/api/v1/sites").text
    # Sent again without the word: the stored hash is kept.
    unchanged = {
        **SITE,
        "contacts": [{k: v for k, v in SITE["contacts"][0].items() if k != "secret_word"}],
    }
    assert client.put("/api/v1/sites/PHARMA-01", json=unchanged).status_code == 200
    stored = store.site("PHARMA-01")
    assert stored is not None and stored.contacts[0].secret_word_hash is not None
    assert check_word(stored.contacts[0].secret_word_hash, "cle de sol")
    zones = [{"number": "2", "label": "Réserve", "partition": "1", "cameras": ["CAM-1"]}]
    assert (
        client.put("/api/v1/sites/PHARMA-01/zones", json=zones).json()["zones"][0]["number"] == "2"
    )
    assert client.delete("/api/v1/customers/CLI-1").status_code == 409
    assert client.delete("/api/v1/sites/PHARMA-01").status_code == 204
    assert client.get("/api/v1/sites/PHARMA-01").status_code == 404
    assert client.delete("/api/v1/customers/CLI-1").status_code == 204


def test_refusals_name_the_field(client: TestClient) -> None:
    missing = client.get("/api/v1/sites/NOPE")
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]
    reply = client.put("/api/v1/sites/PHARMA-01", json=SITE)  # its customer does not exist
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["field"] == "site.customer_id"
    client.put("/api/v1/customers/CLI-1", json={"id": "CLI-1", "name": "Client"})
    bad = {**SITE, "latitude": 120}
    reply = client.put("/api/v1/sites/PHARMA-01", json=bad)
    assert reply.status_code == 422 and reply.json()["detail"][0]["field"] == "latitude"
    reply = client.put("/api/v1/sites/OTHER", json=SITE)
    assert reply.status_code == 422 and reply.json()["detail"][0]["field"] == "id"
    reply = client.put("/api/v1/sites/PHARMA-01", json={**SITE, "zones": [{"label": "x"}]})
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"][-1] == "number"


def test_procedures_providers_and_links(client: TestClient, store: SqlRegister) -> None:
    client.put("/api/v1/customers/CLI-1", json={"id": "CLI-1", "name": "Client"})
    client.put("/api/v1/sites/PHARMA-01", json=SITE)
    template = {
        "id": "TPL-FIRE",
        "name": "Incendie",
        "kinds": ["fire"],
        "steps": [{"kind": "notify_fire"}],
    }
    assert client.put("/api/v1/procedures/TPL-FIRE", json=template).status_code == 200
    resolved = client.get("/api/v1/sites/PHARMA-01/procedure/fire").json()
    assert resolved["id"] == "TPL-FIRE"
    assert client.get("/api/v1/sites/PHARMA-01/procedure/holdup").status_code == 404
    provider = {"id": "G1", "name": "Gardes", "kind": "guard", "phones": ["+33 4"]}
    assert client.put("/api/v1/providers/G1", json=provider).status_code == 200
    assert [p["id"] for p in client.get("/api/v1/providers").json()] == ["G1"]
    SqlTransmitterRepository(store._engine).add(
        Transmitter("1002", key=b"k" * 16, key_notation="text")
    )
    linked = client.put("/api/v1/sites/PHARMA-01/transmitters/1002")
    assert linked.status_code == 200 and linked.json()["transmitters"] == ["1002"]
    listed = client.get("/api/v1/transmitters").json()
    assert listed[0]["key"] == "AES-128 (text)" and listed[0]["site_id"] == "PHARMA-01"
    assert client.put("/api/v1/sites/PHARMA-01/transmitters/4444").status_code == 404
    assert client.delete("/api/v1/sites/PHARMA-01/transmitters/1002").status_code == 204
    assert client.delete("/api/v1/sites/PHARMA-01/transmitters/1002").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/api/v1/sites/{site_id}"]["put"]["summary"].startswith("Créer")


def test_cli_import_export_and_bad_file(tmp_path: Path, sqlite_url: str) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["import", str(EXAMPLES / "register.json"), "--db", sqlite_url])
    assert ok.exit_code == 0, ok.output
    out = tmp_path / "export.json"
    done = runner.invoke(cli, ["export", "--db", sqlite_url, "-o", str(out)])
    assert (
        done.exit_code == 0 and '"key_hex": "00112233445566778899AABBCCDDEEFF"' in out.read_text()
    )
    bad = tmp_path / "contacts.csv"
    bad.write_text("site_id,id,name,call_order,phones\nBOUL-MARTIN,C9,Luc,first,+33 6\n")
    refused = runner.invoke(cli, ["import", str(bad), "--db", sqlite_url])
    assert refused.exit_code == 2
    assert f"{bad}:2: call_order: expected an integer" in refused.output
    again = runner.invoke(cli, ["export", "--db", sqlite_url, "--format", "contacts"])
    assert ",C9,Luc," not in again.output and "Clé de sol" not in again.output
