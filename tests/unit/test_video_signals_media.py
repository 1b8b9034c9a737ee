"""Pre/post-alarm media: which cameras, a snapshot at once, a clip once the post time passed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigie.adapters.db.alarm_feed import NewAlarm
from vigie.domain.register import Site, Zone
from vigie.domain.video import Camera
from vigie.domain.video_media import IncidentMedia
from vigie.services.alarm_media import AlarmMedia

T0 = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
JPEG = b"\xff\xd8live\xff\xd9"


def cam(cid: str, zones: tuple[str, ...] = (), **kw: object) -> Camera:
    return Camera(id=cid, site_id="S1", name=cid, main_url=f"rtsp://h/{cid}", zones=zones, **kw)  # type: ignore[arg-type]


CAMERAS = [
    cam("CAM-A", pre_alarm_seconds=10, post_alarm_seconds=20),
    cam("CAM-B", zones=("003",)),
    cam("CAM-C"),
    cam("CAM-OFF", zones=("3",), enabled=False),
]
SITE = Site(
    id="S1",
    customer_id="C1",
    name="Site",
    zones=(Zone("3", "Réserve", cameras=("CAM-A",)), Zone("4", "Bureau"), Zone("5", "Hall")),
)


@dataclass
class FakeFeed:
    alarms: list[NewAlarm] = field(default_factory=list)

    def after(self, alarm_id: int, limit: int = 100) -> Sequence[NewAlarm]:
        return [a for a in self.alarms if a.id > alarm_id][:limit]

    def last_id(self, raised_before: datetime | None = None) -> int:
        old = [a.id for a in self.alarms if raised_before is None or a.raised_at < raised_before]
        return max(old, default=0)


@dataclass
class FakeMedia:
    items: list[IncidentMedia] = field(default_factory=list)

    def attach(self, media: IncidentMedia) -> IncidentMedia:
        self.items.append(media)
        return media

    def for_incident(self, incident_id: int) -> list[IncidentMedia]:
        return [m for m in self.items if m.incident_id == incident_id]


@dataclass(frozen=True)
class Clip:
    path: Path
    start: datetime
    end: datetime
    size: int
    sha256: str


@dataclass
class Cutter:
    fail: int = 0
    calls: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    def __call__(self, camera_id: str, start: datetime, end: datetime, out: Path) -> Clip:
        self.calls.append((camera_id, start, end))
        if self.fail:
            self.fail -= 1
            raise LookupError("no segment yet")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"mp4")
        return Clip(out, start, end, 3, "ab" * 32)


def alarm(aid: int, zone: str | None = "3", **kw: object) -> NewAlarm:
    values: dict[str, object] = {
        "id": aid, "incident_id": 10, "kind": "intrusion", "code": "BA", "site_id": "S1",
        "zone": zone, "raised_at": T0,
    }  # fmt: skip
    values.update(kw)
    return NewAlarm(**values)  # type: ignore[arg-type]


def media_for(
    feed: FakeFeed, tmp_path: Path, cutter: Cutter | None = None
) -> tuple[AlarmMedia, FakeMedia]:
    sink = FakeMedia()
    service = AlarmMedia(
        feed, sink, cameras=lambda: CAMERAS, sites=lambda: [SITE],
        latest_jpeg=lambda cid: JPEG if cid != "CAM-C" else None,
        cut_clip=cutter or Cutter(), media_root=tmp_path, clock=lambda: T0, settle_seconds=5,
    )  # fmt: skip
    service.start(T0 - timedelta(hours=1))
    return service, sink


def test_a_zone_alarm_gets_a_snapshot_at_once_and_a_clip_after_the_post_alarm_time(
    tmp_path: Path,
) -> None:
    feed = FakeFeed([alarm(1)])
    cutter = Cutter()
    service, sink = media_for(feed, tmp_path, cutter)
    assert service.tick(T0 + timedelta(seconds=1)) == 2  # CAM-A (Zone.cameras), CAM-B (zones)
    assert [(m.camera_id, m.kind) for m in sink.items] == [
        ("CAM-A", "snapshot"), ("CAM-B", "snapshot"),
    ]  # fmt: skip
    snap = sink.items[0]
    assert Path(snap.path).read_bytes() == JPEG and snap.alarm_id == 1 and snap.size == len(JPEG)
    assert service.tick(T0 + timedelta(seconds=14)) == 0  # CAM-B: 10 s post + 5 s settle
    assert service.tick(T0 + timedelta(seconds=15)) == 1
    assert service.tick(T0 + timedelta(seconds=25)) == 1  # CAM-A: 20 s post + 5 s settle
    clips = [(c, s - T0, e - T0) for c, s, e in cutter.calls]
    assert clips == [
        ("CAM-B", timedelta(seconds=-10), timedelta(seconds=10)),
        ("CAM-A", timedelta(seconds=-10), timedelta(seconds=20)),
    ]
    assert [m.kind for m in sink.items].count("clip") == 2


def test_no_zone_or_a_zone_without_camera_gets_nothing_not_every_site_camera(
    tmp_path: Path,
) -> None:
    feed = FakeFeed([alarm(1, zone="4"), alarm(2, zone=None, kind="supervision")])
    service, sink = media_for(feed, tmp_path)
    assert service.tick(T0 + timedelta(minutes=5)) == 0 and sink.items == [] and not service.jobs


def test_a_video_alarm_uses_its_own_camera_and_its_own_snapshot(tmp_path: Path) -> None:
    own = tmp_path / "event.jpg"
    own.write_bytes(b"\xff\xd8event")
    feed = FakeFeed([alarm(1, zone="3", kind="video", camera_id="CAM-C", snapshot=str(own))])
    service, sink = media_for(feed, tmp_path)
    service.tick(T0)
    (snap,) = sink.items
    assert (snap.camera_id, snap.path, snap.size) == ("CAM-C", str(own), 7)


def test_a_late_alarm_gets_no_live_snapshot_but_its_clip(tmp_path: Path) -> None:
    feed = FakeFeed([alarm(1)])
    service, sink = media_for(feed, tmp_path)
    service.tick(T0 + timedelta(minutes=5))  # found late (restart): a live frame would mislead
    assert {m.kind for m in sink.items} == {"clip"}


def test_overlapping_alarms_on_one_camera_make_one_longer_clip(tmp_path: Path) -> None:
    feed = FakeFeed([alarm(1, zone="5", camera_id="CAM-A", kind="video")])
    cutter = Cutter()
    service, _ = media_for(feed, tmp_path, cutter)
    service.tick(T0)
    feed.alarms.append(alarm(2, zone="5", camera_id="CAM-A", kind="video",
                             raised_at=T0 + timedelta(seconds=8)))  # fmt: skip
    service.tick(T0 + timedelta(seconds=8))
    service.tick(T0 + timedelta(minutes=1))
    assert [(s - T0, e - T0) for _, s, e in cutter.calls] == [
        (timedelta(seconds=-10), timedelta(seconds=28))
    ]


def test_a_failed_cut_is_retried_then_given_up_with_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed = FakeFeed([alarm(1, zone="5", camera_id="CAM-A", kind="video")])
    cutter = Cutter(fail=5)
    service, sink = media_for(feed, tmp_path, cutter)
    service.tick(T0)
    for minute in range(1, 5):
        service.tick(T0 + timedelta(minutes=minute))
    assert len(cutter.calls) == 3 and not service.jobs
    assert "no clip of camera CAM-A" in caplog.text
    assert [m.kind for m in sink.items] == ["snapshot"]


def test_media_already_attached_before_a_restart_are_not_attached_twice(tmp_path: Path) -> None:
    feed = FakeFeed([alarm(1, zone="5", camera_id="CAM-A", kind="video")])
    service, sink = media_for(feed, tmp_path)
    service.tick(T0)
    service.tick(T0 + timedelta(minutes=1))
    again = AlarmMedia(
        feed, sink, cameras=lambda: CAMERAS, sites=lambda: [SITE], latest_jpeg=lambda c: JPEG,
        cut_clip=Cutter(), media_root=tmp_path, clock=lambda: T0,
    )  # fmt: skip
    again.tick(T0 + timedelta(seconds=61))  # lookback 120 s: alarm 1 is seen again
    assert again.tick(T0 + timedelta(minutes=5)) == 0
    assert sorted(m.kind for m in sink.items) == ["clip", "snapshot"]


def test_a_video_loss_gets_no_clip(tmp_path: Path) -> None:
    feed = FakeFeed([alarm(1, kind="camera_fault", code="VIDEO_LOSS", camera_id="CAM-A")])
    service, _ = media_for(feed, tmp_path)
    service.tick(T0)
    assert service.jobs == []
