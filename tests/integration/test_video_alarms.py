"""Video events through the real journal and processor on SQLite, and the webhook.

A video event goes to the group-commit journal exactly as a panel frame does; the
processor (with the camera register as its camera source) raises a video alarm at the
camera's site and zone, a camera fault for a health code, restores it, and never supervises
a camera like a transmitter.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.support.pipeline import Pipeline, register_pipeline
from tests.support.station import journal
from vigie.adapters.db.alarm_feed import SqlAlarmFeed
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.media_store import MediaStore
from vigie.adapters.db.processing_store import SqlProcessing
from vigie.domain.incidents import Alarm, Incident, IncidentState
from vigie.domain.register import AlarmKind
from vigie.domain.signals import StoredSignal, Transport
from vigie.domain.video import Camera, VideoCode, VideoEvent, VideoSource
from vigie.entrypoints.web.api_video_events import video_events_router
from vigie.services.alarm_media import AlarmMedia
from vigie.services.processor import Processor
from vigie.services.video_signals import VideoSignals

TOKEN = "webhook-token-0123456789"
JPEG = b"\xff\xd8\xff\xe0 a frame \xff\xd9"
FOURNIL = Camera(
    id="CAM-FOURNIL", site_id="BOUL-MARTIN", name="Fournil", main_url="rtsp://127.0.0.1/f",
    zones=("3",), frigate_name="fournil",
)  # fmt: skip
RUE = Camera(id="CAM-RUE", site_id="BOUL-MARTIN", name="Rue", main_url="rtsp://127.0.0.1/r")
CAMERAS = [FOURNIL, RUE]


class Station:
    def __init__(self, pipe: Pipeline, snapshots: Path) -> None:
        self.pipe = pipe
        self.signals = VideoSignals(
            pipe.journal, pipe.clock, snapshots, cameras=lambda: CAMERAS, listener="test"
        )
        store = SqlLogbook(pipe.engine)
        processing = SqlProcessing(pipe.engine, SqlIncidents(pipe.engine, store), store)
        self.processor = Processor(
            processing, pipe.register, pipe.logbook, pipe.clock, cameras=lambda: CAMERAS
        )
        self.processor.start()

    def send(self, event: VideoEvent) -> StoredSignal:
        return asyncio.run(self.signals.receive(event))

    def process(self) -> int:
        total = 0
        while done := self.processor.run_once():
            total += done
        return total

    def incidents(self) -> list[Incident]:
        return self.pipe.queue.waiting(list(IncidentState))

    def alarms(self, kind: AlarmKind) -> list[Alarm]:
        return [a for i in self.incidents() for a in i.alarms if a.kind is kind]


@pytest.fixture
def station(sqlite_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[Station]:
    pipe = register_pipeline(sqlite_url, clock)
    yield Station(pipe, tmp_path / "snapshots")
    pipe.close()


def _event(code: VideoCode, clock: FakeClock, **kw: object) -> VideoEvent:
    values: dict[str, object] = {"camera_id": FOURNIL.id, "code": code, "at": clock.now()}
    values.update(kw)
    return VideoEvent(**values)  # type: ignore[arg-type]


def test_a_person_on_a_camera_is_a_video_incident_at_its_site_and_zone(
    station: Station, clock: FakeClock
) -> None:
    stored = station.send(_event(VideoCode.PERSON, clock, snapshot_jpeg=JPEG, detail="Fournil"))
    ((row_id, record),) = [(s.id, r) for s, r in journal(station.pipe.db_url, "CAM-FOURNIL")]
    assert row_id == stored.id and record.transport is Transport.VIDEO
    assert station.process() == 1
    (incident,) = [i for i in station.incidents() if i.site_id == "BOUL-MARTIN"]
    (alarm,) = incident.alarms
    assert (alarm.kind, alarm.code, alarm.zone, alarm.zone_label) == (
        AlarmKind.VIDEO, "PERSON", "3", "Fournil",
    )  # fmt: skip
    assert incident.priority == 4 and alarm.signal_ids == [stored.id]
    assert "caméra Fournil" in incident.title and "Fournil" in incident.title
    procedure = station.pipe.register.procedures_for("BOUL-MARTIN", AlarmKind.VIDEO)
    assert procedure is not None
    assert [s.text for s in incident.steps] == [s.text for s in procedure.steps]
    logged = [e.text for e in station.pipe.logbook.search(site_id="BOUL-MARTIN", limit=20)]
    assert any(t.startswith("Alarme vidéo : Personne détectée") for t in logged), logged


def test_a_frozen_camera_is_a_camera_fault_its_restore_marks_it_and_only_it(
    station: Station, clock: FakeClock
) -> None:
    station.send(_event(VideoCode.FROZEN, clock))
    station.send(_event(VideoCode.FROZEN, clock, camera_id="CAM-RUE"))
    station.process()
    clock.advance(120)
    station.send(_event(VideoCode.FROZEN, clock, restore=True))
    station.process()
    faults = {a.code + ":" + str(a.restored_at is not None) for a in
              station.alarms(AlarmKind.CAMERA_FAULT)}  # fmt: skip
    assert faults == {"FROZEN:True", "FROZEN:False"}
    (fournil,) = [a for a in station.alarms(AlarmKind.CAMERA_FAULT) if a.restored_at]
    assert fournil.restored_at == clock.now() and fournil.zone is None
    assert "caméra Fournil" in fournil.description
    assert all(i.priority == 6 for i in station.incidents() if i.site_id == "BOUL-MARTIN")

    clock.advance(3 * 24 * 3600)  # days without a video event: a camera is no transmitter
    station.processor.tick()
    supervision = station.alarms(AlarmKind.SUPERVISION)
    assert all(a.account not in ("CAM-FOURNIL", "CAM-RUE") for a in supervision)


def test_a_repeated_nvr_message_is_a_duplicate_not_a_second_alarm(
    station: Station, clock: FakeClock
) -> None:
    nvr = {"source": VideoSource.FRIGATE, "external_id": "1718987129.308396-fqk5ka"}
    first = station.send(_event(VideoCode.PERSON, clock, **nvr))
    clock.advance(2)
    again = station.send(_event(VideoCode.PERSON, clock, **nvr))
    assert again.duplicate_of == first.id
    station.process()
    (alarm,) = station.alarms(AlarmKind.VIDEO)
    assert alarm.count == 1


def test_an_unknown_camera_is_kept_and_shown_as_unknown(station: Station, clock: FakeClock) -> None:
    station.send(_event(VideoCode.PERSON, clock, camera_id="garage_nvr"))
    station.process()
    (alarm,) = station.alarms(AlarmKind.UNKNOWN_TRANSMITTER)
    assert "GARAGE_NVR" in alarm.description


# -- the webhook ---------------------------------------------------------------------


def _client(station: Station) -> TestClient:
    app = FastAPI()
    app.include_router(video_events_router(station.signals, TOKEN, station.pipe.clock.now))
    return TestClient(app)


def test_the_webhook_wants_its_bearer_token(station: Station) -> None:
    client = _client(station)
    body = {"camera": "CAM-FOURNIL", "code": "MOTION"}
    assert client.post("/api/v1/video/events", json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    response = client.post("/api/v1/video/events", json=body, headers=wrong)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert journal(station.pipe.db_url) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "MOTION"}, "camera"),
        ({"camera": "CAM-FOURNIL", "code": "EXPLOSION"}, "code"),
        ({"camera": "CAM-FOURNIL"}, "code"),
        ({"camera": "CAM-FOURNIL", "code": "MOTION", "time": "hier"}, "time"),
        ({"camera": "CAM-FOURNIL", "code": "MOTION", "state": "maybe"}, "state"),
        ({"camera": "CAM-FOURNIL", "code": "MOTION", "snapshot": "***"}, "snapshot"),
        ({"camera": "CAM-FOURNIL", "code": "MOTION", "clip_url": "ftp://x"}, "clip_url"),
        ({"camera": "CAM-FOURNIL", "code": "MOTION", "score": 7}, "score"),
        ([1, 2], "body"),
    ],
)
def test_the_webhook_names_the_bad_field(station: Station, body: object, field: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = _client(station).post("/api/v1/video/events", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_the_webhook_answers_202_once_durable_and_the_event_becomes_an_alarm(
    station: Station, clock: FakeClock
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {
        "camera": "fournil", "label": "person", "state": "start", "detail": "VMS règle 4",
        "time": "2026-11-28T21:59:58", "snapshot": base64.b64encode(JPEG).decode(),
        "clip_url": "https://vms.example/clip/77", "id": "vms-77",
    }  # fmt: skip
    response = _client(station).post("/api/v1/video/events", json=body, headers=headers)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["camera"] == "CAM-FOURNIL" and answer["known_camera"] is True
    ((stored, record),) = journal(station.pipe.db_url)
    assert stored.id == answer["id"] and record.peer == "video:webhook"
    modifiers = dict(record.events[0].modifiers)
    assert Path(modifiers["snapshot"]).read_bytes() == JPEG
    assert modifiers["clip_url"] == "https://vms.example/clip/77"
    station.process()
    (alarm,) = station.alarms(AlarmKind.VIDEO)
    assert (alarm.code, alarm.zone) == ("PERSON", "3")

    unknown = {"camera": "porte-garage", "code": "MOTION"}
    response = _client(station).post("/api/v1/video/events", json=unknown, headers=headers)
    assert response.status_code == 202 and response.json()["known_camera"] is False


# -- the media feed --------------------------------------------------------------------


def test_panel_and_video_alarms_get_their_cameras_snapshots_from_the_alarm_feed(
    station: Station, clock: FakeClock, tmp_path: Path
) -> None:
    media = MediaStore(station.pipe.engine)
    service = AlarmMedia(
        SqlAlarmFeed(station.pipe.engine), media, cameras=lambda: CAMERAS,
        sites=station.pipe.register.sites, latest_jpeg=lambda camera_id: JPEG,
        cut_clip=lambda *a: (_ for _ in ()).throw(LookupError("no recording")),
        media_root=tmp_path / "media", clock=clock.now,
    )  # fmt: skip
    service.start(clock.now())
    station.pipe.send(station.pipe.frame("1001", "#1001|Nri1/BA3"))  # the panel: zone 3
    station.send(_event(VideoCode.PERSON, clock, camera_id="CAM-RUE", snapshot_jpeg=JPEG))
    station.process()
    clock.advance(1)
    assert service.tick(clock.now()) == 2
    attached = [m for i in station.incidents() if i.id for m in media.for_incident(i.id)]
    by_camera = {m.camera_id: m for m in attached}
    assert set(by_camera) == {"CAM-FOURNIL", "CAM-RUE"}  # zone 3's camera; the video's own
    rue = by_camera["CAM-RUE"]
    assert "snapshots" in rue.path  # the video event's own snapshot, not a new frame
    incidents = {i.id for i in station.incidents()}
    assert {m.incident_id for m in attached} <= incidents
    assert {m.alarm_id for m in attached} == {a.id for i in station.incidents() for a in i.alarms}
    clock.advance(timedelta(minutes=2).total_seconds())
    service.tick(clock.now())  # the clip cut fails: logged, retried, nothing attached
    again = [m for i in station.incidents() if i.id for m in media.for_incident(i.id)]
    assert sorted(m.kind for m in again) == ["snapshot", "snapshot"]
