"""Video patrols as a use case: define them, start one, confirm each view, see what is due.

Every start and every confirmed view goes to the main courante (kind "video") with the
operator's identity, so a patrol leaves the same trace as a round walked by a guard.

Patrols and runs are kept behind ``PatrolStore``; ``JsonPatrolStore`` keeps them in one
JSON file (or only in memory when given no path). A first version: one station process
writes the file; a table can replace it behind the same port.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from vigie.domain.errors import NotFound
from vigie.domain.logbook import LogKind
from vigie.domain.video_patrols import (
    Patrol,
    PatrolRun,
    PatrolStep,
    Slot,
    StepCheck,
    Verdict,
    slots_of_day,
)
from vigie.services.logbook import Actor, Logbook
from vigie.services.ports import Clock

__all__ = ["JsonPatrolStore", "PatrolBoard", "PatrolStore", "VideoPatrols"]

logger = logging.getLogger(__name__)

RUNS_KEPT = timedelta(days=31)


class PatrolStore(Protocol):
    def patrols(self) -> list[Patrol]: ...

    def save_patrol(self, patrol: Patrol) -> None: ...

    def delete_patrol(self, patrol_id: str) -> None: ...

    def runs_since(self, since: datetime) -> list[PatrolRun]: ...

    def run(self, run_id: str) -> PatrolRun | None: ...

    def save_run(self, run: PatrolRun) -> None: ...


def _patrol_json(p: Patrol) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "steps": [[s.camera_id, s.preset, s.dwell_seconds] for s in p.steps],
        "times": [t.strftime("%H:%M") for t in p.times],
    }


def _patrol_of(d: dict[str, Any]) -> Patrol:
    steps = tuple(PatrolStep(str(c), str(p), int(w)) for c, p, w in d["steps"])
    times = tuple(time.fromisoformat(t) for t in d["times"])
    return Patrol(str(d["id"]), str(d["name"]), steps, times)


def _run_json(r: PatrolRun) -> dict[str, Any]:
    return {
        "id": r.id,
        "patrol_id": r.patrol_id,
        "patrol_name": r.patrol_name,
        "steps": [[s.camera_id, s.preset, s.dwell_seconds] for s in r.steps],
        "by": r.by,
        "started_at": r.started_at.isoformat(),
        "checks": [
            [c.index, c.camera_id, c.verdict.value, c.note, c.by, c.at.isoformat()]
            for c in r.checks
        ],
    }


def _run_of(d: dict[str, Any]) -> PatrolRun:
    checks = tuple(
        StepCheck(int(i), str(c), Verdict(v), str(n), str(b), datetime.fromisoformat(a))
        for i, c, v, n, b, a in d["checks"]
    )
    steps = tuple(PatrolStep(str(c), str(p), int(w)) for c, p, w in d["steps"])
    return PatrolRun(
        str(d["id"]), str(d["patrol_id"]), str(d["patrol_name"]), steps, str(d["by"]),
        datetime.fromisoformat(d["started_at"]), checks,
    )  # fmt: skip


class JsonPatrolStore:
    """Patrols and the last month of runs in one JSON file, rewritten atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._patrols: dict[str, Patrol] = {}
        self._runs: dict[str, PatrolRun] = {}
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self._patrols = {p.id: p for p in map(_patrol_of, data.get("patrols", []))}
            self._runs = {r.id: r for r in map(_run_of, data.get("runs", []))}

    def _write(self) -> None:
        if self._path is None:
            return
        data = {
            "patrols": [_patrol_json(p) for p in self._patrols.values()],
            "runs": [_run_json(r) for r in self._runs.values()],
        }
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self._path)

    def patrols(self) -> list[Patrol]:
        with self._lock:
            return sorted(self._patrols.values(), key=lambda p: p.name)

    def save_patrol(self, patrol: Patrol) -> None:
        with self._lock:
            self._patrols[patrol.id] = patrol
            self._write()

    def delete_patrol(self, patrol_id: str) -> None:
        with self._lock:
            if self._patrols.pop(patrol_id, None) is None:
                raise NotFound(f"no patrol {patrol_id}")
            self._write()

    def runs_since(self, since: datetime) -> list[PatrolRun]:
        with self._lock:
            return sorted(
                (r for r in self._runs.values() if r.started_at >= since),
                key=lambda r: r.started_at,
            )

    def run(self, run_id: str) -> PatrolRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def save_run(self, run: PatrolRun) -> None:
        with self._lock:
            self._runs[run.id] = run
            old = run.started_at - RUNS_KEPT
            self._runs = {k: r for k, r in self._runs.items() if r.started_at >= old}
            self._write()


@dataclass(frozen=True, slots=True)
class PatrolBoard:
    """One patrol and today's slots, for the patrols page."""

    patrol: Patrol
    slots: list[Slot]

    @property
    def due(self) -> bool:
        return any(s.state in ("due", "overdue") for s in self.slots)


class VideoPatrols:
    def __init__(
        self,
        store: PatrolStore,
        logbook: Logbook,
        clock: Clock,
        *,
        timezone: str = "Europe/Paris",
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:12],
    ) -> None:
        self._store = store
        self._logbook = logbook
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._new_id = new_id

    def now(self) -> datetime:
        return self._clock.now()

    def patrols(self) -> list[Patrol]:
        return self._store.patrols()

    def patrol(self, patrol_id: str) -> Patrol:
        for patrol in self._store.patrols():
            if patrol.id == patrol_id:
                return patrol
        raise NotFound(f"no patrol {patrol_id}")

    def define(self, patrol: Patrol, actor: Actor) -> Patrol:
        self._store.save_patrol(patrol)
        cameras = ", ".join(s.camera_id for s in patrol.steps)
        times = ", ".join(t.strftime("%H:%M") for t in patrol.times) or "—"
        self._logbook.record(
            LogKind.VIDEO,
            f"Ronde vidéo « {patrol.name} » définie : {cameras} ; horaires {times}",
            actor=actor,
            data={"patrol": patrol.id, "action": "define"},
        )
        return patrol

    def board(self) -> list[PatrolBoard]:
        now = self._clock.now()
        runs = self._store.runs_since(now - timedelta(days=2))
        return [PatrolBoard(p, slots_of_day(p, runs, now, self._zone)) for p in self.patrols()]

    def recent_runs(self, limit: int = 20) -> list[PatrolRun]:
        runs = self._store.runs_since(self._clock.now() - timedelta(days=1))
        return list(reversed(runs))[:limit]

    def run(self, run_id: str) -> PatrolRun:
        run = self._store.run(run_id)
        if run is None:
            raise NotFound(f"no patrol run {run_id}")
        return run

    def start(self, patrol_id: str, actor: Actor) -> PatrolRun:
        patrol = self.patrol(patrol_id)
        run = PatrolRun(
            self._new_id(), patrol.id, patrol.name, patrol.steps, actor.user, self._clock.now()
        )
        self._store.save_run(run)
        self._logbook.record(
            LogKind.VIDEO,
            f"Ronde vidéo « {patrol.name} » commencée ({len(patrol.steps)} caméras)",
            actor=actor,
            data={"patrol": patrol.id, "run": run.id, "action": "start"},
        )
        return run

    def confirm(
        self, run_id: str, index: int, verdict: Verdict, note: str, actor: Actor
    ) -> PatrolRun:
        run = self.run(run_id).confirm(index, verdict, note, actor.user, self._clock.now())
        self._store.save_run(run)
        check = run.checks[-1]
        said = "RAS" if verdict is Verdict.CLEAR else f"ANOMALIE : {check.note}"
        text = (
            f"Ronde vidéo « {run.patrol_name} » — caméra {check.camera_id} "
            f"(vue {index + 1}/{len(run.steps)}) : {said}"
        )
        if verdict is Verdict.CLEAR and check.note:
            text += f" — {check.note}"
        self._logbook.record(
            LogKind.VIDEO,
            text,
            actor=actor,
            data={
                "patrol": run.patrol_id,
                "run": run.id,
                "camera": check.camera_id,
                "step": index,
                "verdict": verdict.value,
            },
        )
        if run.finished:
            anomalies = sum(c.verdict is Verdict.ANOMALY for c in run.checks)
            self._logbook.record(
                LogKind.VIDEO,
                f"Ronde vidéo « {run.patrol_name} » terminée : {len(run.checks)} vues, "
                f"{anomalies} anomalie(s)",
                actor=actor,
                data={"patrol": run.patrol_id, "run": run.id, "action": "finish"},
            )
            logger.info("patrol run %s finished with %d anomalies", run.id, anomalies)
        return run
