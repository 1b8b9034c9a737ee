"""The video pages of a real station (``vigie serve``) watching real streams.

Cameras are served by Debian's GStreamer RTSP server on loopback; the station decodes,
analyses and records them. In Chromium: the wall shows every camera with its health as the
station sees it (one camera's picture is black); a panel alarm on a zone with a camera gets
its pre/post-alarm clip, which plays in the incident's video pane.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PASSWORD, Problems, _add_users, login, require_playwright
from tests.support.auth import sign_in
from tests.support.cameras import Mode, Scene, needs_gst
from tests.support.pipeline import import_example_register
from tests.support.station import ProcessStation, start_process
from vigie.adapters.db.engine import make_engine
from vigie.adapters.video.synthetic.rtsp import SyntheticRtspServer
from vigie.bootstrap_video import build_cameras
from vigie.config import load_settings
from vigie.domain.video import Camera
from vigie.entrypoints.simulator import PanelSimulator, sia_body

require_playwright()
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.e2e, needs_gst, pytest.mark.timeout(180)]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-video-wall.png"
CAMERAS = {  # camera id -> (site, zone, what its scene shows)
    "CAM-PHARMA-1": ("PHARMA-CENTRE", "1", Mode.NOBODY),
    "CAM-BANQUE-1": ("BANQUE-PARTDIEU", "1", Mode.NORMAL),
    "CAM-GARAGE-1": ("GARAGE-OULLINS", "2", Mode.BLACK),
}


@pytest.fixture
def station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProcessStation]:
    """The example register, three cameras on synthetic streams, the test users."""
    db_url = f"sqlite:///{tmp_path / 'vigie.db'}"
    video_root = tmp_path / "video"
    monkeypatch.setenv("VIGIE_VIDEO_ROOT", str(video_root))
    monkeypatch.setenv("VIGIE_SEGMENT_SECONDS", "2")
    monkeypatch.setenv("VIGIE_VIDEO_MIN_FREE", "0%")  # a nearly full disk keeps the clips
    engine = make_engine(db_url)
    import_example_register(engine)
    store = build_cameras(load_settings(database_url=db_url, video_root=video_root), engine)
    with SyntheticRtspServer(gop_seconds=1.0) as server:
        store.save_all(
            [
                Camera(
                    id=camera_id,
                    site_id=site,
                    name=f"Caméra {camera_id[4:]}",
                    main_url=server.add(
                        camera_id.lower().replace("-", "_"),
                        Scene(width=320, height=180, fps=8, mode=mode, seed=n),
                    ),
                    zones=(zone,),
                    pre_alarm_seconds=3,
                    post_alarm_seconds=3,
                )
                for n, (camera_id, (site, zone, mode)) in enumerate(CAMERAS.items())
            ]
        )
        engine.dispose()
        _add_users(db_url)
        started = start_process(db_url, tmp_path / "serve.log")
        try:
            yield started
        finally:
            started.stop()


def _until(page: Page, selector: str, script: str, check: Callable[[Any], bool]) -> Any:
    """Poll ``script`` on ``selector`` (the CSP forbids ``wait_for_function``'s eval)."""
    deadline = time.monotonic() + 20
    while not check(value := page.eval_on_selector(selector, script)):
        assert time.monotonic() < deadline, value
        time.sleep(0.2)
    return value


def test_the_wall_shows_every_camera_and_an_alarm_clip_plays_screenshot(
    open_page: Callable[[str], Page],
    station: ProcessStation,
    problems: Problems,
    tmp_path: Path,
) -> None:
    # cut short on purpose when a page is left: image refreshes, state polls, the player
    problems.allow(
        r"request failed: GET \S+/(snapshot\.jpg(\?\S*)?|health\.json\?\S+|live\.mjpg\S*"
        r"|console/media/\d+) net::ERR_ABORTED$"
    )
    alice = open_page("alice")
    login(alice, "alice")
    alice.goto("/console/video")
    expect(alice.locator("#video-wall li.tile")).to_have_count(len(CAMERAS))
    for camera_id in CAMERAS:
        tile = alice.locator(f'li.tile[data-camera="{camera_id}"]')
        expect(tile.locator(".camera-name")).to_have_text(f"Caméra {camera_id[4:]}")
    health = 'li[data-camera="{}"] .health'
    expect(alice.locator(health.format("CAM-PHARMA-1"))).to_have_text("OK", timeout=30_000)
    expect(alice.locator(health.format("CAM-BANQUE-1"))).to_have_text("OK", timeout=30_000)
    # a black picture (the clock still ticking) is a fault after its persistence
    expect(alice.locator(health.format("CAM-GARAGE-1"))).to_have_text("image noire", timeout=30_000)
    expect(alice.locator(health.format("CAM-GARAGE-1"))).to_have_class("health fault")
    loaded = 'li[data-camera="CAM-PHARMA-1"] img'
    expect(alice.locator(loaded)).to_have_attribute(
        "data-loaded", re.compile(r"^\d+$"), timeout=10_000
    )
    shot = tmp_path / "wall.png"
    alice.screenshot(path=str(shot))
    if os.environ.get("VIGIE_SCREENSHOT"):  # `make screenshot`: keeps `make test` read-only
        shutil.copyfile(shot, SCREENSHOT)

    panel = PanelSimulator("127.0.0.1", station.dc09_port, "1002")
    _, reply = panel.send(
        panel.frame("SIA-DCS", sia_body("1002", "BA", "1", None), datetime.now(UTC))
    )
    panel.close()
    assert reply is not None and reply.kind.value == "ACK"
    with httpx.Client(base_url=station.http, timeout=10) as api:
        sign_in(api, "bob", PASSWORD)
        deadline = time.monotonic() + 20
        incident = None
        while incident is None:
            assert time.monotonic() < deadline, "no incident for the panel alarm"
            queue = api.get("/api/v1/incidents").json()
            incident = next((i for i in queue if i["site_id"] == "PHARMA-CENTRE"), None)
            time.sleep(0.3)
    clip = "#video li.clip video"
    deadline = time.monotonic() + 45
    while True:  # the clip is cut once the post-alarm time and its segment have passed
        alice.goto(f"/console/incidents/{incident['id']}")
        if alice.locator(clip).count():
            break
        assert time.monotonic() < deadline, "no clip in the incident's video pane"
        time.sleep(2)
    alice.eval_on_selector(clip, "v => { v.muted = true; return v.play(); }")
    state = "v => [v.readyState, v.videoWidth, v.currentTime, v.duration]"
    _, _, _, duration = _until(
        alice, clip, state, lambda s: s[0] >= 2 and s[1] == 320 and s[2] > 0.5
    )
    assert duration >= 6  # 3 s before the alarm and 3 s after, at least
