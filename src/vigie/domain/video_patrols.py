"""Video patrols (rondes vidéo): an ordered walk through cameras at set times of day.

A ``Patrol`` names its steps (a camera, optionally a PTZ preset, how long to look) and
its schedule (times of day, Paris time). A ``PatrolRun`` is one walk by one operator:
each step is confirmed "RAS" (nothing to report) or "anomaly" with a note.

A scheduled slot is *done* when a run started from ``EARLY`` before it up to the next
slot; it is *upcoming* until ``EARLY`` before it, *due* up to ``LATE`` after it,
*overdue* after that while no later slot has come, and *missed* once the next slot (or
the end of the day) has passed without a run. Pure: the caller passes the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from vigie.domain.errors import InvalidValue

__all__ = [
    "EARLY",
    "LATE",
    "Patrol",
    "PatrolRun",
    "PatrolStep",
    "Slot",
    "SlotState",
    "StepCheck",
    "Verdict",
    "slots_of_day",
]

EARLY = timedelta(minutes=10)
LATE = timedelta(minutes=15)
_NAME_MAX = 200
_NOTE_MAX = 2000


class Verdict(StrEnum):
    CLEAR = "ras"  # rien à signaler
    ANOMALY = "anomaly"


class SlotState(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class PatrolStep:
    camera_id: str
    preset: str = ""  # a PTZ preset token to go to first
    dwell_seconds: int = 20

    def __post_init__(self) -> None:
        if not self.camera_id.strip():
            raise InvalidValue("camera_id", "a camera identifier")
        if not 3 <= self.dwell_seconds <= 600:
            raise InvalidValue("dwell_seconds", "3 to 600 seconds")


@dataclass(frozen=True, slots=True)
class Patrol:
    id: str
    name: str
    steps: tuple[PatrolStep, ...]
    times: tuple[time, ...] = ()  # times of day, in the station's time zone

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise InvalidValue("id", "an identifier")
        if not self.name.strip() or len(self.name) > _NAME_MAX:
            raise InvalidValue("name", f"a name of 1 to {_NAME_MAX} characters")
        if not self.steps:
            raise InvalidValue("steps", "at least one camera")
        if list(self.times) != sorted(set(self.times)):
            raise InvalidValue("times", "distinct times of day, in order")


@dataclass(frozen=True, slots=True)
class StepCheck:
    """One confirmed view of a patrol step."""

    index: int
    camera_id: str
    verdict: Verdict
    note: str
    by: str
    at: datetime

    def __post_init__(self) -> None:
        if len(self.note) > _NOTE_MAX:
            raise InvalidValue("note", f"at most {_NOTE_MAX} characters")
        if self.verdict is Verdict.ANOMALY and not self.note.strip():
            raise InvalidValue("note", "a description of the anomaly")


@dataclass(frozen=True, slots=True)
class PatrolRun:
    id: str
    patrol_id: str
    patrol_name: str
    steps: tuple[PatrolStep, ...]
    by: str
    started_at: datetime
    checks: tuple[StepCheck, ...] = field(default=())

    @property
    def next_index(self) -> int | None:
        """The first step not yet confirmed, None once every step is."""
        done = len(self.checks)
        return done if done < len(self.steps) else None

    @property
    def finished(self) -> bool:
        return self.next_index is None

    def confirm(self, index: int, verdict: Verdict, note: str, by: str, at: datetime) -> PatrolRun:
        if index != self.next_index:
            raise InvalidValue("step", f"step {self.next_index} comes next")
        check = StepCheck(index, self.steps[index].camera_id, verdict, note.strip(), by, at)
        return PatrolRun(
            self.id, self.patrol_id, self.patrol_name, self.steps, self.by, self.started_at,
            (*self.checks, check),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Slot:
    patrol_id: str
    at: datetime  # UTC
    state: SlotState
    run_id: str = ""


def slots_of_day(
    patrol: Patrol, runs: list[PatrolRun], now: datetime, zone: ZoneInfo
) -> list[Slot]:
    """Today's slots of ``patrol`` (today in ``zone``) and what became of each."""
    day: date = now.astimezone(zone).date()
    moments = [datetime.combine(day, t, tzinfo=zone) for t in patrol.times]
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    starts = sorted((r.started_at, r.id) for r in runs if r.patrol_id == patrol.id)
    slots: list[Slot] = []
    for n, moment in enumerate(moments):
        until = moments[n + 1] - EARLY if n + 1 < len(moments) else end_of_day
        run_id = next((i for s, i in starts if moment - EARLY <= s < until), "")
        if run_id:
            state = SlotState.DONE
        elif now < moment - EARLY:
            state = SlotState.UPCOMING
        elif now <= moment + LATE:
            state = SlotState.DUE
        elif now < until:
            state = SlotState.OVERDUE
        else:
            state = SlotState.MISSED
        slots.append(Slot(patrol.id, moment.astimezone(UTC), state, run_id))
    return slots
