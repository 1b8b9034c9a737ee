"""The whole video path in a real station, on real streams served on loopback.

Synthetic scenes are encoded to H.264 and served by Debian's GStreamer RTSP server; the
station's camera workers decode, analyse and record them; what they find goes through the
signal journal and the engine like a panel frame. Checked here, as an operator sees it in
the queue: each camera fault raised and restored; motion inside a zone rule raises a video
alarm while motion in a masked area does not; a panel alarm on a zone with a linked camera
gets a pre/post-alarm clip covering it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from tests.support.cameras import Mode, Scene, needs_gst
from tests.support.pipeline import import_example_register
from tests.support.station import ThreadStation, station_in_thread
from vigie.adapters.db.engine import make_engine
from vigie.adapters.video.synthetic.rtsp import SyntheticRtspServer
from vigie.bootstrap_video import build_cameras
from vigie.config import load_settings
from vigie.domain.incidents import Alarm
from vigie.domain.register import AlarmKind
from vigie.domain.video import Camera, VideoCode, ZoneRule
from vigie.entrypoints.simulator import PanelSimulator, sia_body

pytestmark = [pytest.mark.e2e, needs_gst, pytest.mark.timeout(240)]

LEFT = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))
RIGHT = ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0))
FAULTS = {  # camera -> the fault its scene shows
    "CAM-SUPER-1": (Mode.FROZEN, VideoCode.FROZEN),
    "CAM-GARAGE-1": (Mode.BLACK, VideoCode.BLACK),
    "CAM-GARAGE-2": (Mode.BLINDED, VideoCode.BLINDED),
    "CAM-ECOLE-1": (Mode.BLUR, VideoCode.BLUR),
    "CAM-MAIRIE-1": (Mode.MOVED, VideoCode.MOVED),
}
SITES = {
    "CAM-SUPER-1": ("SUPER-BRON", ("1",)),
    "CAM-GARAGE-1": ("GARAGE-OULLINS", ("2",)),
    "CAM-GARAGE-2": ("GARAGE-OULLINS", ("3",)),
    "CAM-ECOLE-1": ("ECOLE-JAURES", ("3",)),
    "CAM-MAIRIE-1": ("MAIRIE-ANNEXE-CALUIRE", ("2",)),
    "CAM-BIJOU-1": ("BIJOU-BELLECOUR", ("1",)),
}
SEGMENT = 2.0  # seconds per recorded segment: short, so the clip is cut soon
PRE, POST = 3, 3


@dataclass
class VideoStation:
    running: ThreadStation
    scenes: dict[str, Scene]
    server: SyntheticRtspServer
    url: str

    def alarms(self) -> list[Alarm]:
        queue = self.running.station.queue
        return [alarm for incident in queue.waiting() for alarm in incident.alarms]

    def video_alarms(self, camera_id: str) -> list[Alarm]:
        """A video alarm's description names its camera (here each camera's name is its id)."""
        return [
            a
            for a in self.alarms()
            if a.kind in (AlarmKind.VIDEO, AlarmKind.CAMERA_FAULT) and camera_id in a.description
        ]


def _mount(camera_id: str) -> str:
    return camera_id.lower().replace("-", "_")


def _wait(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not seen within {timeout:.0f} s: {what}")


@pytest.fixture(scope="module")
def video_station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoStation]:
    root = tmp_path_factory.mktemp("video-station")
    url = f"sqlite:///{root / 'station.db'}"
    engine = make_engine(url)
    import_example_register(engine)
    settings: dict[str, Any] = {
        "video_root": root / "video",
        "segment_seconds": SEGMENT,
        "video_loss_after": 8.0,
        "video_min_free": "0%",  # a nearly full disk here must not delete the test's clips
    }
    store = build_cameras(load_settings(database_url=url, **settings), engine)
    scenes: dict[str, Scene] = {}
    with SyntheticRtspServer(gop_seconds=1.0) as server:

        def stream(camera_id: str, **scene: Any) -> str:
            scenes[camera_id] = Scene(width=320, height=180, fps=8, **scene)
            return server.add(_mount(camera_id), scenes[camera_id])

        cameras = [
            Camera(
                id=camera_id,
                site_id=site,
                name=camera_id,
                main_url=stream(camera_id, mode=Mode.NOBODY, seed=n),
                zones=zones,
            )
            for n, (camera_id, (site, zones)) in enumerate(SITES.items())
        ]
        cameras += [
            Camera(  # a zone rule over the left half; people walk there
                id="CAM-BANQUE-1",
                site_id="BANQUE-PARTDIEU",
                name="CAM-BANQUE-1",
                main_url=stream("CAM-BANQUE-1", walk_region=(0.05, 0.4, 0.4, 0.95), seed=11),
                zones=("1",),
                zone_rules=(ZoneRule("Sas", LEFT, min_area=0.003, min_duration=1.0),),
            ),
            Camera(  # the right half masked (a neighbour's window); people walk only there
                id="CAM-BANQUE-2",
                site_id="BANQUE-PARTDIEU",
                name="CAM-BANQUE-2",
                main_url=stream("CAM-BANQUE-2", walk_region=(0.6, 0.4, 0.95, 0.95), seed=12),
                zones=("2",),
                motion_masks=(RIGHT,),
            ),
            Camera(  # nothing moves; a panel alarm on zone 1 wants its clip
                id="CAM-PHARMA-1",
                site_id="PHARMA-CENTRE",
                name="CAM-PHARMA-1",
                main_url=stream("CAM-PHARMA-1", mode=Mode.NOBODY, seed=13),
                zones=("1",),
                pre_alarm_seconds=PRE,
                post_alarm_seconds=POST,
            ),
        ]
        store.save_all(cameras)
        engine.dispose()
        with station_in_thread(url, **settings) as running:
            yield VideoStation(running, scenes, server, url)


def test_each_camera_fault_raises_a_maintenance_alarm_and_restores(
    video_station: VideoStation,
) -> None:
    supervisor = video_station.running.station.video.supervisor  # type: ignore[union-attr]
    _wait(
        "every camera streaming",
        lambda: all(supervisor.health(c)[0].value == "ok" for c in FAULTS),
        timeout=40,
    )
    time.sleep(12)  # a healthy camera's baselines (sharpness, scene) are learnt first
    for camera_id, (mode, _) in FAULTS.items():
        video_station.scenes[camera_id].mode = mode

    def raised() -> dict[str, Alarm]:
        found = {}
        for camera_id, (_, code) in FAULTS.items():
            for alarm in video_station.video_alarms(camera_id):
                if alarm.code == code.value:
                    found[camera_id] = alarm
        return found if len(found) == len(FAULTS) else {}

    try:
        alarms = _wait("the five faults in the queue", raised, timeout=60)
    except AssertionError:
        seen = [(a.kind.value, a.code, a.description) for a in video_station.alarms()]
        raise AssertionError(f"faults missing; alarms in the queue: {seen}") from None
    for camera_id, alarm in alarms.items():
        assert alarm.kind is AlarmKind.CAMERA_FAULT
        assert alarm.site_id == SITES[camera_id][0]
        assert not alarm.restored
        assert supervisor.health(camera_id)[0].value == "fault"
    for camera_id in FAULTS:
        video_station.scenes[camera_id].mode = Mode.NOBODY

    def restored() -> bool:
        current = raised()
        return bool(current) and all(a.restored for a in current.values())

    _wait("the five faults restored", restored, timeout=60)


def test_video_loss_is_raised_then_restored(video_station: VideoStation) -> None:
    camera_id = "CAM-BIJOU-1"
    supervisor = video_station.running.station.video.supervisor  # type: ignore[union-attr]
    _wait("streaming", lambda: supervisor.health(camera_id)[0].value == "ok", timeout=40)
    video_station.server.stop_feed(_mount(camera_id))
    loss = _wait(
        "video loss",
        lambda: [
            a for a in video_station.video_alarms(camera_id) if a.code == VideoCode.VIDEO_LOSS
        ],
        timeout=40,
    )
    assert loss[0].kind is AlarmKind.CAMERA_FAULT
    video_station.server.start_feed(_mount(camera_id))
    _wait(
        "video back",
        lambda: all(
            a.restored
            for a in video_station.video_alarms(camera_id)
            if a.code == VideoCode.VIDEO_LOSS
        ),
        timeout=40,
    )


def test_motion_in_a_zone_raises_a_video_alarm_not_in_a_masked_area(
    video_station: VideoStation,
) -> None:
    alarms = _wait(
        "an intrusion in the zone rule",
        lambda: [
            a for a in video_station.video_alarms("CAM-BANQUE-1") if a.code == VideoCode.INTRUSION
        ],
        timeout=40,
    )
    assert alarms[0].kind is AlarmKind.VIDEO
    assert alarms[0].site_id == "BANQUE-PARTDIEU"
    assert alarms[0].zone == "1"
    # the masked camera has had as long, with people walking all the time
    assert video_station.video_alarms("CAM-BANQUE-2") == []


def test_a_panel_alarm_gets_a_clip_covering_it(video_station: VideoStation) -> None:
    running = video_station.running
    supervisor = running.station.video.supervisor  # type: ignore[union-attr]
    _wait("streaming", lambda: supervisor.health("CAM-PHARMA-1")[0].value == "ok", timeout=40)
    time.sleep(PRE + SEGMENT)  # some recording before the alarm
    panel = PanelSimulator("127.0.0.1", running.port, "1002")
    sent_at = datetime.now(UTC)
    _, reply = panel.send(panel.frame("SIA-DCS", sia_body("1002", "BA", "1", None), sent_at))
    panel.close()
    assert reply is not None and reply.kind.value == "ACK"
    incident = _wait(
        "the intrusion incident",
        lambda: [
            i
            for i in running.station.queue.waiting()
            if i.site_id == "PHARMA-CENTRE" and any(a.code == "BA" for a in i.alarms)
        ],
        timeout=20,
    )[0]
    media = running.station.video.media  # type: ignore[union-attr]
    clips = _wait(
        "a clip attached to the incident",
        lambda: [m for m in media.for_incident(incident.id) if m.kind == "clip"],
        timeout=45,
    )
    clip = clips[0]
    assert clip.camera_id == "CAM-PHARMA-1"
    assert clip.start <= sent_at - timedelta(seconds=PRE) + timedelta(seconds=1.5)  # one GOP
    assert clip.end >= sent_at + timedelta(seconds=POST)
    path = Path(clip.path)
    if not path.is_absolute():
        path = Path(running.station.settings.video_root) / "media" / path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == clip.sha256
    with av.open(str(path)) as played:
        frames = sum(1 for _ in played.decode(video=0))
    assert frames >= 8 * (PRE + POST) * 0.8
    snapshots = [m for m in media.for_incident(incident.id) if m.kind == "snapshot"]
    assert snapshots and snapshots[0].camera_id == "CAM-PHARMA-1"
