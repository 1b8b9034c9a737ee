"""The video routes of a node that does not run the camera (scale-out), with fakes of the
lease lookup and of the HTTP relay: every reason it cannot be had is a 503 saying it (French,
English), the request to the holder carries a token for this user and camera, a relayed
stream is handed on chunk by chunk and closed, and the viewing is logged once.
(The real thing, two stations on one PostgreSQL, is ``test_live_relay``.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.integration.test_video_pages_fakes import FakeCameras, FakeSupervisor, cameras, jpeg
from tests.support.auth import sign_in
from tests.support.pipeline import Pipeline, authenticator
from vigie.domain.logbook import LogKind
from vigie.domain.users import Role, User
from vigie.entrypoints.web.console_video import video_router
from vigie.entrypoints.web.console_video_relay import CameraRelay
from vigie.entrypoints.web.relay_token import RELAY_HEADER, relay_key, verify_relay_token
from vigie.services.camera_leasing import CameraHolder
from vigie.services.live_relay import RelayAnswer, RelayFailed

PASSWORD = "un mot de passe solide"
KEY = relay_key(b"shared secret")
HERE = "node-b-1"
REMOTE = "CAM-PHARMA-2"  # run by another process; the others run here
JSON = {"Accept": "application/json"}


class FakeHolders:
    def __init__(self) -> None:
        self.holder: CameraHolder | None = CameraHolder("node-a-7", "http://10.0.0.12:8000")

    def holder_of(self, camera_id: str, now: datetime) -> CameraHolder | None:
        return self.holder


@dataclass
class FakeStream:
    status: int = 200
    media_type: str = "multipart/x-mixed-replace; boundary=vigieframe"
    parts: list[bytes] = field(default_factory=list)
    closed: int = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part

    async def head_of_body(self, limit: int) -> bytes:
        return b"".join(self.parts)[:limit]

    async def aclose(self) -> None:
        self.closed += 1


class FakeClient:
    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, str]]] = []
        self.answer: RelayAnswer | RelayFailed = RelayAnswer(200, "image/jpeg", jpeg("A"))
        self.stream_answer = FakeStream(parts=[b"--vigieframe\r\n", b"one", b"two"])

    async def fetch(self, url: str, headers: Mapping[str, str]) -> RelayAnswer:
        self.asked.append((url, dict(headers)))
        if isinstance(self.answer, RelayFailed):
            raise self.answer
        return self.answer

    async def stream(self, url: str, headers: Mapping[str, str]) -> FakeStream:
        self.asked.append((url, dict(headers)))
        if isinstance(self.answer, RelayFailed):
            raise self.answer
        return self.stream_answer

    async def aclose(self) -> None:
        return None


@dataclass
class Node:
    pipe: Pipeline
    holders: FakeHolders
    client: FakeClient
    clock: FakeClock
    app: Any

    def browser(self) -> TestClient:
        client = TestClient(self.app)
        sign_in(client, "alice", PASSWORD)
        return client

    def views(self, action: str) -> list[Any]:
        entries = self.pipe.logbook.search(kind=LogKind.VIDEO, limit=100)
        return [e for e in entries if e.data.get("action") == action]


@pytest.fixture
def node(pipe: Pipeline, clock: FakeClock) -> Node:
    every = cameras()
    here = FakeSupervisor([c for c in every if c.id != REMOTE])
    users = [User("alice", Role.OPERATOR, "CAR-069-1", date(2031, 1, 1), language="fr")]
    app = pipe.app(auth=authenticator(pipe, users, PASSWORD))
    holders, client = FakeHolders(), FakeClient()
    relay = CameraRelay(holders, client, KEY, HERE, clock.now)
    app.include_router(video_router(here, FakeCameras(every), relay=relay))
    return Node(pipe, holders, client, clock, app)


def test_a_snapshot_is_fetched_from_the_holder_with_a_token_for_this_user(node: Node) -> None:
    answer = node.browser().get(f"/console/video/{REMOTE}/snapshot.jpg?download=1")
    assert answer.status_code == 200
    assert answer.content == jpeg("A") and answer.headers["content-type"] == "image/jpeg"
    ((url, headers),) = node.client.asked
    assert url == f"http://10.0.0.12:8000/console/video/{REMOTE}/snapshot.jpg?lang=fr"
    assert "cookie" not in {name.lower() for name in headers}  # the session stays here
    claim = verify_relay_token(KEY, headers[RELAY_HEADER], REMOTE, node.clock.now())
    assert (claim.user, claim.role, claim.camera_id) == ("alice", Role.OPERATOR, REMOTE)
    assert len(node.views("snapshot")) == 1


def test_a_camera_run_here_is_not_relayed(node: Node) -> None:
    answer = node.browser().get("/console/video/CAM-PHARMA-1/snapshot.jpg")
    assert answer.status_code == 200 and answer.content == jpeg("CAM-PHARMA-1")
    assert node.client.asked == []


def test_a_live_stream_is_handed_on_as_it_comes_and_closed(node: Node) -> None:
    with node.browser().stream("GET", f"/console/video/{REMOTE}/live.mjpg?from=wall") as live:
        assert live.status_code == 200
        assert live.headers["content-type"] == "multipart/x-mixed-replace; boundary=vigieframe"
        assert b"".join(live.iter_raw()) == b"--vigieframe\r\nonetwo"
    assert node.client.stream_answer.closed >= 1
    starts = [e for e in node.views("live") if e.data["event"] == "start"]
    ends = [e for e in node.views("live") if e.data["event"] == "end"]
    assert len(starts) == len(ends) == 1
    assert "depuis wall" in starts[0].text


@pytest.mark.parametrize(
    ("holder", "code", "french"),
    [
        (None, "no_holder", "Aucun processus ne fait tourner la caméra CAM-PHARMA-2"),
        (CameraHolder("node-a-7", ""), "no_address", "n'annonce pas d'adresse"),
        (CameraHolder(HERE, "http://10.0.0.13:8000"), "starting", "vient d'être attribuée"),
    ],
)
def test_why_the_camera_cannot_be_had_is_said(
    node: Node, holder: CameraHolder | None, code: str, french: str
) -> None:
    node.holders.holder = holder
    browser = node.browser()
    for what in ("snapshot.jpg", "live.mjpg"):
        answer = browser.get(f"/console/video/{REMOTE}/{what}", headers=JSON)
        assert answer.status_code == 503
        assert answer.json()["reason"] == code and french in answer.json()["detail"]
    assert node.client.asked == [] and node.views("live") == []


def test_an_unreachable_or_refusing_holder_is_a_503_with_its_reason(node: Node) -> None:
    browser = node.browser()
    node.client.answer = RelayFailed("cannot connect to http://10.0.0.12:8000: refused")
    answer = browser.get(f"/console/video/{REMOTE}/live.mjpg", headers=JSON)
    assert answer.status_code == 503 and answer.json()["reason"] == "unreachable"
    assert "node-a-7" in answer.json()["detail"] and "refused" in answer.json()["detail"]

    refusal = b'{"detail": "relais refus\xc3\xa9 : relay token expired"}'
    node.client.answer = RelayAnswer(403, "application/json", refusal)
    answer = browser.get(f"/console/video/{REMOTE}/snapshot.jpg", headers=JSON)
    assert answer.status_code == 503 and answer.json()["reason"] == "refused"
    assert "HTTP 403 — relais refusé : relay token expired" in answer.json()["detail"]

    node.client.answer = RelayAnswer(200, "application/json", b"")
    node.client.stream_answer = FakeStream(status=500, media_type="text/plain", parts=[b"x"])
    answer = browser.get(f"/console/video/{REMOTE}/live.mjpg", headers=JSON)
    assert answer.status_code == 503 and "HTTP 500" in answer.json()["detail"]
    assert node.client.stream_answer.closed == 1
    assert node.views("live") == [] and node.views("snapshot") == []


def test_the_reason_is_an_image_for_a_tile_in_the_users_language(node: Node) -> None:
    node.holders.holder = CameraHolder("<node>", "")
    answer = node.browser().get(f"/console/video/{REMOTE}/snapshot.jpg?lang=en")
    assert answer.status_code == 503 and answer.headers["content-type"] == "image/svg+xml"
    assert "camera unavailable" in answer.text and "process without address" in answer.text
    assert "&lt;node&gt;" in answer.text and "<node>" not in answer.text
    assert answer.headers["retry-after"] == "5"


def test_a_relay_token_is_refused_by_a_process_that_accepts_no_relay(pipe: Pipeline) -> None:
    every = cameras()
    app = pipe.app(auth=authenticator(pipe, [], PASSWORD))
    app.include_router(video_router(FakeSupervisor(every), FakeCameras(every)))
    answer = TestClient(app).get(
        "/console/video/CAM-PHARMA-1/snapshot.jpg", headers={RELAY_HEADER: "v1.a.b"}
    )
    assert answer.status_code == 403 and "relais non accepté" in answer.json()["detail"]
