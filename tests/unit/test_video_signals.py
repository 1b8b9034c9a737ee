"""Video events as journal signals, and what the engine makes of them."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigie.domain.engine import Engine, RaiseAlarm, RestoreAlarm, StateChange
from vigie.domain.engine.normalise import Action, normalise
from vigie.domain.register import AlarmKind, Site, Supervision, Zone
from vigie.domain.signals import SignalRecord, StoredSignal, Transport
from vigie.domain.video import Camera, VideoCode, VideoEvent, VideoSource
from vigie.protocols.codes.video import VIDEO_CODES
from vigie.services.processor import SiteDirectory, _engine_view
from vigie.services.video_signals import VideoSignals, video_record

T0 = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"

CAM = Camera(
    id="CAM-FOURNIL",
    site_id="BOUL-MARTIN",
    name="Fournil",
    main_url="rtsp://127.0.0.1:8554/fournil",
    zones=("3", "4"),
    frigate_name="fournil",
)
CAM2 = Camera(id="CAM-RUE", site_id="BOUL-MARTIN", name="Rue", main_url="rtsp://127.0.0.1/r")


def boulangerie() -> Site:
    return Site(
        id="BOUL-MARTIN",
        customer_id="CLI-MARTIN",
        name="Boulangerie Martin",
        zones=(Zone("3", "Fournil", cameras=("CAM-FOURNIL",)), Zone("4", "Réserve")),
        transmitters=("1001",),
        supervision=Supervision(1800, 120, "SP3"),
    )


class FakeJournal:
    """Stores records in memory; notes whether the snapshot existed when submitted."""

    def __init__(self) -> None:
        self.records: list[SignalRecord] = []
        self.snapshot_existed: list[bool] = []
        self.thread_ids: list[int] = []

    def submit(self, record: SignalRecord) -> asyncio.Future[StoredSignal]:
        loop = asyncio.get_running_loop()
        self.thread_ids.append(threading.get_ident())
        snap = dict(record.events[0].modifiers).get("snapshot")
        self.snapshot_existed.append(snap is not None and Path(snap).is_file())
        self.records.append(record)
        future: asyncio.Future[StoredSignal] = loop.create_future()
        future.set_result(StoredSignal(id=len(self.records)))
        return future

    async def append(self, record: SignalRecord) -> StoredSignal:
        return await self.submit(record)


def event(code: VideoCode = VideoCode.PERSON, **kw: object) -> VideoEvent:
    values: dict[str, object] = {"camera_id": CAM.id, "code": code, "at": T0}
    values.update(kw)
    return VideoEvent(**values)  # type: ignore[arg-type]


# -- the record ------------------------------------------------------------------------


def test_a_person_event_becomes_an_accepted_video_signal_on_the_cameras_first_zone() -> None:
    ev = event(detail="zone Fournil", score=0.91, snapshot_jpeg=JPEG, external_id="abc")
    rec = video_record(ev, CAM, T0 + timedelta(seconds=1), Path("/snap/x.jpg"), "rx1")
    assert rec.transport is Transport.VIDEO and rec.accepted and rec.reply == b""
    assert (rec.peer, rec.account, rec.known_account) == ("video:analytics", "CAM-FOURNIL", True)
    assert rec.received_at == T0 + timedelta(seconds=1) and rec.panel_time == T0
    (sig,) = rec.events
    assert (sig.protocol, sig.code, sig.category, sig.known) == ("VIDEO", "PERSON", "video", True)
    assert sig.zone == "3" and sig.text == "zone Fournil" and not sig.restore
    assert sig.description_fr == "Personne détectée — caméra Fournil"
    assert sig.description_en == "Person detected — camera Fournil"
    mods = dict(sig.modifiers)
    assert mods["camera"] == "CAM-FOURNIL" and mods["snapshot"] == "/snap/x.jpg"
    raw = json.loads(rec.raw)
    assert raw["code"] == "PERSON" and raw["snapshot"] == "/snap/x.jpg"
    assert b"fake-jpeg" not in rec.raw  # never image bytes in the journal
    assert rec.dedup_key is not None and len(rec.dedup_key) == 64


def test_the_same_nvr_event_has_the_same_dedup_key_its_end_another_and_local_events_none() -> None:
    first = video_record(event(external_id="e1"), CAM, T0)
    again = video_record(event(external_id="e1"), CAM, T0 + timedelta(seconds=5))
    end = video_record(event(external_id="e1", restore=True), CAM, T0)
    assert first.dedup_key == again.dedup_key != end.dedup_key
    assert video_record(event(), CAM, T0).dedup_key is None


def test_a_health_fault_is_a_camera_fault_and_its_restore_says_so() -> None:
    rec = video_record(event(VideoCode.FROZEN, restore=True), CAM, T0)
    (sig,) = rec.events
    assert (sig.category, sig.restore) == ("camera_fault", True)
    assert sig.description_fr.startswith("Image de nouveau animée")


def test_an_unknown_camera_is_kept_with_its_name_and_no_zone() -> None:
    rec = video_record(event(camera_id="garage_nvr"), None, T0)
    assert rec.account == "garage_nvr" and not rec.known_account
    assert rec.events[0].zone is None and "garage_nvr" in rec.events[0].description_fr
    assert "inconnue" in rec.detail


def test_every_video_code_has_its_row_in_the_table() -> None:
    assert set(VIDEO_CODES) == {c.value for c in VideoCode}
    for code in VideoCode:
        info = VIDEO_CODES[code.value]
        assert info.category == ("camera_fault" if code.health else "video")
        assert info.description_fr and info.description_en and info.restore_fr


# -- receive and post -------------------------------------------------------------------


def test_receive_writes_the_snapshot_before_the_record_is_submitted(tmp_path: Path) -> None:
    journal = FakeJournal()
    signals = VideoSignals(journal, lambda: T0, tmp_path, cameras=lambda: [CAM])
    stored = asyncio.run(signals.receive(event(snapshot_jpeg=JPEG)))
    assert stored.id == 1 and journal.snapshot_existed == [True]
    path = Path(dict(journal.records[0].events[0].modifiers)["snapshot"])
    assert path.parent == tmp_path / "CAM-FOURNIL"
    assert path.name == "20261128T220000.000000Z.jpg" and path.read_bytes() == JPEG


def test_two_snapshots_at_the_same_instant_do_not_overwrite_each_other(tmp_path: Path) -> None:
    journal = FakeJournal()
    signals = VideoSignals(journal, lambda: T0, tmp_path, cameras=lambda: [CAM])

    async def both() -> None:
        await signals.receive(event(snapshot_jpeg=JPEG))
        await signals.receive(event(snapshot_jpeg=JPEG + b"2"))

    asyncio.run(both())
    paths = [dict(r.events[0].modifiers)["snapshot"] for r in journal.records]
    assert len(set(paths)) == 2 and all(Path(p).is_file() for p in paths)


def test_post_from_worker_threads_stores_on_the_bound_loop(tmp_path: Path) -> None:
    journal = FakeJournal()
    signals = VideoSignals(journal, lambda: T0, tmp_path, cameras=lambda: [CAM])
    early = event(VideoCode.MOTION)
    signals.post(early)  # before bind: kept, not lost

    async def run() -> None:
        signals.bind(asyncio.get_running_loop())
        workers = [
            threading.Thread(target=signals.post, args=(event(external_id=f"w{i}"),))
            for i in range(5)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        for _ in range(100):
            await asyncio.sleep(0.01)
            await signals.drain()
            if len(journal.records) == 6:
                break

    asyncio.run(run())
    assert len(journal.records) == 6
    assert journal.records[0].events[0].code == "MOTION"
    assert len(set(journal.thread_ids)) == 1  # always submitted from the loop's thread


def test_a_post_after_close_is_logged_not_silently_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    signals = VideoSignals(FakeJournal(), lambda: T0, tmp_path)
    signals.close()
    with caplog.at_level(logging.ERROR, logger="vigie.services.video_signals"):
        signals.post(event())
    assert "after close" in caplog.text and "CAM-FOURNIL PERSON" in caplog.text


def test_a_camera_is_found_by_its_nvr_name_and_a_new_one_after_a_reload(tmp_path: Path) -> None:
    cameras = [CAM]
    loads: list[int] = []
    now = [T0]

    def source() -> list[Camera]:
        loads.append(1)
        return list(cameras)

    signals = VideoSignals(FakeJournal(), lambda: now[0], tmp_path, cameras=source)
    assert signals.resolve_camera("fournil") is CAM
    assert signals.resolve_camera("CAM-FOURNIL") is CAM
    cameras.append(CAM2)
    for _ in range(20):  # an unknown name on every message: no reload storm
        assert signals.resolve_camera("ghost") is None
    assert len(loads) == 1
    now[0] = T0 + timedelta(seconds=30)
    assert signals.resolve_camera("CAM-RUE") is CAM2 and len(loads) == 2


# -- normalise and the engine ------------------------------------------------------------


def test_analytics_codes_are_video_alarms_on_the_zone_health_codes_camera_faults() -> None:
    site = boulangerie()
    person = normalise(video_record(event(), CAM, T0).events[0], site)
    assert (person.action, person.kind) == (Action.ALARM, AlarmKind.VIDEO)
    assert (person.point, person.zone, person.zone_label) == (
        "v:CAM-FOURNIL:PERSON",
        "3",
        "Fournil",
    )
    frozen = normalise(video_record(event(VideoCode.FROZEN), CAM, T0).events[0], site)
    assert (frozen.action, frozen.kind) == (Action.ALARM, AlarmKind.CAMERA_FAULT)
    assert (frozen.point, frozen.zone) == ("v:CAM-FOURNIL:FROZEN", None)
    back = video_record(event(VideoCode.FROZEN, restore=True), CAM, T0).events[0]
    assert normalise(back, site).action is Action.RESTORE


def _signal(engine: Engine, sid: int, ev: VideoEvent, camera: Camera, at: datetime) -> list:  # type: ignore[type-arg]
    site = boulangerie()
    rec = video_record(ev, camera, at)
    return engine.on_signal(sid, _engine_view(rec, site), site, at)


def test_a_frozen_restore_ends_frozen_on_that_camera_only() -> None:
    engine = Engine()
    cam2 = Camera(id="CAM-RUE", site_id="BOUL-MARTIN", name="Rue", main_url="rtsp://h/r")
    a = _signal(engine, 1, event(VideoCode.FROZEN), CAM, T0)
    b = _signal(engine, 2, event(VideoCode.FROZEN, camera_id="CAM-RUE"), cam2, T0)
    c = _signal(engine, 3, event(VideoCode.BLACK), CAM, T0)
    keys = [next(d for d in out if isinstance(d, RaiseAlarm)) for out in (a, b, c)]
    assert [k.kind for k in keys] == [AlarmKind.CAMERA_FAULT] * 3
    assert keys[0].priority == 6 and keys[0].zone is None
    assert not any(isinstance(d, StateChange) for d in a)  # a fault leaves zones alone
    out = _signal(engine, 4, event(VideoCode.FROZEN, restore=True), CAM, T0 + timedelta(minutes=2))
    (restored,) = [d for d in out if isinstance(d, RestoreAlarm)]
    assert restored.key == keys[0].key
    out = _signal(engine, 5, event(VideoCode.BLACK, restore=True), CAM, T0 + timedelta(minutes=3))
    assert [d.key for d in out if isinstance(d, RestoreAlarm)] == [keys[2].key]


def test_a_camera_is_never_put_under_cyclic_test_supervision() -> None:
    engine = Engine()
    site = boulangerie()
    engine.watch_site(site, T0)
    _signal(engine, 1, event(VideoCode.PERSON), CAM, T0)
    later = engine.tick(T0 + timedelta(days=2))
    supervised = [d for d in later if isinstance(d, RaiseAlarm)]
    assert all(d.account != "CAM-FOURNIL" for d in supervised)
    assert "CAM-FOURNIL" not in engine.state.transmitters


def test_the_directory_matches_video_signals_through_the_camera_register() -> None:
    class Register:
        def sites(self) -> list[Site]:
            return [boulangerie()]

        def transmitters(self) -> list:  # type: ignore[type-arg]
            return []

        def procedures(self) -> list:  # type: ignore[type-arg]
            return []

    directory = SiteDirectory(Register(), cameras=lambda: [CAM])
    directory.reload()
    found = directory.site_for(video_record(event(), CAM, T0))
    assert found is not None and found.id == "BOUL-MARTIN"
    assert directory.site_for(video_record(event(camera_id="ghost"), None, T0)) is None
    assert directory.camera("CAM-FOURNIL") is CAM
    # a panel account that happens to equal a camera id is not a camera
    panel = SignalRecord(T0, Transport.TCP, "p", b"", "ACK", b"", account="CAM-FOURNIL")
    assert directory.site_for(panel) is None


def test_an_unknown_camera_raises_an_unknown_alarm_naming_it() -> None:
    engine = Engine()
    rec = video_record(event(camera_id="ghost", source=VideoSource.FRIGATE), None, T0)
    out = engine.on_signal(1, _engine_view(rec, None), None, T0)
    alarm = next(d for d in out if isinstance(d, RaiseAlarm))
    assert alarm.kind is AlarmKind.UNKNOWN_TRANSMITTER and "GHOST" in alarm.description
