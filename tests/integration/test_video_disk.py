"""The low-disk guard on a fake disk, with the real segment index, holds and main courante."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.integration.test_camera_store import T0, Station, build_station
from vigie.adapters.video.disk_space import LocalDisk
from vigie.domain.logbook import LogKind
from vigie.domain.video import Segment
from vigie.domain.video_disk import parse_min_free
from vigie.services.logbook import Actor
from vigie.services.video_disk import DiskGuard, DiskSpace, DiskUsage, run_disk_guard
from vigie.services.video_retention import LegalHolds

SUPERVISOR = Actor("chef", "supervisor", "CAR-069-2031-01-01-000003", "10.0.0.9")


class FakeDisk(DiskSpace):
    """A disk of ``total`` bytes: ``other`` used by something else, plus the files under
    the measured folder, which the guard's deletions really shrink."""

    def __init__(self, total: int, other: int) -> None:
        self.total, self.other = total, other

    def usage(self, path: Path) -> DiskUsage:
        ours = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return DiskUsage(self.total, self.total - self.other - ours)


@pytest.fixture
def station(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    built = build_station(sqlite_url, tmp_path, clock)
    for second in (0, 10, 20, 30):  # 8 segments of 1000 bytes, two cameras interleaved
        built.record("CAM-A", T0 + timedelta(seconds=second))
        built.record("CAM-B", T0 + timedelta(seconds=second + 5))
    yield built
    built.engine.dispose()


def _guard(station: Station, disk: DiskSpace, min_free: str = "20%") -> DiskGuard:
    return DiskGuard(
        disk, station.segments, station.holds, station.logbook, station.root / "rec",
        parse_min_free(min_free), margin_fraction=0.01,
    )  # fmt: skip


def _left(station: Station) -> list[tuple[str, int]]:
    return [
        (s.camera_id, int((s.start - T0).total_seconds())) for s in station.segments.oldest(100)
    ]


def _entries(station: Station, kind: LogKind) -> list[str]:
    return [e.text for e in station.logbook.search(kind=kind, limit=100)]


def test_above_the_threshold_nothing_is_touched(station: Station) -> None:
    disk = FakeDisk(100_000, 70_000)  # 22 000 free >= 20 000
    sweep = _guard(station, disk).sweep(T0)
    assert sweep.deleted == [] and not sweep.at_risk
    assert len(_left(station)) == 8
    assert _entries(station, LogKind.VIDEO) == _entries(station, LogKind.SYSTEM) == []


def test_the_oldest_unheld_segments_go_until_threshold_plus_margin(station: Station) -> None:
    LegalHolds(station.holds, station.logbook).hold(
        "CAM-B", T0 + timedelta(seconds=6), T0 + timedelta(seconds=7), "vol", "PV 1", SUPERVISOR
    )
    outside = station.root / "elsewhere.mp4"  # indexed but not under the recordings
    outside.write_bytes(b"\x00" * 1000)
    day_before = T0 - timedelta(days=1)
    station.segments.add(Segment("CAM-Z", day_before, day_before, str(outside), 1000))
    disk = FakeDisk(100_000, 75_000)  # 17 000 free: 4 000 short of 20 000 + 1 000
    sweep = _guard(station, disk).sweep(T0 + timedelta(minutes=1))

    assert [(s.camera_id, int((s.start - T0).total_seconds())) for s in sweep.deleted] == [
        ("CAM-A", 0), ("CAM-A", 10), ("CAM-B", 15), ("CAM-A", 20),
    ]  # fmt: skip
    assert (sweep.before.free, sweep.after.free, sweep.kept_by_hold) == (17_000, 21_000, 1)
    assert not sweep.at_risk and all(not Path(s.path).exists() for s in sweep.deleted)
    assert _left(station) == [("CAM-Z", -86400), ("CAM-B", 5), ("CAM-B", 25), ("CAM-A", 30),
                              ("CAM-B", 35)]  # fmt: skip
    assert outside.exists()
    (purge,) = [t for t in _entries(station, LogKind.VIDEO) if t.startswith("Espace disque")]
    assert purge.startswith("Espace disque vidéo insuffisant")
    assert "4 segment(s) parmi les plus anciens supprimé(s), 4.0 ko libérés" in purge
    assert "(17.0 ko libres sur 100.0 ko, seuil 20.0 ko)" in purge
    assert "caméras CAM-A, CAM-B, du 28/11/2026 13:00 au 28/11/2026 13:00" in purge
    assert "1 conservé(s) sous gel judiciaire" in purge
    assert _entries(station, LogKind.SYSTEM) == []


def test_nothing_deletable_tells_the_operators_recording_is_at_risk(
    station: Station, clock: FakeClock
) -> None:
    holds = LegalHolds(station.holds, station.logbook)
    hold = holds.hold("CAM-A", T0, T0 + timedelta(hours=1), "vol", "PV 2", SUPERVISOR)
    holds.hold("CAM-B", T0, T0 + timedelta(hours=1), "vol", "PV 3", SUPERVISOR)
    disk = FakeDisk(100_000, 75_000)  # 17 000 free, everything held
    guard = _guard(station, disk)

    first = guard.sweep(T0)
    assert first.at_risk and first.deleted == [] and first.kept_by_hold == 8
    (alert,) = _entries(station, LogKind.SYSTEM)
    assert alert.startswith("ENREGISTREMENT VIDÉO EN DANGER")
    assert "plus aucun enregistrement supprimable (8 segment(s) sous gel judiciaire)" in alert
    assert guard.sweep(T0 + timedelta(minutes=1)).at_risk
    assert len(_entries(station, LogKind.SYSTEM)) == 1  # not once a minute
    assert guard.sweep(T0 + timedelta(hours=1, minutes=1)).at_risk
    assert len(_entries(station, LogKind.SYSTEM)) == 2  # reminded every hour

    assert hold.id is not None
    holds.release(hold.id, SUPERVISOR, note="classement")
    back = guard.sweep(T0 + timedelta(hours=2))
    assert not back.at_risk and back.after.free >= 20_000
    assert [s.camera_id for s in back.deleted] == ["CAM-A"] * 4
    assert _entries(station, LogKind.SYSTEM)[-1].startswith(
        "Espace disque vidéo revenu au-dessus du seuil"
    )


def test_the_real_disk_port_and_the_minute_loop(station: Station, tmp_path: Path) -> None:
    usage = LocalDisk().usage(tmp_path / "new" / "recordings")
    stat = os.statvfs(tmp_path)
    assert usage.total == stat.f_blocks * stat.f_frsize
    assert 0 < usage.free <= usage.total
    sweeps: list[datetime] = []

    class Counting(DiskGuard):
        def sweep(self, now: datetime):  # type: ignore[no-untyped-def]
            sweeps.append(now)
            return super().sweep(now)

    guard = Counting(
        FakeDisk(100_000, 0), station.segments, station.holds, station.logbook,
        station.root / "rec", parse_min_free("5%"),
    )  # fmt: skip

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_disk_guard(guard, lambda: T0, every=timedelta(seconds=0.05), stop=stop)
        )
        while len(sweeps) < 2:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    asyncio.run(run())
    assert sweeps[:2] == [T0, T0]


def test_the_index_pages_segments_oldest_first_across_cameras(
    db_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    built = build_station(db_url, tmp_path, clock)
    try:
        for second in (20, 0, 10):
            built.record("CAM-B", T0 + timedelta(seconds=second))
            built.record("CAM-A", T0 + timedelta(seconds=second))
        first = built.segments.oldest(4)
        last = first[-1]
        assert last.id is not None
        rest = built.segments.oldest(4, (last.start, last.id))
        seen = [(s.camera_id, int((s.start - T0).total_seconds())) for s in first + rest]
        # same start: index order (CAM-B was recorded first)
        assert seen == [("CAM-B", 0), ("CAM-A", 0), ("CAM-B", 10), ("CAM-A", 10),
                        ("CAM-B", 20), ("CAM-A", 20)]  # fmt: skip
    finally:
        built.engine.dispose()
