"""The law's video records in the console: the extraction register and legal holds.

FastAPI's TestClient over the SQLite pipeline (real main courante, users and sessions),
real camera, segment, extraction and hold stores, real H.264 segments cut by the real
clip cutter; users sign in through the real form.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from tests.integration.test_video_export_real import _segment
from tests.support.auth import sign_in
from tests.support.pipeline import Pipeline, authenticator
from vigie.adapters.db.camera_store import CameraStore, SegmentStore
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.media_store import ExtractionStore, HoldStore
from vigie.domain.logbook import LogKind
from vigie.domain.users import Role, User
from vigie.domain.video import Camera, Segment
from vigie.entrypoints.web import api_cameras
from vigie.entrypoints.web.console_video_law import law_router
from vigie.services.credential_box import CredentialBox
from vigie.services.video_export import VideoExports
from vigie.services.video_retention import LegalHolds

clips = pytest.importorskip("vigie.adapters.video.clips")

PASSWORD = "un mot de passe solide"
VALID, EXPIRED = date(2031, 1, 1), date(2020, 1, 1)
USERS = [
    User("alice", Role.OPERATOR, "CAR-069-2031-01-01-20190000001", VALID, language="fr"),
    User("bob", Role.OPERATOR, "CAR-069-2020-01-01-20190000002", EXPIRED, language="fr"),
    User("chef", Role.SUPERVISOR, "CAR-069-2031-01-01-20190000003", VALID, language="fr"),
]
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 13:00 in Paris
EXPORT = {
    "camera": "CAM-1",
    "start": "2026-11-28T13:00:01",  # Paris time, as datetime-local sends it
    "end": "2026-11-28T13:00:05",
    "recipient": "OPJ, commissariat de Lyon 3e",
    "requisition": "RQ-2026-0042",
    "reason": "Vol à l'étalage",
}
HOLD = {
    "camera": "CAM-1",
    "start": "2026-11-28T12:00",
    "end": "2026-11-28T14:00",
    "reference": "PV 2026/1234",
    "reason": "Enquête préliminaire",
}


@dataclass
class Law:
    app: Any
    pipe: Pipeline
    exports: VideoExports

    def client(self, name: str) -> TestClient:
        client = TestClient(self.app)
        sign_in(client, name, PASSWORD)
        return client

    def texts(self) -> list[str]:
        return [e.text for e in self.pipe.logbook.search(kind=LogKind.VIDEO, limit=100)]


@pytest.fixture
def law(pipe: Pipeline, tmp_path: Path) -> Law:
    cameras = CameraStore(pipe.engine, CredentialBox(Fernet.generate_key()))
    for camera_id, name in (("CAM-1", "Pharmacie — entrée"), ("CAM-2", "Banque — hall")):
        cameras.save(Camera(camera_id, "PHARMA-CENTRE", name, main_url="rtsp://127.0.0.1/x"))
    segments = SegmentStore(pipe.engine)
    for n in range(3):  # three real 2-second H.264 segments, back to back
        path = tmp_path / f"seg{n}.mp4"
        _segment(path, 2, 40 * n)
        start = T0 + timedelta(seconds=2 * n)
        segments.add(Segment("CAM-1", start, start + timedelta(seconds=2), str(path), 0))
    store = SqlLogbook(pipe.engine)
    exports = VideoExports(
        cameras, segments, ExtractionStore(pipe.engine, store), pipe.logbook,
        tmp_path / "exports", clips.extract_clip,
    )  # fmt: skip
    holds = LegalHolds(HoldStore(pipe.engine, store), pipe.logbook)
    app = pipe.app(auth=authenticator(pipe, USERS, PASSWORD))
    app.include_router(api_cameras.make_router(cameras, exports, holds))
    app.include_router(law_router(exports, holds, cameras))
    return Law(app, pipe, exports)


def _row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}".*?</tr>', html, re.S)
    assert found is not None, row_id
    return found.group(0)


def _flash(html: str) -> str:
    found = re.search(r'<div id="flash"[^>]*>(.*?)</div>', html, re.S)
    assert found is not None
    return found.group(1)


def test_an_export_from_the_form_is_in_the_register_with_the_file_s_sha256(law: Law) -> None:
    alice = law.client("alice")
    empty = alice.get("/console/video/extractions")
    assert empty.status_code == 200 and 'id="no-extractions"' in empty.text
    assert 'href="/console/video/extractions"' in empty.text  # in the video nav

    page = alice.post("/console/video/extractions", data=EXPORT)
    assert page.status_code == 200, page.text
    row = _row(page.text, "extraction-1")
    shown = re.search(r'data-sha256="([0-9a-f]{64})"', row)
    assert shown is not None
    assert f"Extraction n° 1 enregistrée, SHA-256 {shown.group(1)}" in page.text
    for seen in ("28/11/2026 13:00:00", "alice (operator", "OPJ, commissariat de Lyon 3e",
                 "RQ-2026-0042", "Vol à l&#39;étalage", "Pharmacie — entrée (CAM-1)"):  # fmt: skip
        assert seen in row, seen
    (stored,) = law.exports.latest()
    assert hashlib.sha256(Path(stored.path).read_bytes()).hexdigest() == shown.group(1)
    link = re.search(r'href="(/api/v1/video/extractions/1/file)"', row)
    assert link is not None
    download = alice.get(link.group(1))
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == shown.group(1)

    texts = law.texts()
    (logged,) = [t for t in texts if t.startswith("Extraction vidéo n° 1 : ")]
    assert "caméra Pharmacie — entrée (CAM-1)" in logged and "réquisition RQ-2026-0042" in logged
    assert shown.group(1) in logged
    assert any(t.startswith("Téléchargement de l'extraction vidéo n° 1") for t in texts)

    def rows(query: str) -> list[str]:
        answer = alice.get(f"/console/video/extractions?{query}")
        assert answer.status_code == 200, answer.text
        return re.findall(r'data-extraction="(\d+)"', answer.text)

    assert rows("camera=CAM-1&from=2026-11-28&to=2026-11-28") == ["1"]
    assert rows("camera=CAM-2") == []
    assert rows("from=2026-11-29") == []
    assert rows("to=2026-11-27") == []

    english = alice.get("/console/video/extractions?lang=en").text
    assert "Video extraction register" in english and "Legal holds" in english


def test_bad_export_input_names_the_field(law: Law) -> None:
    alice = law.client("alice")
    bad_time = alice.post("/console/video/extractions", data=EXPORT | {"start": "28/11/2026"})
    assert bad_time.status_code == 422
    assert "Extraction refusée : champ « start »" in _flash(bad_time.text)
    assert 'value="OPJ, commissariat de Lyon 3e"' in bad_time.text  # nothing typed is lost
    no_reason = alice.post("/console/video/extractions", data=EXPORT | {"reason": " "})
    assert no_reason.status_code == 422 and "champ « reason »" in _flash(no_reason.text)
    backwards = alice.post("/console/video/extractions", data=EXPORT | {"end": EXPORT["start"]})
    assert backwards.status_code == 422 and "champ « end »" in _flash(backwards.text)
    unknown = alice.post("/console/video/extractions", data=EXPORT | {"camera": "CAM-X"})
    assert unknown.status_code == 422 and "champ « camera »" in _flash(unknown.text)
    nothing = alice.post(
        "/console/video/extractions",
        data=EXPORT | {"start": "2026-11-28T15:00", "end": "2026-11-28T15:10"},
    )
    assert nothing.status_code == 409 and "aucun enregistrement de CAM-1" in _flash(nothing.text)
    bad_day = alice.get("/console/video/extractions?from=2026-13-45")
    assert bad_day.status_code == 422 and "champ « from »" in _flash(bad_day.text)
    assert law.exports.latest() == []
    assert not any(t.startswith("Extraction vidéo") for t in law.texts())


def test_an_operator_without_a_valid_card_may_not_export(law: Law) -> None:
    bob = law.client("bob")
    page = bob.get("/console/video/extractions")
    assert page.status_code == 200 and 'id="export-forbidden"' in page.text
    assert 'id="export-new"' not in page.text
    refused = bob.post("/console/video/extractions", data=EXPORT)
    assert refused.status_code == 403
    assert "carte professionnelle expirée" in refused.text
    assert law.exports.latest() == []


def test_a_hold_is_placed_listed_and_released_by_a_supervisor(law: Law) -> None:
    alice, chef = law.client("alice"), law.client("chef")
    refused = alice.post("/console/video/holds", data=HOLD)
    assert refused.status_code == 403 and "droit requis : supervise" in refused.text
    assert 'id="hold-new"' not in alice.get("/console/video/holds").text

    bad = chef.post("/console/video/holds", data=HOLD | {"end": "demain"})
    assert bad.status_code == 422 and "Gel refusé : champ « end »" in _flash(bad.text)
    no_reference = chef.post("/console/video/holds", data=HOLD | {"reference": ""})
    assert no_reference.status_code == 422 and "champ « reference »" in _flash(no_reference.text)

    page = chef.post("/console/video/holds", data=HOLD)
    assert page.status_code == 200, page.text
    active = _row(page.text, "hold-1")
    assert 'data-active="true"' in active
    for seen in ("PV 2026/1234", "Enquête préliminaire", "28/11/2026 12:00:00",
                 "28/11/2026 14:00:00", "chef, 28/11/2026 13:00:00"):  # fmt: skip
        assert seen in active, seen
    assert 'id="no-released-holds"' in page.text
    seen_by_alice = alice.get("/console/video/holds").text
    assert 'data-hold="1" data-active="true"' in seen_by_alice
    assert 'id="release-1"' not in seen_by_alice  # only supervisors release

    assert alice.post("/console/video/holds/1/release", data={"note": "x"}).status_code == 403
    no_note = chef.post("/console/video/holds/1/release", data={"note": " "})
    assert no_note.status_code == 422 and "champ « note »" in _flash(no_note.text)
    law.pipe.clock.advance(3600)  # type: ignore[attr-defined]
    released = chef.post("/console/video/holds/1/release", data={"note": "classement"})
    assert released.status_code == 200
    row = _row(released.text, "hold-1")
    assert 'data-active="false"' in row and "chef, 28/11/2026 14:00:00" in row
    assert 'id="no-active-holds"' in released.text
    again = chef.post("/console/video/holds/1/release", data={"note": "encore"})
    assert again.status_code == 409 and "déjà levé" in _flash(again.text)

    texts = law.texts()
    assert (
        "Gel judiciaire des enregistrements de la caméra CAM-1 du 28/11/2026 12:00 au "
        "28/11/2026 14:00 (réf. PV 2026/1234). Motif : Enquête préliminaire" in texts
    )
    assert "Levée du gel judiciaire n° 1 (caméra CAM-1, réf. PV 2026/1234) : classement" in texts
