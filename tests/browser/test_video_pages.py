"""The video pages in a real browser (Debian's Chromium, Playwright): the wall shows every
camera with its state and follows it live; a camera plays live (MJPEG); an incident's
clip plays in its video pane.

The app is served by uvicorn in a thread: the SQLite pipeline (real main courante,
queue, sign-in) with fakes of the video ports and a real H.264 MP4 (PyAV libx264).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.browser.conftest import CHROMIUM_ARGS, Problems, login, require_playwright
from tests.conftest import FakeClock
from tests.integration.test_video_pages import PASSWORD, USERS
from tests.integration.test_video_pages_fakes import (
    FakeCameras,
    FakeMedia,
    FakePtz,
    FakeSupervisor,
    cameras,
    clip_media,
    make_mp4,
)
from tests.support.pipeline import Pipeline, authenticator, register_pipeline
from tests.support.station import free_port
from vigie.domain.logbook import LogKind
from vigie.domain.video import Camera, CameraHealth, VideoCode
from vigie.entrypoints.web.console_video import video_router

require_playwright()
from playwright.sync_api import Browser, Page, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]
assert "--headless" in CHROMIUM_ARGS


@dataclass
class VideoStation:
    url: str
    pipe: Pipeline
    supervisor: FakeSupervisor
    incident: int


def _prepare(tmp_path: Path) -> tuple[Pipeline, int, Path]:
    """Blocking set-up (it runs ``asyncio.run``): kept off Playwright's thread."""
    pipe = register_pipeline(f"sqlite:///{tmp_path / 'vigie.db'}", FakeClock())
    pipe.send(pipe.frame("1002", "#1002|Nri1/BA2"))
    pipe.process()
    (incident,) = [i for i in pipe.queue.waiting() if i.site_id == "PHARMA-CENTRE"]
    assert incident.id is not None
    return pipe, incident.id, make_mp4(tmp_path / "clip.mp4", seconds=4.0)


@pytest.fixture
def video_station(tmp_path: Path) -> Iterator[VideoStation]:
    with ThreadPoolExecutor(1) as pool:
        pipe, incident, clip = pool.submit(_prepare, tmp_path).result(timeout=60)
    every = cameras()
    supervisor = FakeSupervisor(every, stream_frames=None)
    ptz = FakePtz()

    def ptz_of(camera: Camera) -> FakePtz:
        return ptz

    app = pipe.app(auth=authenticator(pipe, USERS, PASSWORD))
    media = FakeMedia([clip_media(clip, incident)])
    app.include_router(
        video_router(supervisor, FakeCameras(every), media=media, ptz=ptz_of, refresh_ms=500)
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
        )
    )
    thread = threading.Thread(target=server.run, name="video-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield VideoStation(f"http://127.0.0.1:{port}", pipe, supervisor, incident)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        pipe.close()


@pytest.fixture
def alice(browser: Browser, video_station: VideoStation, problems: Problems) -> Iterator[Page]:
    context = browser.new_context(
        base_url=video_station.url,
        viewport={"width": 1280, "height": 800},
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems.watch("alice", page)
    # cut short on purpose: an image refresh, a state poll or a live stream when the page
    # is left, a clip's range request when the player seeks elsewhere
    problems.allow(
        r"request failed: GET \S+/(snapshot\.jpg\?\S*t=\d+|health\.json\?\S+|live\.mjpg\S*"
        r"|console/media/\d+) net::ERR_ABORTED$"
    )
    login(page, "alice", PASSWORD)
    yield page
    try:
        problems.assert_none()
    finally:
        context.close()


def _until(
    page: Page, selector: str, script: str, check: Callable[[Any], bool], timeout: float = 15
) -> None:
    """Poll ``script`` on ``selector`` until ``check`` holds (the pages' CSP forbids the
    string evaluation ``wait_for_function`` does)."""
    deadline = time.monotonic() + timeout
    while not check(value := page.eval_on_selector(selector, script)):
        assert time.monotonic() < deadline, value
        time.sleep(0.1)


def test_the_wall_shows_every_camera_and_follows_its_state(
    alice: Page, video_station: VideoStation
) -> None:
    supervisor = video_station.supervisor
    supervisor.states["CAM-PHARMA-2"] = (CameraHealth.FAULT, frozenset({VideoCode.FROZEN}))
    alice.goto("/console/video")
    tiles = alice.locator("#video-wall li.tile")
    expect(tiles).to_have_count(len(cameras()))
    for camera in cameras():
        tile = alice.locator(f'li.tile[data-camera="{camera.id}"]')
        expect(tile.locator(".camera-name")).to_have_text(camera.name)
        expect(tile.locator("img")).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    expect(alice.locator('li[data-camera="CAM-PHARMA-2"] .health')).to_have_text("image figée")
    expect(alice.locator('li[data-camera="CAM-DUPONT-1"] .health')).to_have_text("désactivée")
    expect(alice.locator('li[data-camera="CAM-PHARMA-1"] .health')).to_have_text("OK")
    widths = alice.eval_on_selector_all(
        "#video-wall img", "images => images.map(i => i.naturalWidth)"
    )
    assert all(w > 0 for w in widths), widths

    # the state changes on the supervisor's side: the tile follows without a reload
    supervisor.states["CAM-PHARMA-1"] = (CameraHealth.FAULT, frozenset({VideoCode.BLACK}))
    supervisor.states["CAM-PHARMA-2"] = (CameraHealth.OK, frozenset())
    pharma1 = alice.locator('li[data-camera="CAM-PHARMA-1"]')
    expect(pharma1.locator(".health")).to_have_text("image noire", timeout=6_000)
    expect(pharma1.locator(".health")).to_have_class("health fault")
    expect(pharma1).to_have_attribute("data-health", "fault")
    expect(alice.locator('li[data-camera="CAM-PHARMA-2"] .health')).to_have_text("OK")

    alice.select_option("#wall-grid", "2")
    expect(tiles).to_have_count(4)
    expect(alice.locator("#wall-pages a")).to_have_count(2)


def test_a_camera_plays_live_and_the_viewing_is_logged(
    alice: Page, video_station: VideoStation
) -> None:
    alice.goto("/console/video")
    alice.click('li[data-camera="CAM-PHARMA-1"] a.camera-name')
    live = alice.locator("img#live")
    expect(live).to_be_visible()
    _until(alice, "img#live", "i => i.naturalWidth", lambda width: width > 0)
    alice.click("#ptz-right")
    expect(alice.locator("#ptz-pad")).to_have_attribute("data-last", "ok")
    texts = [e.text for e in video_station.pipe.logbook.search(kind=LogKind.VIDEO, limit=50)]
    assert any(t.startswith("Visionnage en direct de Pharmacie — entrée") for t in texts), texts
    assert any(t.startswith("PTZ Pharmacie — entrée (CAM-PHARMA-1) : déplacement") for t in texts)
    alice.goto("/console/video")  # leaving the page ends the stream, and its viewing
    deadline = time.monotonic() + 5
    while not any(t.startswith("Fin du visionnage") for t in texts):
        assert time.monotonic() < deadline, texts
        time.sleep(0.1)
        texts = [e.text for e in video_station.pipe.logbook.search(kind=LogKind.VIDEO)]


def test_the_incident_clip_plays_in_the_video_pane(
    alice: Page, video_station: VideoStation
) -> None:
    alice.goto(f"/console/incidents/{video_station.incident}/video")
    expect(alice.locator("#video li.pane-camera")).to_have_count(2)
    video = alice.locator('#video li.clip[data-media="7"] video')
    expect(video).to_have_count(1)
    alice.eval_on_selector("#video video", "v => { v.muted = true; return v.play(); }")
    state = "v => [v.readyState, v.videoWidth, v.currentTime]"
    _until(alice, "#video video", state, lambda s: s[0] >= 2 and s[1] == 320 and s[2] > 0.5)
    seek = (
        "v => { v.currentTime = 3.0;"
        " return new Promise(r => v.onseeked = () => r(v.currentTime)); }"
    )
    assert alice.eval_on_selector("#video video", seek) >= 2.9
    texts = [e.text for e in video_station.pipe.logbook.search(kind=LogKind.VIDEO)]
    assert [t for t in texts if t.startswith("Relecture")] == [
        "Relecture séquence n°7 de la caméra CAM-PHARMA-1 (28/11/2026 12:58:00) depuis "
        f"/console/incidents/{video_station.incident}/video"
    ]
