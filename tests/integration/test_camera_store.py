"""Cameras, segments and incident media on SQLite and PostgreSQL; credentials sealed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select

from tests.conftest import FakeClock
from vigie.adapters.db.camera_store import CameraStore, SegmentStore
from vigie.adapters.db.camera_tables import cameras as cameras_table
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.media_store import ExtractionStore, HoldStore, MediaStore
from vigie.adapters.db.migrate import upgrade
from vigie.domain.errors import NotFound
from vigie.domain.video import Camera, Segment, ZoneRule
from vigie.domain.video_media import IncidentMedia
from vigie.services.credential_box import CredentialBox, CredentialError
from vigie.services.logbook import Logbook

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SECRET = "Tr0ub4dor&3-caméra"


def make_camera(camera_id: str = "CAM-1", **changes: object) -> Camera:
    fields: dict[str, object] = {
        "id": camera_id,
        "site_id": "PHARMA-01",
        "name": f"Entrée {camera_id}",
        "main_url": "rtsp://127.0.0.1:8554/main",
        "username": "viewer",
        "password": SECRET,
        "zones": ("1", "3"),
        "privacy_masks": (((0.0, 0.0), (0.2, 0.0), (0.2, 0.2)),),
        "zone_rules": (ZoneRule("porte", ((0.1, 0.1), (0.5, 0.1), (0.5, 0.9)), person=True),),
    }
    fields.update(changes)
    return Camera(**fields)  # type: ignore[arg-type]


@dataclass
class Station:
    engine: Engine
    box: CredentialBox
    cameras: CameraStore
    segments: SegmentStore
    media: MediaStore
    extractions: ExtractionStore
    holds: HoldStore
    logbook_store: SqlLogbook
    logbook: Logbook
    clock: FakeClock
    root: Path

    def record(self, camera_id: str, start: datetime, seconds: int = 10) -> Segment:
        """A fake segment file of ``seconds`` and its index row."""
        path = self.root / "rec" / camera_id / f"{start:%Y%m%dT%H%M%S}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x00" * 1000)
        end = start + timedelta(seconds=seconds)
        return self.segments.add(Segment(camera_id, start, end, str(path), 1000))


def build_station(db_url: str, root: Path, clock: FakeClock) -> Station:
    engine = make_engine(db_url)
    upgrade(engine)
    box = CredentialBox(Fernet.generate_key())
    logbook_store = SqlLogbook(engine)
    return Station(
        engine=engine,
        box=box,
        cameras=CameraStore(engine, box),
        segments=SegmentStore(engine),
        media=MediaStore(engine),
        extractions=ExtractionStore(engine, logbook_store),
        holds=HoldStore(engine, logbook_store),
        logbook_store=logbook_store,
        logbook=Logbook(logbook_store, clock),
        clock=clock,
        root=root,
    )


@pytest.fixture
def station(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    built = build_station(db_url, tmp_path, clock)
    yield built
    built.engine.dispose()


def test_camera_round_trip_keeps_every_field_and_never_stores_the_password(
    station: Station,
) -> None:
    camera = make_camera()
    station.cameras.save(camera)

    assert station.cameras.camera("CAM-1") == camera
    with station.engine.connect() as conn:
        row = conn.execute(select(cameras_table)).one()._mapping
    stored = " ".join(str(v) for v in row.values())
    assert SECRET not in stored
    assert "viewer" not in stored
    assert station.box.open(row["password_enc"]) == SECRET


def test_replacing_a_camera_and_deleting_it(station: Station) -> None:
    changes: list[tuple[str, str, dict[str, object]]] = []
    station.cameras.on_change = lambda kind, text, data: changes.append((kind, text, data))
    station.cameras.save(make_camera())
    station.cameras.save(make_camera(name="Quai", retention_days=7, password=""))

    (only,) = station.cameras.cameras()
    assert (only.name, only.retention_days, only.password) == ("Quai", 7, "")
    assert station.cameras.delete("CAM-1")
    assert not station.cameras.delete("CAM-1")
    with pytest.raises(NotFound):
        station.cameras.camera("CAM-1")
    assert [c[0] for c in changes] == ["camera.saved", "camera.saved", "camera.deleted"]
    assert "ajoutée" in changes[0][1] and "modifiée" in changes[1][1]
    assert SECRET not in repr(changes)


def test_another_key_cannot_read_the_credentials_and_says_which_setting(
    station: Station,
) -> None:
    station.cameras.save(make_camera())
    stranger = CameraStore(station.engine, CredentialBox(Fernet.generate_key()))

    with pytest.raises(CredentialError, match="VIGIE_SECRET_KEY"):
        stranger.cameras()


def test_segments_between_and_older_than(station: Station) -> None:
    for minute in range(5):
        station.record("CAM-1", T0 + timedelta(minutes=minute))
    station.record("CAM-2", T0)

    found = station.segments.between(
        "CAM-1", T0 + timedelta(minutes=1, seconds=5), T0 + timedelta(minutes=3)
    )
    assert [s.start for s in found] == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    old = station.segments.older_than("CAM-1", T0 + timedelta(minutes=2))
    assert [s.start for s in old] == [T0, T0 + timedelta(minutes=1)]
    assert station.segments.delete([s.id for s in old if s.id is not None]) == 2
    assert station.segments.camera_ids() == ["CAM-1", "CAM-2"]


def test_incident_media_attach_and_read(station: Station) -> None:
    media = station.media.attach(
        IncidentMedia(
            incident_id=7,
            alarm_id=3,
            camera_id="CAM-1",
            kind="clip",
            path="/tmp/x.mp4",
            start=T0,
            end=T0 + timedelta(seconds=20),
            size=42,
            sha256="ab" * 32,
            created_at=T0,
        )
    )
    assert media.id is not None
    assert station.media.for_incident(7) == [media]
    assert station.media.get(media.id) == media
    with pytest.raises(NotFound):
        station.media.get(media.id + 1)


def test_key_file_is_created_owner_only_and_reused(tmp_path: Path) -> None:
    box = CredentialBox.from_settings(None, tmp_path / "data")
    key_file = tmp_path / "data" / "camera.key"

    assert key_file.stat().st_mode & 0o777 == 0o600
    token = box.seal("secret")
    assert CredentialBox.from_settings("", tmp_path / "data").open(token) == "secret"


def test_a_malformed_key_setting_is_named() -> None:
    with pytest.raises(CredentialError, match="VIGIE_SECRET_KEY: expected a Fernet key"):
        CredentialBox.from_settings("not-a-key", Path("/nonexistent"))
