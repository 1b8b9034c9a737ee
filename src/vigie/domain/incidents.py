"""Alarms and incidents: what an operator takes, works through and closes.

State machine of an incident (one holder at a time):

    waiting --claim--> claimed --release--> waiting
       ^                  |  \\--hold(until)--> on_hold --claim / timer--> claimed / waiting
       |                  \\--close(outcome, comment)--> closed   (refused while a mandatory
       +-- a new alarm re-opens nothing: a closed incident stays closed; the site's next
           alarm opens a new incident.                                      step is open)

Priorities: a smaller number is more urgent. The table is configurable; the default
follows the trade's order (hold-up/panic, fire, medical, intrusion, technical, tamper,
trouble, supervision, schedule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from vigie.domain.errors import DomainError
from vigie.domain.register import AlarmKind, ProcedureStep, StepKind

__all__ = [
    "DEFAULT_PRIORITIES",
    "Alarm",
    "AlarmOf",
    "Incident",
    "IncidentRefused",
    "IncidentState",
    "Outcome",
    "StepState",
    "StepStatus",
]

DEFAULT_PRIORITIES: dict[AlarmKind, int] = {
    AlarmKind.HOLDUP: 1,
    AlarmKind.FIRE: 2,
    AlarmKind.MEDICAL: 3,
    AlarmKind.INTRUSION: 4,
    AlarmKind.VIDEO: 4,
    AlarmKind.TECHNICAL: 5,
    AlarmKind.TAMPER: 6,
    AlarmKind.TROUBLE: 7,
    AlarmKind.UNKNOWN_TRANSMITTER: 7,
    AlarmKind.SUPERVISION: 8,
    AlarmKind.SCHEDULE: 9,
    AlarmKind.OTHER: 9,
}


class IncidentRefused(DomainError):
    """An operator action the incident's state does not allow; the message says why."""


class IncidentState(StrEnum):
    WAITING = "waiting"
    CLAIMED = "claimed"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class Outcome(StrEnum):
    FALSE_ALARM_USER = "false_alarm_user"  # fausse alarme — erreur d'utilisateur
    FALSE_ALARM_TECHNICAL = "false_alarm_technical"  # fausse alarme — défaut technique
    ENVIRONMENTAL = "environmental"  # cause environnementale
    REAL_INTRUSION = "real_intrusion"
    FIRE_CONFIRMED = "fire_confirmed"
    HOLDUP_CONFIRMED = "holdup_confirmed"
    TEST = "test"
    OTHER = "other"


class StepStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


@dataclass(slots=True)
class StepState:
    """One procedure step of one incident, as worked by the operator."""

    number: int  # 1-based, as shown
    kind: StepKind
    text: str
    mandatory: bool
    status: StepStatus = StepStatus.OPEN
    note: str = ""
    by: str | None = None
    at: datetime | None = None

    @classmethod
    def from_procedure(cls, steps: tuple[ProcedureStep, ...]) -> list[StepState]:
        return [cls(i + 1, s.kind, s.text, s.mandatory) for i, s in enumerate(steps)]


@dataclass(slots=True)
class Alarm:
    """An alarm raised by the engine; repeats of the same zone only bump ``count``."""

    id: int | None
    kind: AlarmKind
    site_id: str | None
    account: str | None
    code: str
    description: str
    raised_at: datetime
    zone: str | None = None
    zone_label: str = ""
    partition: str | None = None
    user: str | None = None
    user_name: str = ""
    count: int = 1
    last_at: datetime | None = None
    restored_at: datetime | None = None
    signal_ids: list[int] = field(default_factory=list)

    @property
    def restored(self) -> bool:
        return self.restored_at is not None


@dataclass(frozen=True, slots=True)
class AlarmOf:
    """An alarm found by its key, with what the processor needs of its incident."""

    incident_id: int
    incident_open: bool
    alarm: Alarm


@dataclass(slots=True)
class Incident:
    id: int | None
    site_id: str | None
    priority: int
    opened_at: datetime  # when the first alarm was received
    state: IncidentState = IncidentState.WAITING
    title: str = ""
    holder: str | None = None
    hold_until: datetime | None = None
    escalated_at: datetime | None = None
    alarms: list[Alarm] = field(default_factory=list)
    steps: list[StepState] = field(default_factory=list)
    # the times a station's performance is judged on
    first_displayed_at: datetime | None = None
    claimed_at: datetime | None = None
    first_action_at: datetime | None = None
    dispatched_at: datetime | None = None  # police or provider called
    closed_at: datetime | None = None
    outcome: Outcome | None = None
    comment: str = ""
    closed_by: str | None = None

    # -- queue ------------------------------------------------------------------

    def claim(self, user: str, now: datetime) -> None:
        if self.state is IncidentState.CLOSED:
            raise IncidentRefused("incident is closed")
        if self.state is IncidentState.CLAIMED and self.holder != user:
            raise IncidentRefused(f"incident is held by {self.holder}")
        self.state = IncidentState.CLAIMED
        self.holder = user
        self.hold_until = None
        if self.claimed_at is None:
            self.claimed_at = now

    def release(self, user: str) -> None:
        self._require_holder(user)
        self.state = IncidentState.WAITING
        self.holder = None

    def hold(self, user: str, until: datetime, now: datetime) -> None:
        self._require_holder(user)
        if until <= now:
            raise IncidentRefused("a hold must end in the future")
        self.state = IncidentState.ON_HOLD
        self.hold_until = until
        self._acted(now)

    def hold_expired(self, now: datetime) -> bool:
        """An on-hold incident whose timer ran out goes back to the queue."""
        if self.state is IncidentState.ON_HOLD and self.hold_until and now >= self.hold_until:
            self.state = IncidentState.WAITING
            self.holder = None
            self.hold_until = None
            return True
        return False

    def displayed(self, now: datetime) -> None:
        if self.first_displayed_at is None:
            self.first_displayed_at = now

    # -- work -------------------------------------------------------------------

    def set_step(
        self, number: int, status: StepStatus, note: str, user: str, now: datetime
    ) -> StepState:
        self._require_holder(user)
        if status is StepStatus.OPEN:
            raise IncidentRefused("a step can be marked done or not applicable")
        if not 1 <= number <= len(self.steps):
            raise IncidentRefused(f"no step {number}: the procedure has {len(self.steps)} steps")
        step = self.steps[number - 1]
        if status is StepStatus.NOT_APPLICABLE and step.mandatory and not note.strip():
            raise IncidentRefused("a mandatory step set aside needs a note saying why")
        step.status, step.note, step.by, step.at = status, note, user, now
        self._acted(now)
        if status is StepStatus.DONE and step.kind in (
            StepKind.DISPATCH_PROVIDER,
            StepKind.NOTIFY_POLICE,
            StepKind.NOTIFY_FIRE,
        ):
            self.dispatched_at = self.dispatched_at or now
        return step

    def open_mandatory_steps(self) -> list[StepState]:
        return [s for s in self.steps if s.mandatory and s.status is StepStatus.OPEN]

    def close(self, outcome: Outcome, comment: str, user: str, now: datetime) -> None:
        self._require_holder(user)
        if not comment.strip():
            raise IncidentRefused("closing needs a comment")
        missing = self.open_mandatory_steps()
        if missing:
            numbers = ", ".join(str(s.number) for s in missing)
            raise IncidentRefused(f"mandatory steps still open: {numbers}")
        self.state = IncidentState.CLOSED
        self.outcome = outcome
        self.comment = comment
        self.closed_at = now
        self.closed_by = user
        self.holder = None
        self._acted(now)

    def escalate(self, now: datetime) -> None:
        if self.escalated_at is None:
            self.escalated_at = now

    # -- alarms -----------------------------------------------------------------

    def add_alarm(self, alarm: Alarm, priority: int) -> None:
        self.alarms.append(alarm)
        self.priority = min(self.priority, priority)

    @property
    def is_open(self) -> bool:
        return self.state is not IncidentState.CLOSED

    def _require_holder(self, user: str) -> None:
        if self.state is IncidentState.CLOSED:
            raise IncidentRefused("incident is closed")
        if self.holder != user:
            holder = self.holder or "nobody"
            raise IncidentRefused(f"incident is held by {holder}, not {user}")

    def _acted(self, now: datetime) -> None:
        if self.first_action_at is None:
            self.first_action_at = now
