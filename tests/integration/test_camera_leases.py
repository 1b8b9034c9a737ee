"""Camera leases on SQLite and PostgreSQL: several ``vigie serve`` share the cameras out
fairly, never run one camera twice, take a dead process's cameras over after the TTL, and a
process that loses its database stops its cameras before its leases lapse."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from tests.conftest import FakeClock
from vigie.adapters.db.camera_leases import SqlCameraLeases
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.migrate import upgrade
from vigie.domain.video import Camera
from vigie.services.camera_leasing import CameraLeases, CameraLeasing

TTL = timedelta(seconds=30)
IDS = [f"CAM{n:02d}" for n in range(10)]


def _camera(camera_id: str, *, enabled: bool = True) -> Camera:
    return Camera(
        camera_id, "S1", f"Caméra {camera_id}", main_url="rtsp://127.0.0.1/x", enabled=enabled
    )


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def leases(engine: Engine) -> SqlCameraLeases:
    return SqlCameraLeases(engine)


def _rounds(
    leases: SqlCameraLeases, holders: Sequence[str], now: datetime, rounds: int = 3
) -> dict[str, set[str]]:
    held: dict[str, set[str]] = {}
    for _ in range(rounds):
        for holder in holders:
            held[holder] = leases.renew(holder, IDS, now, TTL)
    return held


def _assert_disjoint(held: dict[str, set[str]]) -> None:
    seen: list[str] = [camera_id for cameras in held.values() for camera_id in cameras]
    assert len(seen) == len(set(seen)), held


def test_two_holders_split_ten_cameras_five_five(leases: SqlCameraLeases, clock: FakeClock) -> None:
    first = leases.renew("A", IDS, clock.now(), TTL)
    assert first == set(IDS)  # alone: everything
    held = _rounds(leases, ["B", "A", "B"], clock.now(), rounds=1)
    assert len(held["A"]) == len(held["B"]) == 5
    _assert_disjoint(held)
    assert held["A"] | held["B"] == set(IDS)
    owners = leases.holders(clock.now())
    assert {cid for cid, holder in owners.items() if holder == "A"} == held["A"]
    assert {cid for cid, holder in owners.items() if holder == "B"} == held["B"]


def test_the_split_settles_and_stays(leases: SqlCameraLeases, clock: FakeClock) -> None:
    held = _rounds(leases, ["A", "B", "C"], clock.now())
    assert sorted(len(cameras) for cameras in held.values()) == [3, 3, 4]
    _assert_disjoint(held)
    assert set().union(*held.values()) == set(IDS)
    for _ in range(3):  # no flapping: later renewals keep every camera where it is
        clock.advance(10)
        assert _rounds(leases, ["C", "A", "B"], clock.now(), rounds=1) == held


def test_a_silent_holder_loses_its_cameras_after_the_ttl(
    leases: SqlCameraLeases, clock: FakeClock
) -> None:
    held = _rounds(leases, ["A", "B"], clock.now())
    assert len(held["B"]) == 5
    for _ in range(2):  # A is dead: B alone renews, A's leases still run
        clock.advance(10)
        assert leases.renew("B", IDS, clock.now(), TTL) == held["B"]
    clock.advance(10)  # 30 s since A's last renewal
    assert leases.renew("B", IDS, clock.now(), TTL) == set(IDS)
    assert set(leases.holders(clock.now()).values()) == {"B"}


def test_release_all_frees_at_once(leases: SqlCameraLeases, clock: FakeClock) -> None:
    assert leases.renew("A", IDS, clock.now(), TTL) == set(IDS)
    assert leases.renew("B", IDS, clock.now(), TTL) == set()
    assert leases.release_all("A") == 10
    assert leases.renew("B", IDS, clock.now(), TTL) == set(IDS)


def test_a_camera_removed_from_the_register_is_given_back(
    leases: SqlCameraLeases, clock: FakeClock
) -> None:
    assert leases.renew("A", IDS, clock.now(), TTL) == set(IDS)
    assert leases.renew("A", IDS[:8], clock.now(), TTL) == set(IDS[:8])
    assert set(leases.holders(clock.now())) == set(IDS[:8])


def test_a_disabled_camera_is_not_wanted(leases: SqlCameraLeases, clock: FakeClock) -> None:
    cameras = [_camera(cid, enabled=cid != "CAM03") for cid in IDS]
    leasing = CameraLeasing(leases, "A", clock)
    running = leasing.tick(cameras)
    assert [c.id for c in running] == [cid for cid in IDS if cid != "CAM03"]
    assert "CAM03" not in leases.holders(clock.now())
    other = CameraLeasing(leases, "B", clock)
    assert other.tick(cameras) == []  # A keeps its nine until someone is short
    assert len(leasing.tick(cameras)) == 5  # ceil(9 / 2)
    assert len(other.tick(cameras)) == 4


def test_racing_renewals_never_share_a_camera(db_url: str, clock: FakeClock) -> None:
    """Six holders, each on its own engine (like processes), renew at the same time."""
    holders = [f"worker-{n}" for n in range(6)]
    engines = [make_engine(db_url) for _ in holders]
    upgrade(engines[0])
    errors: list[BaseException] = []
    last: dict[str, set[str]] = {}
    start = threading.Barrier(len(holders))

    def work(holder: str, engine: Engine) -> None:
        store = SqlCameraLeases(engine)
        try:
            start.wait(timeout=10)
            for _ in range(12):
                last[holder] = store.renew(holder, IDS, clock.now(), TTL)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=pair) for pair in zip(holders, engines, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        _assert_disjoint(last)  # with the time fixed, the last answers are all current
        owners = SqlCameraLeases(engines[0]).holders(clock.now())
        for holder in holders:
            assert {cid for cid, h in owners.items() if h == holder} == last[holder]
        final = _rounds(SqlCameraLeases(engines[0]), holders, clock.now())
        assert sorted(len(c) for c in final.values()) == [1, 1, 2, 2, 2, 2]
        assert set().union(*final.values()) == set(IDS)
    finally:
        for engine in engines:
            engine.dispose()


class FlakyLeases(CameraLeases):
    """The real leases, behind a switch that cuts the database off."""

    def __init__(self, inner: SqlCameraLeases) -> None:
        self.inner = inner
        self.down = False

    def renew(
        self, holder: str, camera_ids_wanted: Sequence[str], now: datetime, ttl: timedelta
    ) -> set[str]:
        if self.down:
            raise ConnectionError("database unreachable")
        return self.inner.renew(holder, camera_ids_wanted, now, ttl)

    def release_all(self, holder: str) -> int:
        return self.inner.release_all(holder)


def _eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.01)


def test_run_stops_the_cameras_before_its_leases_lapse(
    leases: SqlCameraLeases, clock: FakeClock
) -> None:
    flaky = FlakyLeases(leases)
    leasing = CameraLeasing(flaky, "A", clock, ttl=TTL, every=timedelta(seconds=0.02))
    cameras = [_camera(cid) for cid in IDS[:3]]
    applied: list[list[str]] = []

    async def scenario() -> None:
        task = asyncio.create_task(leasing.run(lambda: cameras, record))
        await asyncio.to_thread(_eventually, lambda: applied == [IDS[:3]])
        await asyncio.sleep(0.1)  # further renewals change nothing: no reload
        assert applied == [IDS[:3]]
        flaky.down = True
        clock.advance(20)  # 10 s of lease left: keep recording
        await asyncio.sleep(0.1)
        assert applied == [IDS[:3]]
        clock.advance(9.99)  # the next tick would come after the lease lapsed
        await asyncio.to_thread(_eventually, lambda: applied[-1] == [])
        assert leasing.held_ids == frozenset()
        clock.advance(0.01)  # B takes the lapsed cameras over
        assert leases.renew("B", IDS[:3], clock.now(), TTL) == set(IDS[:3])
        flaky.down = False  # A's database is back: B holds them all, A gets its share
        await asyncio.to_thread(_eventually, lambda: applied[-1] == [])
        cameras.append(_camera("CAM09"))
        leasing.wake()
        await asyncio.to_thread(_eventually, lambda: applied[-1] == ["CAM09"])
        task.cancel()
        assert leasing.release() == 1
        assert leases.holders(clock.now()) == dict.fromkeys(IDS[:3], "B")

    def record(running: list[Camera]) -> None:
        applied.append([c.id for c in running])

    asyncio.run(scenario())


def test_wake_ticks_at_once(leases: SqlCameraLeases, clock: FakeClock) -> None:
    """A register change is followed at once, not at the next period."""
    leasing = CameraLeasing(leases, "A", clock, ttl=timedelta(hours=1), every=timedelta(minutes=5))
    cameras = [_camera("CAM00")]
    applied: list[list[str]] = []

    async def scenario() -> None:
        task = asyncio.create_task(
            leasing.run(lambda: list(cameras), lambda r: applied.append([c.id for c in r]))
        )
        await asyncio.to_thread(_eventually, lambda: applied == [["CAM00"]])
        cameras.append(_camera("CAM01"))
        leasing.wake()
        await asyncio.to_thread(_eventually, lambda: applied[-1] == ["CAM00", "CAM01"])
        task.cancel()

    asyncio.run(scenario())
