"""The cameras and video API: credentials never come back, exports need a reason, roles."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.integration.test_camera_store import SECRET, T0, Station, build_station
from tests.integration.test_video_export import FakeCutter
from vigie.domain.logbook import LogKind
from vigie.entrypoints.web.api_cameras import make_router
from vigie.services.video_export import VideoExports
from vigie.services.video_retention import LegalHolds

ADMIN = {"X-Vigie-User": "alice", "X-Vigie-Role": "admin", "X-Vigie-Card": "CAR-1"}
OPERATOR = {"X-Vigie-User": "marie", "X-Vigie-Role": "operator", "X-Vigie-Card": "CAR-3"}
SUPERVISOR = {"X-Vigie-User": "paul", "X-Vigie-Role": "supervisor", "X-Vigie-Card": "CAR-2"}
AGENT = {"X-Vigie-User": "bob", "X-Vigie-Role": "agent"}

CAMERA: dict[str, Any] = {
    "id": "CAM-1",
    "site_id": "PHARMA-01",
    "name": "Entrée",
    "main_url": "rtsp://127.0.0.1:8554/main",
    "username": "viewer",
    "password": SECRET,
    "zones": [1],
    "retention_days": 15,
}


@pytest.fixture
def station(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    built = build_station(db_url, tmp_path, clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def client(station: Station) -> TestClient:
    exports = VideoExports(
        station.cameras,
        station.segments,
        station.extractions,
        station.logbook,
        station.root / "exports",
        FakeCutter(),
    )
    app = FastAPI()
    app.state.trust_identity_headers = True
    app.include_router(
        make_router(station.cameras, exports, LegalHolds(station.holds, station.logbook))
    )
    return TestClient(app)


def test_credentials_are_write_only(client: TestClient, station: Station) -> None:
    put = client.put("/api/v1/cameras/CAM-1", json=CAMERA, headers=ADMIN)
    assert put.status_code == 200, put.text
    listed = client.get("/api/v1/cameras", headers=OPERATOR)
    for body in (put.text, listed.text, client.get("/api/v1/cameras/CAM-1", headers=ADMIN).text):
        assert SECRET not in body and "viewer" not in body
    (shown,) = listed.json()
    assert shown["has_password"] is True and shown["has_username"] is True
    assert "password" not in shown and shown["zones"] == ["1"]

    changed = {k: v for k, v in CAMERA.items() if k not in ("username", "password")}
    changed["name"] = "Entrée principale"
    assert client.put("/api/v1/cameras/CAM-1", json=changed, headers=ADMIN).status_code == 200
    assert station.cameras.camera("CAM-1").password == SECRET  # omitted: kept
    changed["password"] = ""
    client.put("/api/v1/cameras/CAM-1", json=changed, headers=ADMIN)
    assert station.cameras.camera("CAM-1").password == ""  # "": cleared


def test_camera_writes_need_the_administrator(client: TestClient) -> None:
    assert client.put("/api/v1/cameras/CAM-1", json=CAMERA, headers=OPERATOR).status_code == 403
    assert client.get("/api/v1/cameras", headers=AGENT).status_code == 403
    assert client.delete("/api/v1/cameras/CAM-1", headers=ADMIN).status_code == 404


def test_bad_camera_is_refused_naming_the_field(client: TestClient) -> None:
    bad = dict(CAMERA, retention_days=45)
    answer = client.put("/api/v1/cameras/CAM-1", json=bad, headers=ADMIN)
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {"field": "retention_days", "message": "expected 1 to 30 days (CSI L252-5)"}
    ]


def _recorded(client: TestClient, station: Station) -> None:
    client.put("/api/v1/cameras/CAM-1", json=CAMERA, headers=ADMIN)
    for second in (0, 10, 20):
        station.record("CAM-1", T0 + timedelta(seconds=second))


def test_export_then_register_then_logged_download(client: TestClient, station: Station) -> None:
    _recorded(client, station)
    body = {
        "start": (T0 + timedelta(seconds=5)).isoformat(),
        "end": (T0 + timedelta(seconds=25)).isoformat(),
        "reason": "Agression sur le parking",
        "recipient": "OPJ, commissariat de Lyon 3e",
        "requisition": "PV 2026/88",
    }
    made = client.post("/api/v1/cameras/CAM-1/exports", json=body, headers=OPERATOR)
    assert made.status_code == 201, made.text
    done = made.json()
    assert done["requested_by"] == "marie" and done["card_number"] == "CAR-3"

    register = client.get("/api/v1/video/extractions", headers=OPERATOR).json()
    assert [e["id"] for e in register] == [done["id"]]
    assert client.get(f"/api/v1/video/extractions/{done['id']}", headers=OPERATOR).json()["intact"]
    file = client.get(f"/api/v1/video/extractions/{done['id']}/file", headers=SUPERVISOR)
    assert file.status_code == 200
    assert hashlib.sha256(file.content).hexdigest() == done["sha256"]
    actions = [e.data["action"] for e in station.logbook.search(kind=LogKind.VIDEO)]
    assert actions == ["video_export", "video_download"]


@pytest.mark.parametrize("missing", ["reason", "recipient"])
def test_export_without_reason_or_recipient_is_422(
    client: TestClient, station: Station, missing: str
) -> None:
    _recorded(client, station)
    body = {
        "start": T0.isoformat(),
        "end": (T0 + timedelta(seconds=20)).isoformat(),
        "reason": "vol",
        "recipient": "OPJ",
    }
    del body[missing]
    answer = client.post("/api/v1/cameras/CAM-1/exports", json=body, headers=OPERATOR)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == missing
    assert client.get("/api/v1/video/extractions", headers=OPERATOR).json() == []


def test_export_refusals(client: TestClient, station: Station) -> None:
    _recorded(client, station)
    body = {"start": T0.isoformat(), "end": (T0 + timedelta(seconds=9)).isoformat()}
    body |= {"reason": "vol", "recipient": "OPJ"}
    assert (
        client.post("/api/v1/cameras/NOPE/exports", json=body, headers=OPERATOR).status_code == 404
    )
    assert client.post("/api/v1/cameras/CAM-1/exports", json=body, headers=AGENT).status_code == 403
    later = dict(
        body, start=(T0 + timedelta(days=2)).isoformat(), end=(T0 + timedelta(days=3)).isoformat()
    )
    assert (
        client.post("/api/v1/cameras/CAM-1/exports", json=later, headers=OPERATOR).status_code
        == 409
    )


def test_holds_are_placed_and_released_by_a_supervisor(
    client: TestClient, station: Station
) -> None:
    _recorded(client, station)
    body = {
        "start": T0.isoformat(),
        "end": (T0 + timedelta(hours=1)).isoformat(),
        "reason": "Enquête préliminaire",
        "reference": "Réquisition 2026/5",
    }
    assert (
        client.post("/api/v1/cameras/CAM-1/holds", json=body, headers=OPERATOR).status_code == 403
    )
    placed = client.post("/api/v1/cameras/CAM-1/holds", json=body, headers=SUPERVISOR)
    assert placed.status_code == 201, placed.text
    assert len(client.get("/api/v1/cameras/CAM-1/holds", headers=OPERATOR).json()) == 1
    hold_id = placed.json()["id"]
    released = client.post(f"/api/v1/video/holds/{hold_id}/release", headers=SUPERVISOR)
    assert released.json()["active"] is False
    assert client.get("/api/v1/cameras/CAM-1/holds", headers=OPERATOR).json() == []
