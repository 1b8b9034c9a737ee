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
    "DURESS_PRIORITY",
    "LEVEE_DE_DOUTE_MISSING",
    "Alarm",
    "AlarmOf",
    "BackToNormal",
    "CallAttempt",
    "CallResult",
    "Dispatch",
    "DispatchKind",
    "DispatchStage",
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
    AlarmKind.CAMERA_FAULT: 6,  # a blinded or lost camera may be the start of a break-in
    AlarmKind.TROUBLE: 7,
    AlarmKind.UNKNOWN_TRANSMITTER: 7,
    AlarmKind.SUPERVISION: 8,
    AlarmKind.SCHEDULE: 9,
    AlarmKind.OTHER: 9,
}


DURESS_PRIORITY = 1  # a contact under duress outranks everything in the queue

LEVEE_DE_DOUTE_MISSING = "levée de doute requise : vidéo vue, appel ou agent sur place"


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


class CallResult(StrEnum):
    """How a call attempt went. The ``secret_*``/``duress`` results are the server's, after
    checking the word the operator heard; the word itself is never kept."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    SECRET_OK = "secret_ok"
    SECRET_WRONG = "secret_wrong"
    DURESS = "duress"

    @property
    def reached(self) -> bool:
        return self not in (CallResult.NO_ANSWER, CallResult.VOICEMAIL)


@dataclass(frozen=True, slots=True)
class CallAttempt:
    """One call to one contact, as the operator recorded it."""

    contact_id: str
    contact_name: str
    phone: str
    result: CallResult
    at: datetime
    by: str
    note: str = ""


class DispatchKind(StrEnum):
    PROVIDER = "provider"  # a guard or a technician from the register
    POLICE = "police"
    FIRE = "fire"


class DispatchStage(StrEnum):
    """In this order; a stage may be skipped (not seen), never gone back to."""

    REQUESTED = "requested"
    ON_THE_WAY = "on_the_way"
    ON_SITE = "on_site"
    FINISHED = "finished"


_STAGES = list(DispatchStage)


@dataclass(slots=True)
class Dispatch:
    """Someone sent to the site, and the times that matter."""

    kind: DispatchKind
    provider_id: str | None
    requested_at: datetime
    by: str
    provider_name: str = ""
    on_the_way_at: datetime | None = None
    on_site_at: datetime | None = None
    finished_at: datetime | None = None
    report: str = ""

    @property
    def stage(self) -> DispatchStage:
        if self.finished_at is not None:
            return DispatchStage.FINISHED
        if self.on_site_at is not None:
            return DispatchStage.ON_SITE
        if self.on_the_way_at is not None:
            return DispatchStage.ON_THE_WAY
        return DispatchStage.REQUESTED

    def time_of(self, stage: DispatchStage) -> datetime | None:
        return {
            DispatchStage.REQUESTED: self.requested_at,
            DispatchStage.ON_THE_WAY: self.on_the_way_at,
            DispatchStage.ON_SITE: self.on_site_at,
            DispatchStage.FINISHED: self.finished_at,
        }[stage]


@dataclass(slots=True)
class BackToNormal:
    """Remise en service: what the operator ticked (``restored`` is computed from alarms)."""

    rearmed: bool = False
    checked: bool = False
    by: str | None = None
    at: datetime | None = None


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
    calls: list[CallAttempt] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    back_to_normal: BackToNormal = field(default_factory=BackToNormal)

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

    # -- calls, dispatches, back to normal ------------------------------------------

    def call(
        self,
        contact_id: str,
        contact_name: str,
        phone: str,
        result: CallResult,
        note: str,
        user: str,
        now: datetime,
    ) -> CallAttempt:
        """Record a call attempt; a duress answer makes the incident the most urgent."""
        self._require_holder(user)
        attempt = CallAttempt(contact_id, contact_name, phone, result, now, user, note)
        self.calls.append(attempt)
        if result is CallResult.DURESS:
            self.priority = DURESS_PRIORITY
        self._acted(now)
        return attempt

    @property
    def duress(self) -> bool:
        return any(c.result is CallResult.DURESS for c in self.calls)

    @property
    def raised_by_a_person(self) -> bool:
        """Hold-up, panic, medical: police may be called without a levée de doute."""
        return any(a.kind.raised_by_a_person for a in self.alarms)

    def verifications(self) -> list[str]:
        """What makes the levée de doute (CSI L613-6): video seen, a conclusive call, a
        guard on site. Empty: none yet."""
        found: list[str] = []
        if any(s.kind is StepKind.VERIFY_VIDEO and s.status is StepStatus.DONE for s in self.steps):
            found.append("video")
        for call in self.calls:
            confirming = call.result in (CallResult.REACHED, CallResult.SECRET_OK) and bool(
                call.note.strip()
            )
            if call.result in (CallResult.SECRET_WRONG, CallResult.DURESS) or confirming:
                found.append("call")
                break
        if any(
            d.kind is DispatchKind.PROVIDER and d.on_site_at is not None for d in self.dispatches
        ):
            found.append("on_site")
        return found

    def dispatch(
        self,
        kind: DispatchKind,
        provider_id: str | None,
        provider_name: str,
        user: str,
        now: datetime,
    ) -> Dispatch:
        """Request a provider, the police or the fire brigade; returns the new dispatch."""
        self._require_holder(user)
        if kind is DispatchKind.PROVIDER and not provider_id:
            raise IncidentRefused("a provider dispatch needs a provider")
        if kind is not DispatchKind.PROVIDER:
            provider_id, provider_name = None, ""
        if (
            kind is DispatchKind.POLICE
            and not self.raised_by_a_person
            and not self.duress
            and not self.verifications()
        ):
            raise IncidentRefused(LEVEE_DE_DOUTE_MISSING)
        sent = Dispatch(kind, provider_id, now, user, provider_name)
        self.dispatches.append(sent)
        self.dispatched_at = self.dispatched_at or now
        self._acted(now)
        return sent

    def dispatch_progress(
        self, number: int, stage: DispatchStage, report: str, user: str, now: datetime
    ) -> Dispatch:
        """Record that dispatch ``number`` (1-based) reached ``stage``."""
        self._require_holder(user)
        if not 1 <= number <= len(self.dispatches):
            raise IncidentRefused(f"no dispatch {number}: there are {len(self.dispatches)}")
        sent = self.dispatches[number - 1]
        if _STAGES.index(stage) <= _STAGES.index(sent.stage):
            raise IncidentRefused(f"dispatch {number} is already {sent.stage.value}")
        if stage is DispatchStage.ON_THE_WAY:
            sent.on_the_way_at = now
        elif stage is DispatchStage.ON_SITE:
            sent.on_site_at = now
        else:
            if not report.strip():
                raise IncidentRefused("a finished dispatch needs its report")
            sent.finished_at = now
            sent.report = report.strip()
        self._acted(now)
        return sent

    @property
    def restored(self) -> bool:
        """Every alarm of the incident restored (back to normal on the panel)."""
        return bool(self.alarms) and all(a.restored for a in self.alarms)

    def set_back_to_normal(
        self, rearmed: bool, checked: bool, user: str, now: datetime
    ) -> BackToNormal:
        self._require_holder(user)
        self.back_to_normal = BackToNormal(rearmed, checked, user, now)
        self._acted(now)
        return self.back_to_normal

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
