"""Exports: the file's SHA-256, the extraction register and the main courante agree."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.integration.test_camera_store import T0, Station, build_station, make_camera
from vigie.domain.errors import InvalidValue
from vigie.domain.logbook import LogKind
from vigie.domain.video import Polygon, Segment
from vigie.services.logbook import Actor
from vigie.services.video_export import ExportError, VideoExports

OPERATOR = Actor("marie", "operator", "CAR-069-2031-01-01-000123", "10.0.0.5")


@dataclass(frozen=True)
class FakeClip:
    path: Path
    start: datetime
    end: datetime
    size: int
    sha256: str
    frames: int


class FakeCutter:
    """Writes the segment paths as the clip's bytes, like a cutter that copies packets."""

    def __init__(self, lie: bool = False) -> None:
        self.lie = lie
        self.masks: list[Sequence[Polygon]] = []

    def __call__(
        self,
        segments: Sequence[Segment],
        start: datetime,
        end: datetime,
        out_path: Path,
        *,
        privacy_masks: Sequence[Polygon] = (),
    ) -> FakeClip:
        self.masks.append(privacy_masks)
        data = "\n".join(s.path for s in segments).encode()
        out_path.write_bytes(data)
        digest = hashlib.sha256(data + (b"x" if self.lie else b"")).hexdigest()
        return FakeClip(out_path, segments[0].start, segments[-1].end, len(data), digest, 50)


@pytest.fixture
def station(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Station]:
    built = build_station(db_url, tmp_path, clock)
    built.cameras.save(make_camera())
    for second in range(0, 60, 10):
        built.record("CAM-1", T0 + timedelta(seconds=second))
    yield built
    built.engine.dispose()


def _exports(station: Station, cutter: FakeCutter | None = None) -> VideoExports:
    return VideoExports(
        station.cameras,
        station.segments,
        station.extractions,
        station.logbook,
        station.root / "exports",
        cutter or FakeCutter(),
    )


def test_export_writes_the_file_the_register_and_the_main_courante(station: Station) -> None:
    cutter = FakeCutter()
    exports = _exports(station, cutter)

    done = exports.export(
        "CAM-1",
        T0 + timedelta(seconds=12),
        T0 + timedelta(seconds=35),
        OPERATOR,
        reason="Vol à l'étalage signalé",
        recipient="OPJ, commissariat de Lyon 3e",
        requisition="PV 2026/1234",
    )

    path = Path(done.path)
    assert path == station.root / "exports" / "2026" / f"{done.id}.mp4"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == done.sha256
    assert (done.actual_start, done.actual_end) == (
        T0 + timedelta(seconds=10),
        T0 + timedelta(seconds=40),
    )
    assert cutter.masks == [make_camera().privacy_masks]
    assert done.id is not None
    assert station.extractions.get(done.id) == done
    (entry,) = station.logbook.search(kind=LogKind.VIDEO)
    assert entry.author == "marie" and entry.card_number == OPERATOR.card_number
    assert done.sha256 in entry.text
    assert "OPJ, commissariat de Lyon 3e" in entry.text and "PV 2026/1234" in entry.text
    assert entry.data["extraction_id"] == done.id
    assert exports.verify(done.id).ok


def test_verify_finds_a_changed_or_missing_file(station: Station) -> None:
    exports = _exports(station)
    done = exports.export("CAM-1", T0, T0 + timedelta(seconds=20), OPERATOR, "r", "OPJ")
    assert done.id is not None
    Path(done.path).write_bytes(b"edited")
    assert not exports.verify(done.id).ok
    Path(done.path).unlink()
    assert exports.verify(done.id).actual_sha256 is None


@pytest.mark.parametrize(
    ("reason", "recipient", "field"), [(" ", "OPJ", "reason"), ("vol", "", "recipient")]
)
def test_reason_and_recipient_are_mandatory(
    station: Station, reason: str, recipient: str, field: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        _exports(station).export(
            "CAM-1", T0, T0 + timedelta(seconds=20), OPERATOR, reason, recipient
        )
    assert refused.value.field == field
    assert station.extractions.latest() == []
    assert station.logbook.search(kind=LogKind.VIDEO) == []


def test_a_hash_mismatch_or_no_recording_leaves_nothing(station: Station) -> None:
    with pytest.raises(ExportError, match="SHA-256"):
        _exports(station, FakeCutter(lie=True)).export(
            "CAM-1", T0, T0 + timedelta(seconds=20), OPERATOR, "vol", "OPJ"
        )
    with pytest.raises(ExportError, match="aucun enregistrement"):
        _exports(station).export(
            "CAM-1",
            T0 + timedelta(days=1),
            T0 + timedelta(days=1, seconds=9),
            OPERATOR,
            "vol",
            "OPJ",
        )
    assert station.extractions.latest() == []
    assert list((station.root / "exports" / "2026").iterdir()) == []


def test_download_is_logged(station: Station) -> None:
    exports = _exports(station)
    done = exports.export("CAM-1", T0, T0 + timedelta(seconds=20), OPERATOR, "vol", "OPJ")
    assert done.id is not None
    exports.download(done.id, Actor("paul", "supervisor", "CAR-2"))
    last = station.logbook.search(kind=LogKind.VIDEO, newest_first=True)[0]
    assert last.author == "paul" and last.data["action"] == "video_download"
