"""Video patrols (rondes vidéo): the schedule's states, the pages, the main courante."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.integration.test_video_pages import PASSWORD, USERS
from tests.integration.test_video_pages_fakes import (
    FakeCameras,
    FakePtz,
    FakeSupervisor,
    cameras,
)
from tests.support.auth import sign_in
from tests.support.pipeline import Pipeline, authenticator
from vigie.domain.errors import InvalidValue
from vigie.domain.logbook import LogKind
from vigie.domain.video import Camera
from vigie.domain.video_patrols import (
    Patrol,
    PatrolRun,
    PatrolStep,
    SlotState,
    Verdict,
    slots_of_day,
)
from vigie.entrypoints.web.console_video import video_router
from vigie.services.video_patrols import JsonPatrolStore, VideoPatrols

PARIS = ZoneInfo("Europe/Paris")
ROUND = Patrol(
    "nuit", "Ronde de nuit", (PatrolStep("CAM-PHARMA-1", "1"), PatrolStep("CAM-BANQUE-1")),
    (time(8, 0), time(14, 0), time(22, 0)),
)  # fmt: skip


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 28, hour, minute, tzinfo=PARIS).astimezone(UTC)


def _run(started: datetime) -> PatrolRun:
    return PatrolRun("r1", "nuit", "Ronde de nuit", ROUND.steps, "alice", started)


def test_slots_are_upcoming_due_overdue_missed_or_done() -> None:
    states = [s.state for s in slots_of_day(ROUND, [], _at(14, 10), PARIS)]
    assert states == [SlotState.MISSED, SlotState.DUE, SlotState.UPCOMING]
    states = [s.state for s in slots_of_day(ROUND, [], _at(14, 16), PARIS)]
    assert states == [SlotState.MISSED, SlotState.OVERDUE, SlotState.UPCOMING]
    done = slots_of_day(ROUND, [_run(_at(13, 55))], _at(23, 0), PARIS)
    assert [s.state for s in done] == [SlotState.MISSED, SlotState.DONE, SlotState.OVERDUE]
    assert done[1].run_id == "r1"


def test_an_anomaly_needs_a_note_and_steps_go_in_order() -> None:
    run = _run(_at(8))
    with pytest.raises(InvalidValue):
        run.confirm(1, Verdict.CLEAR, "", "alice", _at(8, 1))  # step 0 comes first
    with pytest.raises(InvalidValue):
        run.confirm(0, Verdict.ANOMALY, " ", "alice", _at(8, 1))
    done = run.confirm(0, Verdict.CLEAR, "", "alice", _at(8, 1)).confirm(
        1, Verdict.ANOMALY, "porte ouverte", "alice", _at(8, 2)
    )
    assert done.finished and [c.camera_id for c in done.checks] == ["CAM-PHARMA-1", "CAM-BANQUE-1"]


def test_the_json_store_keeps_patrols_and_runs(tmp_path: Path) -> None:
    path = tmp_path / "patrols.json"
    store = JsonPatrolStore(path)
    store.save_patrol(ROUND)
    store.save_run(_run(_at(8)))
    again = JsonPatrolStore(path)
    assert again.patrols() == [ROUND]
    assert again.run("r1") == _run(_at(8))


@pytest.fixture
def patrol_app(pipe: Pipeline, clock: FakeClock) -> tuple[Any, FakePtz]:
    clock.current = _at(14, 5)
    every = cameras()
    ptz = FakePtz()

    def ptz_of(camera: Camera) -> FakePtz:
        return ptz

    patrols = VideoPatrols(JsonPatrolStore(), pipe.logbook, clock)
    app = pipe.app(auth=authenticator(pipe, USERS, PASSWORD))
    app.include_router(
        video_router(FakeSupervisor(every), FakeCameras(every), ptz=ptz_of, patrols=patrols)
    )
    return app, ptz


def _client(app: Any, name: str) -> TestClient:
    client = TestClient(app)
    sign_in(client, name, PASSWORD)
    return client


def test_a_patrol_is_defined_started_and_each_view_logged(
    patrol_app: tuple[Any, FakePtz], pipe: Pipeline
) -> None:
    app, ptz = patrol_app
    chef, alice = _client(app, "chef"), _client(app, "alice")
    form = {"name": "Ronde de nuit", "cameras": "CAM-PHARMA-1:1, CAM-BANQUE-1",
            "times": "22:00, 08:00, 14:00", "dwell": "5"}  # fmt: skip
    assert alice.post("/console/video/patrols", data=form).status_code == 403
    bad = chef.post("/console/video/patrols", data=form | {"cameras": "CAM-X"})
    assert bad.status_code == 422 and "CAM-X" in bad.text
    assert chef.post("/console/video/patrols", data=form).status_code == 200  # followed

    board = alice.get("/console/video/patrols").text
    row = re.search(r'<tr data-patrol="ronde-de-nuit" data-due="true">.*?</tr>', board, re.S)
    assert row is not None
    assert re.findall(r'data-state="(\w+)"', row.group(0)) == ["missed", "due", "upcoming"]

    started = alice.post("/console/video/patrols/ronde-de-nuit/start", follow_redirects=False)
    assert started.status_code == 303
    run_url = started.headers["location"]
    assert ptz.calls == [("goto", "1")]  # the first step's preset, reached before the view
    page = alice.get(run_url).text
    assert "Vue 1 sur 2" in page and 'src="/console/video/CAM-PHARMA-1/snapshot.jpg"' in page
    step = f"{run_url}/steps/0"
    assert alice.post(step, data={"verdict": "anomaly", "note": ""}).status_code == 422
    assert alice.post(step, data={"verdict": "ras"}).status_code == 200
    done = alice.post(f"{run_url}/steps/1", data={"verdict": "anomaly", "note": "store levé"})
    assert 'id="patrol-done"' in done.text and "store levé" in done.text

    texts = [e.text for e in pipe.logbook.search(kind=LogKind.VIDEO, limit=100)]
    assert texts == [
        "Ronde vidéo « Ronde de nuit » définie : CAM-PHARMA-1, CAM-BANQUE-1 ; "
        "horaires 08:00, 14:00, 22:00",
        "Ronde vidéo « Ronde de nuit » commencée (2 caméras)",
        "Ronde vidéo « Ronde de nuit » — caméra CAM-PHARMA-1 (vue 1/2) : RAS",
        "Ronde vidéo « Ronde de nuit » — caméra CAM-BANQUE-1 (vue 2/2) : ANOMALIE : store levé",
        "Ronde vidéo « Ronde de nuit » terminée : 2 vues, 1 anomalie(s)",
    ]
    board = alice.get("/console/video/patrols").text
    assert re.findall(r'data-state="(\w+)"', board) == ["missed", "done", "upcoming"]
