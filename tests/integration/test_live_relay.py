"""Scale-out live view: two ``vigie serve`` stations on loopback share one PostgreSQL.

Node A runs the video (it holds the lease of the one camera, a synthetic MJPEG camera with a
privacy mask over its left half); node B runs none (``VIGIE_VIDEO=false``), as a web-only
node. The operator signs in on B, as a browser would, and asks B for the camera's snapshot
and live stream: B relays them from A, masks burned in, and the viewing is logged once.
A refuses a forged, expired or misdirected relay token; when A's HTTP API is gone, or when
nobody holds the camera any more, B answers a 503 saying why, within seconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
import uvicorn
from cryptography.fernet import Fernet

from tests.support.auth import sign_in
from tests.support.pipeline import import_example_register
from tests.support.station import free_port
from vigie.adapters.clock import SystemClock
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.video.synthetic.mjpeg import MjpegCamera
from vigie.adapters.video.synthetic.scene import Scene
from vigie.bootstrap import Station, build_authenticator, build_station, start_station, stop_station
from vigie.bootstrap_video import build_cameras
from vigie.config import load_settings
from vigie.domain.logbook import LogEntry, LogKind
from vigie.domain.users import Role, User
from vigie.domain.video import Camera, StreamKind
from vigie.entrypoints.web.relay_token import RELAY_HEADER, relay_key, sign_relay_token
from vigie.services.auth import Argon2Hasher
from vigie.services.logbook import Logbook

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

CAMERA = "CAM-RELAIS-1"
SECRET = Fernet.generate_key().decode()  # VIGIE_SECRET_KEY, the same on every node
PASSWORD = "un mot de passe solide"
LEFT_HALF = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))


@dataclass
class Node:
    name: str
    station: Station
    loop: asyncio.AbstractEventLoop
    server: uvicorn.Server
    serving: Any  # the concurrent future of ``server.serve()``
    port: int
    stopped: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, coroutine: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=timeout)

    def stop_http(self) -> None:
        """The API goes away; the station (and its leases) keeps running."""
        self.server.should_exit = True
        self.serving.result(timeout=15)

    def stop(self) -> None:
        """The whole station stops (its camera leases given back)."""
        if not self.serving.done():
            self.stop_http()
        if not self.stopped:
            self.stopped = True
            self.run(stop_station(self.station))


@contextmanager
def node(db_url: str, root: Path, name: str, *, video: bool) -> Iterator[Node]:
    port = free_port()
    settings = load_settings(
        database_url=db_url, host="127.0.0.1", dc09_port=0, http_port=port, video=video,
        video_root=root / name / "video", secret_key=SECRET, processor=False,
        listener_name=name, video_min_free="0%",
    )  # fmt: skip
    assert settings.advertised_url() == f"http://127.0.0.1:{port}"  # derived, not given
    station = build_station(settings, hasher=Argon2Hasher.cheap())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=f"{name}-loop", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start_station(station), loop).result(timeout=30)
    server = uvicorn.Server(
        uvicorn.Config(
            station.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    serving = asyncio.run_coroutine_threadsafe(server.serve(), loop)
    running = Node(name, station, loop, server, serving, port)
    try:
        _wait(f"{name} serving", lambda: server.started, 15)
        yield running
    finally:
        running.stop()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def _wait(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def _image(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None, data[:64]
    return image


def _masked(image: np.ndarray) -> None:
    """The privacy mask (left half) is burned in; the right half shows the scene."""
    width = image.shape[1]
    assert float(image[:, : int(width * 0.45)].max()) < 40, "masked half not black"
    assert float(image[:, int(width * 0.55) :].std()) > 5, "nothing shown on the right"


def _jpegs(stream: httpx.Response, count: int, timeout: float) -> list[bytes]:
    """The first ``count`` JPEG parts of a multipart/x-mixed-replace body."""
    boundary = stream.headers["content-type"].split("boundary=")[1].encode()
    buffer, found = b"", []
    deadline = time.monotonic() + timeout
    for chunk in stream.iter_raw():
        buffer += chunk
        while True:
            start = buffer.find(b"--" + boundary + b"\r\n")
            head_end = buffer.find(b"\r\n\r\n", start)
            if start < 0 or head_end < 0:
                break
            head = buffer[start:head_end].decode("latin-1")
            length = int(head.lower().split("content-length:")[1].split("\r\n")[0])
            if len(buffer) < head_end + 4 + length:
                break
            found.append(buffer[head_end + 4 : head_end + 4 + length])
            buffer = buffer[head_end + 4 + length :]
        if len(found) >= count or time.monotonic() > deadline:
            break
    assert len(found) >= count, f"{len(found)} JPEGs in {timeout} s"
    return found[:count]


def _views(entries: list[LogEntry], action: str, event: str | None = None) -> list[LogEntry]:
    return [
        e
        for e in entries
        if e.data.get("camera") == CAMERA
        and e.data.get("action") == action
        and (event is None or e.data.get("event") == event)
    ]


def _token(camera: str = CAMERA, *, key: str = SECRET, ago: float = 0.0) -> str:
    return sign_relay_token(
        relay_key(key.encode()), user="alice", role=Role.OPERATOR, card="CAR-069-1",
        camera_id=camera, now=datetime.now(UTC) - timedelta(seconds=ago),
    )  # fmt: skip


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path) -> Iterator[tuple[Node, Node, Logbook]]:
    engine = make_engine(pg_url)
    import_example_register(engine)
    clock = SystemClock()
    logbook = Logbook(SqlLogbook(engine), clock)
    auth = build_authenticator(engine, clock, logbook, Argon2Hasher.cheap())
    operator = User("alice", Role.OPERATOR, "CAR-069-1", date(2031, 1, 1), language="fr")
    auth.add_user(operator, PASSWORD)
    with MjpegCamera(Scene(width=320, height=180, fps=10, people=2, seed=3)) as synthetic:
        store = build_cameras(load_settings(database_url=pg_url, secret_key=SECRET), engine)
        store.save(
            Camera(
                CAMERA, "PHARMA-CENTRE", "Relais officine", kind=StreamKind.MJPEG,
                main_url=synthetic.url, analysis_fps=2.0, privacy_masks=(LEFT_HALF,),
            )
        )  # fmt: skip
        with node(pg_url, tmp_path, "node-a", video=True) as a:
            supervisor = a.station.video.supervisor if a.station.video else None
            assert supervisor is not None
            _wait("node A runs the camera", lambda: supervisor.latest_jpeg(CAMERA), 30)
            with node(pg_url, tmp_path, "node-b", video=False) as b:
                yield a, b, logbook
    engine.dispose()


def test_a_node_that_does_not_run_the_camera_relays_it_from_the_holder(
    cluster: tuple[Node, Node, Logbook],
) -> None:
    a, b, logbook = cluster
    with httpx.Client(base_url=b.url, timeout=10) as browser:
        sign_in(browser, "alice", PASSWORD)
        shot = browser.get(f"/console/video/{CAMERA}/snapshot.jpg?download=1")
        assert shot.status_code == 200, shot.text
        assert shot.headers["content-type"] == "image/jpeg"
        assert "attachment" in shot.headers["content-disposition"]
        _masked(_image(shot.content))

        with browser.stream("GET", f"/console/video/{CAMERA}/live.mjpg?from=camera") as live:
            assert live.status_code == 200
            assert live.headers["content-type"].startswith("multipart/x-mixed-replace")
            frames = _jpegs(live, 3, timeout=20)
            relaying = len(a.server.server_state.connections)  # B's pooled one and the stream
        # the browser left: B closes its stream from A (A's connection goes away)
        _wait("A's stream closed", lambda: len(a.server.server_state.connections) < relaying, 10)
        for frame in frames:
            _masked(_image(frame))

    def logged() -> list[LogEntry]:
        return logbook.search(kind=LogKind.VIDEO, limit=200)

    _wait("the end of the viewing logged", lambda: _views(logged(), "live", "end"), 10)
    entries = logged()
    assert len(_views(entries, "snapshot")) == 1  # by B, the node the user talks to
    (start,) = _views(entries, "live", "start")  # once, not again by A
    assert start.author == "alice"
    assert len(_views(entries, "live", "end")) == 1


def test_the_holder_accepts_only_a_valid_token_and_a_relay_is_never_relayed_again(
    cluster: tuple[Node, Node, Logbook],
) -> None:
    a, b, logbook = cluster
    before = len(logbook.search(kind=LogKind.VIDEO, limit=200))
    snapshot, live = f"{a.url}/console/video/{CAMERA}/snapshot.jpg", "live.mjpg"
    refused = {
        "signature": _token(key=Fernet.generate_key().decode()),  # another station's key
        "expired": _token(ago=60),
        "another camera": _token("CAM-PHARMA-1"),
        "malformed": "v1.forged.token",
    }
    for reason, token in refused.items():
        for url in (snapshot, f"{a.url}/console/video/{CAMERA}/{live}"):
            answer = httpx.get(url, headers={RELAY_HEADER: token}, timeout=10)
            assert answer.status_code == 403, (reason, answer.text)
            assert reason in answer.json()["detail"]
    assert httpx.get(snapshot, timeout=10).status_code == 401  # no token, no session
    good = httpx.get(snapshot, headers={RELAY_HEADER: _token()}, timeout=10)
    assert good.status_code == 200 and good.headers["content-type"] == "image/jpeg"
    _masked(_image(good.content))
    assert len(logbook.search(kind=LogKind.VIDEO, limit=200)) == before  # holder logs nothing

    # B does not run the camera: a relayed request reaching it is not relayed on (no loop)
    moved = httpx.get(
        f"{b.url}/console/video/{CAMERA}/snapshot.jpg",
        headers={RELAY_HEADER: _token(), "Accept": "application/json"},
        timeout=10,
    )
    assert moved.status_code == 503
    assert moved.json()["reason"] == "moved"


def test_holder_gone_is_a_503_with_the_reason_never_a_hang(
    cluster: tuple[Node, Node, Logbook],
) -> None:
    a, b, _ = cluster
    with httpx.Client(base_url=b.url, timeout=20) as browser:
        sign_in(browser, "alice", PASSWORD)
        a.stop_http()  # A still renews its leases, but its API does not answer
        began = time.monotonic()
        for what in ("snapshot.jpg", "live.mjpg"):
            answer = browser.get(
                f"/console/video/{CAMERA}/{what}", headers={"Accept": "application/json"}
            )
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"]
            body = answer.json()
            assert body["reason"] == "unreachable"
            assert "node-a" in body["detail"] and "ne répond pas" in body["detail"]
        assert time.monotonic() - began < 10
        tile = browser.get(f"/console/video/{CAMERA}/snapshot.jpg", params={"lang": "en"})
        assert tile.status_code == 503 and tile.headers["content-type"] == "image/svg+xml"
        assert "camera unavailable" in tile.text and "process unreachable" in tile.text

        a.stop()  # A stops: its leases are given back
        answer = browser.get(
            f"/console/video/{CAMERA}/snapshot.jpg", headers={"Accept": "application/json"}
        )
        assert answer.status_code == 503
        assert answer.json()["reason"] == "no_holder"
        assert "Aucun processus ne fait tourner la caméra" in answer.json()["detail"]
