"""Who runs camera X, and at which URL (migration 0011), on SQLite and PostgreSQL: what a
web node reads before relaying a live view of a camera it does not run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from tests.conftest import FakeClock
from vigie.adapters.db import migrate
from vigie.adapters.db.camera_leases import SqlCameraLeases
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.migrate import upgrade
from vigie.services.camera_leasing import CameraHolder

TTL = timedelta(seconds=30)
IDS = ["CAM01", "CAM02"]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_the_holder_of_a_camera_and_its_advertised_url(engine: Engine, clock: FakeClock) -> None:
    a = SqlCameraLeases(engine, url="http://10.0.0.12:8000")
    b = SqlCameraLeases(engine)  # bound to every address, no VIGIE_ADVERTISE_URL
    assert a.renew("A", IDS, clock.now(), TTL) == set(IDS)
    assert b.renew("B", IDS, clock.now(), TTL) == set()
    held_by_a = a.renew("A", IDS, clock.now(), TTL)  # A gives one back for B
    held_by_b = b.renew("B", IDS, clock.now(), TTL)
    assert len(held_by_a) == len(held_by_b) == 1
    (mine,), (theirs,) = held_by_a, held_by_b
    assert b.holder_of(mine, clock.now()) == CameraHolder("A", "http://10.0.0.12:8000")
    assert a.holder_of(theirs, clock.now()) == CameraHolder("B", "")
    assert a.holder_of("CAM-UNKNOWN", clock.now()) is None


def test_a_lapsed_holder_holds_nothing_any_more(engine: Engine, clock: FakeClock) -> None:
    leases = SqlCameraLeases(engine, url="http://a:8000")
    leases.renew("A", IDS, clock.now(), TTL)
    assert leases.holder_of("CAM01", clock.now()) == CameraHolder("A", "http://a:8000")
    clock.advance(TTL.total_seconds())  # A stopped renewing
    assert leases.holder_of("CAM01", clock.now()) is None
    leases.renew("A", IDS, clock.now(), TTL)
    assert leases.release_all("A") == 2  # a clean stop: nobody at once
    assert leases.holder_of("CAM01", clock.now()) is None


def test_the_url_follows_a_restart_with_another_address(engine: Engine, clock: FakeClock) -> None:
    SqlCameraLeases(engine, url="http://old:8000").renew("A", IDS, clock.now(), TTL)
    SqlCameraLeases(engine, url="http://new:8000").renew("A", IDS, clock.now(), TTL)
    assert SqlCameraLeases(engine).holder_of("CAM02", clock.now()) == CameraHolder(
        "A", "http://new:8000"
    )


def test_migration_0011_goes_down_and_up_again(engine: Engine) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("camera_lease_holders")}

    assert "url" in columns()
    config = Config()
    config.set_main_option("script_location", str(migrate._SCRIPTS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010")
    assert "url" not in columns() and "joined_at" in columns()
    upgrade(engine)
    assert "url" in columns()
