"""``vigie camera …`` and ``vigie video …`` from a shell, on SQLite."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.integration.test_camera_store import SECRET
from vigie.adapters.db.camera_store import SegmentStore
from vigie.adapters.db.camera_tables import cameras as cameras_table
from vigie.adapters.db.engine import make_engine
from vigie.domain.video import Segment
from vigie.entrypoints.cli_video import camera_app, video_app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "VIGIE_DATABASE_URL": f"sqlite:///{tmp_path / 'vigie.db'}",
        "VIGIE_VIDEO_ROOT": str(tmp_path / "video"),
        "VIGIE_SECRET_KEY": "",
    }


def _run(app: object, args: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env=env, input=stdin)  # type: ignore[arg-type]
    return result.exit_code, result.output


def test_add_list_remove_with_the_password_from_stdin(env: dict[str, str], tmp_path: Path) -> None:
    code, out = _run(
        camera_app,
        ["add", "CAM-1", "--site", "PHARMA-01", "--name", "Entrée",
         "--url", "rtsp://127.0.0.1:8554/main", "--username", "viewer", "--password-stdin",
         "--zone", "1", "--zone", "2", "--retention-days", "10"],
        env,
        stdin=SECRET + "\n",
    )  # fmt: skip
    assert code == 0, out
    code, out = _run(camera_app, ["list"], env)
    assert "CAM-1" in out and "10 j" in out and SECRET not in out
    assert (tmp_path / "camera.key").stat().st_mode & 0o777 == 0o600
    engine = make_engine(env["VIGIE_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(select(cameras_table)).one()
    engine.dispose()
    assert SECRET not in " ".join(str(v) for v in row)

    assert _run(camera_app, ["remove", "CAM-1"], env)[0] == 0
    assert _run(camera_app, ["remove", "CAM-1"], env)[0] == 2


def test_retention_above_thirty_days_is_refused(env: dict[str, str]) -> None:
    code, out = _run(
        camera_app,
        ["add", "CAM-1", "--site", "S", "--name", "N", "--url", "rtsp://h/x",
         "--retention-days", "31"],
        env,
    )  # fmt: skip
    assert code == 2
    assert "retention_days: expected 1 to 30 days (CSI L252-5)" in out


def test_import_names_line_and_field(env: dict[str, str], tmp_path: Path) -> None:
    good = {"id": "C1", "site_id": "S", "name": "N", "main_url": "rtsp://h/1"}
    bad = dict(good, id="C2", retention_days=45)
    path = tmp_path / "register.json"
    path.write_text(
        json.dumps({"format": "vigie-register", "version": 1, "cameras": [good, bad]}, indent=2)
    )
    code, out = _run(camera_app, ["import", str(path)], env)
    assert code == 2
    assert ": cameras[1].retention_days: expected 1 to 30 days (CSI L252-5)" in out
    line = int(out.split("register.json:")[1].split(":")[0])
    assert '"retention_days": 45' in path.read_text().splitlines()[line - 1]
    assert _run(camera_app, ["list"], env)[1].strip() == ""

    path.write_text(json.dumps({"cameras": [good]}))
    assert _run(camera_app, ["import", str(path)], env)[0] == 0
    exported = json.loads(_run(camera_app, ["export"], env)[1])
    assert [c["id"] for c in exported["cameras"]] == ["C1"]


def test_purge_and_an_unknown_export(env: dict[str, str], tmp_path: Path) -> None:
    _run(camera_app, ["add", "C1", "--site", "S", "--name", "N", "--url", "rtsp://h/1",
                      "--retention-days", "1"], env)  # fmt: skip
    from datetime import UTC, datetime

    old = datetime.now(UTC) - timedelta(days=3)
    file = tmp_path / "seg.mp4"
    file.write_bytes(b"x" * 10)
    engine = make_engine(env["VIGIE_DATABASE_URL"])
    SegmentStore(engine).add(Segment("C1", old, old + timedelta(seconds=10), str(file), 10))
    engine.dispose()

    code, out = _run(video_app, ["purge"], env)
    assert code == 0, out
    assert "purge: 1 segment(s), 0 media, 10 bytes" in out and not file.exists()
    assert _run(video_app, ["verify-export", "99"], env)[0] == 2
    assert _run(video_app, ["extractions"], env) == (0, "")
