"""The operator's video pages (issue 5 §5-6): wall, camera live, PTZ, media, incident pane.

FastAPI's TestClient over the SQLite pipeline (real main courante, register and queue),
with fakes of the video ports; users sign in through the real form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_video_pages_fakes import (
    FakeCameras,
    FakeMedia,
    FakePtz,
    FakeSupervisor,
    cameras,
    clip_media,
    make_mp4,
)
from tests.support.auth import sign_in
from tests.support.pipeline import Pipeline, authenticator
from vigie.domain.logbook import LogEntry, LogKind
from vigie.domain.users import Role, User
from vigie.domain.video import Camera, CameraHealth, VideoCode
from vigie.entrypoints.web import console, i18n
from vigie.entrypoints.web.console_video import video_router
from vigie.entrypoints.web.console_video_pane import video_pane_context
from vigie.entrypoints.web.security import CONTENT_SECURITY_POLICY

PASSWORD = "un mot de passe solide"
VALID = date(2031, 1, 1)
USERS = [
    User("alice", Role.OPERATOR, "CAR-069-2031-01-01-20190000001", VALID, language="fr"),
    User("chef", Role.SUPERVISOR, "CAR-069-2031-01-01-20190000003", VALID, language="fr"),
    User("client", Role.CUSTOMER, "", date.min),
]


@dataclass
class Video:
    app: Any
    pipe: Pipeline
    supervisor: FakeSupervisor
    ptz: FakePtz
    incident: int
    clip: Path

    def client(self, name: str = "alice") -> TestClient:
        client = TestClient(self.app)
        sign_in(client, name, PASSWORD)
        return client

    def entries(self) -> list[LogEntry]:
        return self.pipe.logbook.search(kind=LogKind.VIDEO, limit=1000)


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("clips") / "clip.mp4", seconds=2.0)


@pytest.fixture
def video(pipe: Pipeline, clip_file: Path) -> Video:
    pipe.send(pipe.frame("1002", "#1002|Nri1/BA2"))
    pipe.process()
    (incident,) = [i for i in pipe.queue.waiting() if i.site_id == "PHARMA-CENTRE"]
    assert incident.id is not None
    every = cameras()
    supervisor = FakeSupervisor(every)
    ptz = FakePtz()

    def ptz_of(camera: Camera) -> FakePtz:
        return ptz

    app = pipe.app(auth=authenticator(pipe, USERS, PASSWORD))
    media = FakeMedia([clip_media(clip_file, incident.id)])
    app.include_router(video_router(supervisor, FakeCameras(every), media=media, ptz=ptz_of))
    return Video(app, pipe, supervisor, ptz, incident.id, clip_file)


def _page_rules(answer: Any) -> str:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html: str = answer.text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(re.search(r'\bsrc="/static/', s) for s in scripts), scripts
    assert " style=" not in html
    return html


def _tile(html: str, camera_id: str) -> str:
    found = re.search(rf'<li class="tile" data-camera="{camera_id}".*?</li>', html, re.S)
    assert found is not None, camera_id
    return found.group(0)


def test_the_wall_lists_every_camera_with_its_health(video: Video) -> None:
    video.supervisor.states["CAM-PHARMA-2"] = (CameraHealth.FAULT, frozenset({VideoCode.FROZEN}))
    video.supervisor.states["CAM-BANQUE-1"] = (CameraHealth.RECONNECTING, frozenset())
    video.supervisor.states["CAM-BANQUE-2"] = (
        CameraHealth.FAULT, frozenset({VideoCode.BLUR, VideoCode.VIDEO_LOSS}),
    )  # fmt: skip
    html = _page_rules(video.client().get("/console/video"))
    expected = {
        "CAM-PHARMA-1": ("ok", "OK"),
        "CAM-PHARMA-2": ("fault", "image figée"),
        "CAM-PHARMA-3": ("ok", "OK"),
        "CAM-BANQUE-1": ("warn", "reconnexion"),
        "CAM-BANQUE-2": ("fault", "perte vidéo, floue"),
        "CAM-DUPONT-1": ("off", "désactivée"),
    }
    for camera in cameras():
        tile = _tile(html, camera.id)
        css, label = expected[camera.id]
        assert camera.name in tile
        assert f'<span class="health {css}" data-health-label>{label}</span>' in tile
        assert f'src="/console/video/{camera.id}/snapshot.jpg"' in tile
    assert "Pharmacie du Centre" in _tile(html, "CAM-PHARMA-1")
    (entry,) = [e for e in video.entries() if e.text.startswith("Mur d'images consulté")]
    assert entry.author == "alice" and entry.role == "operator" and "CAM-BANQUE-2" in entry.text


def test_the_wall_pages_by_grid_and_filters_by_site(video: Video) -> None:
    client = video.client()
    html = _page_rules(client.get("/console/video?grid=2"))
    assert html.count('<li class="tile"') == 4 and 'id="wall-pages"' in html
    second = client.get("/console/video?grid=2&page=2").text
    assert second.count('<li class="tile"') == 2 and "CAM-DUPONT-1" in second
    banque = client.get("/console/video?site=BANQUE-PARTDIEU").text
    assert re.findall(r'data-camera="([^"]+)" data-health', banque) == [
        "CAM-BANQUE-1",
        "CAM-BANQUE-2",
    ]


def test_health_is_polled_as_json_and_follows_the_supervisor(video: Video) -> None:
    client = video.client()
    url = "/console/video/health.json?ids=CAM-PHARMA-1,CAM-DUPONT-1&lang=fr"
    first = client.get(url).json()
    assert first["CAM-PHARMA-1"] == {"state": "ok", "css": "ok", "label": "OK"}
    assert first["CAM-DUPONT-1"]["label"] == "désactivée"
    video.supervisor.states["CAM-PHARMA-1"] = (CameraHealth.FAULT, frozenset({VideoCode.BLACK}))
    assert client.get(url).json()["CAM-PHARMA-1"]["label"] == "image noire"
    english = client.get(url.replace("lang=fr", "lang=en")).json()
    assert english["CAM-PHARMA-1"]["label"] == "black image"


def test_strangers_are_sent_to_sign_in_and_customers_refused(video: Video) -> None:
    anonymous = TestClient(video.app)
    page = anonymous.get("/console/video", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    for url in (
        "/console/video/CAM-PHARMA-1/live.mjpg",
        "/console/video/CAM-PHARMA-1/snapshot.jpg",
        "/console/video/health.json?ids=CAM-PHARMA-1",
        "/console/media/7",
    ):
        assert anonymous.get(url).status_code == 401, url
    customer = video.client("client")
    assert customer.get("/console/video").status_code == 403
    assert customer.get("/console/media/7").status_code == 403
    assert video.entries() == []


def test_the_live_view_streams_mjpeg_and_is_logged_once_with_its_end(video: Video) -> None:
    client = video.client()
    page = _page_rules(client.get("/console/video/CAM-PHARMA-1"))
    assert 'src="/console/video/CAM-PHARMA-1/live.mjpg?from=camera"' in page
    with client.stream("GET", "/console/video/CAM-PHARMA-1/live.mjpg?from=camera") as live:
        assert live.status_code == 200
        kind = live.headers["content-type"]
        assert kind.startswith("multipart/x-mixed-replace; boundary=")
        body = b"".join(live.iter_bytes())
    boundary = kind.split("boundary=")[1].encode()
    parts = [p for p in body.split(b"--" + boundary) if p.strip()]
    assert len(parts) == 3
    for part in parts:
        head, _, image = part.partition(b"\r\n\r\n")
        assert b"Content-Type: image/jpeg" in head and image.startswith(b"\xff\xd8")
    texts = [e.text for e in video.entries()]
    assert [t for t in texts if "direct" in t] == [
        "Visionnage en direct de Pharmacie — entrée (CAM-PHARMA-1) depuis camera",
        "Fin du visionnage en direct de Pharmacie — entrée (CAM-PHARMA-1) : 0 s",
    ]
    assert video.supervisor.streams_closed == 1


def test_a_snapshot_is_a_jpeg_and_taking_one_is_logged(video: Video) -> None:
    client = video.client()
    shown = client.get("/console/video/CAM-PHARMA-2/snapshot.jpg")
    assert shown.headers["content-type"] == "image/jpeg" and shown.content[:2] == b"\xff\xd8"
    assert video.entries() == []
    taken = client.get("/console/video/CAM-PHARMA-2/snapshot.jpg?download=1")
    assert "attachment" in taken.headers["content-disposition"]
    assert [e.text for e in video.entries()] == [
        "Capture d'image de Pharmacie — réserve (CAM-PHARMA-2)"
    ]
    pane = f"/console/video/CAM-PHARMA-1/snapshot.jpg?from=incident-{video.incident}"
    for _ in range(3):  # refreshed by video.js: one viewing
        assert client.get(f"{pane}&t=1").status_code == 200
    texts = [e.text for e in video.entries()]
    assert texts[1:] == [
        f"Visionnage de Pharmacie — entrée (CAM-PHARMA-1) depuis l'incident {video.incident}"
    ]
    assert video.entries()[1].incident_id == video.incident
    video.supervisor.images.pop("CAM-PHARMA-3")
    missing = client.get("/console/video/CAM-PHARMA-3/snapshot.jpg")
    assert missing.status_code == 200 and "pas d'image" in missing.text
    assert client.get("/console/video/NOPE/snapshot.jpg").status_code == 404


def test_the_clip_is_served_with_range_and_its_playback_logged(video: Video) -> None:
    client = video.client()
    whole = video.clip.read_bytes()
    first = client.get("/console/media/7", headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.headers["content-type"] == "video/mp4"
    assert first.headers["content-range"] == f"bytes 0-99/{len(whole)}"
    assert first.content == whole[:100]
    tail = client.get("/console/media/7", headers={"Range": f"bytes={len(whole) - 10}-"})
    assert tail.status_code == 206 and tail.content == whole[-10:]
    full = client.get("/console/media/7", headers={"Referer": "http://testserver/console/x"})
    assert full.status_code == 200 and full.content == whole
    (entry,) = video.entries()  # one viewing, however many pieces were read
    assert entry.text.startswith("Relecture séquence n°7 de la caméra CAM-PHARMA-1")
    assert entry.incident_id == video.incident and entry.author == "alice"
    assert client.get("/console/media/99").status_code == 404


def test_ptz_moves_through_a_post_with_csrf_and_is_logged(video: Video) -> None:
    client = video.client()
    page = _page_rules(client.get("/console/video/CAM-PHARMA-1"))
    assert 'id="ptz-pad"' in page and "Entrée" in page
    fetch = {"X-Requested-With": "fetch"}
    moved = client.post(
        "/console/video/CAM-PHARMA-1/ptz/move", data={"pan": "0.5", "tilt": "0"}, headers=fetch
    )
    assert moved.status_code == 200 and moved.json()["ok"] is True
    saved = client.post(
        "/console/video/CAM-PHARMA-1/ptz/save", data={"name": "Caisse"}, headers=fetch
    )
    assert saved.json()["token"] == "2"
    stopped = client.post("/console/video/CAM-PHARMA-1/ptz/stop", follow_redirects=False)
    assert stopped.status_code == 303
    assert video.ptz.calls == [("move", 0.5, 0.0, 0.0), ("save", "Caisse"), ("stop",)]
    texts = [e.text for e in video.entries()]
    assert texts == [
        "PTZ Pharmacie — entrée (CAM-PHARMA-1) : déplacement (pan +0.5, tilt +0.0, zoom +0.0)",
        "PTZ Pharmacie — entrée (CAM-PHARMA-1) : enregistrement de la position « Caisse »",
        "PTZ Pharmacie — entrée (CAM-PHARMA-1) : arrêt",
    ]
    client.headers.pop("X-CSRF-Token")
    forged = client.post("/console/video/CAM-PHARMA-1/ptz/stop")
    assert forged.status_code == 403 and len(video.ptz.calls) == 3
    no_head = video.client().get("/console/video/CAM-PHARMA-2")
    assert "pas de tourelle" in no_head.text
    refused = video.client().post("/console/video/CAM-PHARMA-2/ptz/stop")
    assert refused.status_code == 404


def test_the_incident_page_keeps_its_video_section(video: Video) -> None:
    html = _page_rules(video.client().get(f"/console/incidents/{video.incident}"))
    assert '<section id="video">' in html
    assert '<a href="/console/video/CAM-PHARMA-1">CAM-PHARMA-1</a>' in html


def test_the_incident_video_shows_its_cameras_and_plays_its_clip(video: Video) -> None:
    html = _page_rules(video.client().get(f"/console/incidents/{video.incident}/video"))
    assert re.findall(r'<li class="tile" data-camera="([^"]+)"', html) == [
        "CAM-PHARMA-1",
        "CAM-PHARMA-2",
    ]
    assert '<video controls preload="metadata" src="/console/media/7"></video>' in html
    assert video.client().get("/console/incidents/9999/video").status_code == 404


def test_the_pane_context_lists_cameras_and_media() -> None:
    every = cameras()
    context = video_pane_context(
        3,
        ["CAM-PHARMA-1", "CAM-GONE"],
        FakeMedia([]),
        FakeSupervisor(every),
        camera_store=FakeCameras(every),
        lang="en",
    )
    pane = context["video_pane"]
    assert [c["name"] for c in pane["cameras"]] == ["Pharmacie — entrée", "CAM-GONE"]
    assert pane["cameras"][0]["health"].label == "OK"
    assert pane["clips"] == [] and pane["words"]["no_media"].startswith("No clip")


def test_the_pane_renders_in_the_incident_template_as_the_console_will_wire_it(
    video: Video, clip_file: Path
) -> None:
    """What the lead's one line in console.py gives: ``context |= video_pane_context(...)``."""
    every = cameras()
    pane = video_pane_context(
        video.incident,
        ["CAM-PHARMA-1"],
        FakeMedia([clip_media(clip_file, video.incident)]),
        FakeSupervisor(every),
        camera_store=FakeCameras(every),
    )
    html = (
        console.templates()
        .get_template("console/_video_pane.html")
        .render(t=i18n.texts("fr"), cameras=["CAM-PHARMA-1"], **pane)
    )
    assert '<section id="video">' in html and "<h2>Vidéo</h2>" in html
    assert "Pharmacie — entrée — Voir en direct" in html
    assert (
        f'data-snapshot="/console/video/CAM-PHARMA-1/snapshot.jpg?from=incident-{video.incident}"'
        in html
    )
    assert '<video controls preload="metadata" src="/console/media/7"></video>' in html
    assert "CAM-PHARMA-1 — de 12:58:00 à 12:58:03" in html
    empty = video_pane_context(1, [], FakeMedia([]), None)
    html = (
        console.templates()
        .get_template("console/_video_pane.html")
        .render(t=i18n.texts("fr"), cameras=[], **empty)
    )
    assert "Aucune caméra" in html and "Aucune séquence enregistrée" in html


class _DeadHead(FakePtz):
    async def move(self, pan: float, tilt: float, zoom: float) -> None:
        raise ConnectionError("no route to host")

    async def presets(self) -> list[tuple[str, str]]:
        raise ConnectionError("no route to host")


def test_a_dead_ptz_head_is_said_and_the_pages_speak_english(pipe: Pipeline) -> None:
    every = cameras()
    app = pipe.app(auth=authenticator(pipe, USERS, PASSWORD))
    head = _DeadHead()
    app.include_router(
        video_router(FakeSupervisor(every), FakeCameras(every), ptz=lambda camera: head)
    )
    client = TestClient(app)
    sign_in(client, "alice", PASSWORD)
    page = client.get("/console/video/CAM-PHARMA-1")
    assert page.status_code == 200 and "La tourelle ne répond pas" in page.text
    moved = client.post("/console/video/CAM-PHARMA-1/ptz/move", data={"pan": "1"})
    assert moved.status_code == 502 and "no route to host" in moved.text
    assert pipe.logbook.search(kind=LogKind.VIDEO, text="PTZ") == []
    english = client.get("/console/video?lang=en").text
    assert "<h1>Video wall</h1>" in english and ">disabled</span>" in english
