"""Retention: exactly what is past each camera's limit goes, held periods and exports stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.integration.test_camera_store import T0, Station, build_station, make_camera
from vigie.domain.errors import InvalidValue
from vigie.domain.logbook import LogKind
from vigie.domain.video_media import IncidentMedia
from vigie.services.logbook import Actor
from vigie.services.video_retention import LegalHolds, VideoRetention

SUPERVISOR = Actor("paul", "supervisor", "CAR-2", "10.0.0.9")
DAY = timedelta(days=1)


@pytest.fixture
def station(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    built = build_station(db_url, tmp_path, clock)
    built.cameras.save(make_camera("CAM-7", retention_days=7))
    built.cameras.save(make_camera("CAM-30"))
    yield built
    built.engine.dispose()


def _retention(station: Station) -> VideoRetention:
    return VideoRetention(
        station.cameras, station.segments, station.media, station.holds, station.logbook
    )


def _remaining(station: Station, camera_id: str) -> list[int]:
    """Days before ``now`` of each remaining segment's start."""
    found = station.segments.between(camera_id, T0 - 400 * DAY, T0 + DAY)
    return sorted((T0 - s.start).days for s in found)


def test_each_camera_keeps_its_own_number_of_days_and_the_purge_is_logged(
    station: Station,
) -> None:
    for days in (1, 6, 8, 29, 31):
        station.record("CAM-7", T0 - days * DAY)
        station.record("CAM-30", T0 - days * DAY)
    doomed = [s.path for s in station.segments.older_than("CAM-7", T0 - 7 * DAY)]

    report = _retention(station).purge(T0)

    assert _remaining(station, "CAM-7") == [1, 6]
    assert _remaining(station, "CAM-30") == [1, 6, 8, 29]
    assert not any(Path(p).exists() for p in doomed)
    assert (report.segments, report.bytes) == (4, 4000)
    entries = station.logbook.search(kind=LogKind.VIDEO)
    assert sorted(e.data["camera_id"] for e in entries) == ["CAM-30", "CAM-7"]
    seven = next(e for e in entries if e.data["camera_id"] == "CAM-7")
    assert seven.data["segments"] == 3 and seven.data["bytes"] == 3000
    assert "CAM-7" in seven.text and "3 segment(s)" in seven.text


def test_a_purge_with_nothing_to_delete_writes_nothing(station: Station) -> None:
    station.record("CAM-7", T0 - DAY)
    report = _retention(station).purge(T0)
    assert report.segments == 0
    assert station.logbook.search(kind=LogKind.VIDEO) == []


def test_a_legal_hold_keeps_what_it_overlaps_until_released(station: Station) -> None:
    for days in (10, 12, 14):
        station.record("CAM-7", T0 - days * DAY)
    holds = LegalHolds(station.holds, station.logbook)
    hold = holds.hold(
        "CAM-7",
        T0 - 12 * DAY - timedelta(minutes=5),
        T0 - 12 * DAY + timedelta(minutes=5),
        "Cambriolage, enquête de flagrance",
        "Réquisition OPJ 2026/77",
        SUPERVISOR,
    )

    report = _retention(station).purge(T0)
    assert _remaining(station, "CAM-7") == [12]
    assert {c.camera_id: c.kept_by_hold for c in report.cameras} == {"CAM-30": 0, "CAM-7": 1}

    assert hold.id is not None
    holds.release(hold.id, SUPERVISOR, note="classement")
    _retention(station).purge(T0)
    assert _remaining(station, "CAM-7") == []
    actions = [e.data["action"] for e in station.logbook.search(kind=LogKind.VIDEO)]
    assert actions == ["video_hold", "video_purge", "video_hold_release", "video_purge"]


def test_a_hold_needs_a_reason_and_a_reference(station: Station) -> None:
    with pytest.raises(InvalidValue, match="reference"):
        LegalHolds(station.holds, station.logbook).hold("CAM-7", T0, T0, "vol", " ", SUPERVISOR)


def test_incident_media_follow_retention_and_missing_files_are_reported(
    station: Station,
) -> None:
    clip = station.root / "clip.mp4"
    clip.write_bytes(b"clip")
    for path, days in ((clip, 9), (station.root / "gone.jpg", 9), (station.root / "new.jpg", 2)):
        station.media.attach(
            IncidentMedia(
                1, "CAM-7", "clip", str(path), T0 - days * DAY, T0 - days * DAY, 4, "0" * 64, T0
            )
        )
    station.record("CAM-7", T0 - 9 * DAY)
    Path(station.segments.older_than("CAM-7", T0)[0].path).unlink()

    report = _retention(station).purge(T0)

    (cam,) = [c for c in report.cameras if c.camera_id == "CAM-7"]
    assert (cam.segments, cam.media) == (1, 2)
    assert len(cam.missing) == 2 and not clip.exists()
    assert [m.path for m in station.media.for_incident(1)] == [str(station.root / "new.jpg")]


def test_exports_are_never_purged(station: Station) -> None:
    from tests.integration.test_video_export import OPERATOR, FakeCutter
    from vigie.services.video_export import VideoExports

    station.record("CAM-7", T0 - 20 * DAY)
    exports = VideoExports(
        station.cameras, station.segments, station.extractions, station.logbook,
        station.root / "exports", FakeCutter(),
    )  # fmt: skip
    done = exports.export(
        "CAM-7", T0 - 20 * DAY, T0 - 20 * DAY + timedelta(seconds=5), OPERATOR, "vol", "OPJ"
    )

    _retention(station).purge(T0)
    assert Path(done.path).exists()
    assert done.id is not None and exports.verify(done.id).ok
