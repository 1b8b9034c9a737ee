"""The operators' queue: take, release, hold, work the procedure, close — each logged.

Every action goes through the incident's state machine under a row lock (see
``SqlIncidents``) and leaves a main-courante entry, written in the same transaction,
naming the operator, their role, card number and address (design invariant 4). ``tick``
does the queue's timed work: holds that ran out go back to the queue, incidents waiting
too long escalate to supervisors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from vigie.domain.incidents import Incident, IncidentState, Outcome, StepState, StepStatus
from vigie.domain.logbook import LogDraft, LogKind
from vigie.services.logbook import Actor, Logbook
from vigie.services.ports import Clock

__all__ = ["IncidentQueue", "IncidentStore"]

T = TypeVar("T")
LogFor = Callable[[Incident, Any], Sequence[LogDraft]]

_STEP_WORDS = {StepStatus.DONE: "fait", StepStatus.NOT_APPLICABLE: "sans objet"}


class IncidentStore(Protocol):
    def get(self, incident_id: int) -> Incident | None: ...

    def in_states(
        self, states: Sequence[IncidentState] | None = None, limit: int = 500
    ) -> list[Incident]: ...

    def change(
        self, incident_id: int, action: Callable[[Incident], T], log: LogFor | None = None
    ) -> tuple[Incident, T]: ...

    def claim_next(
        self, user: str, now: datetime, log: LogFor | None = None
    ) -> Incident | None: ...


class IncidentQueue:
    def __init__(
        self,
        store: IncidentStore,
        logbook: Logbook,
        clock: Clock,
        *,
        escalate_after: timedelta = timedelta(minutes=2),
    ) -> None:
        self._store = store
        self._logbook = logbook
        self._clock = clock
        self._escalate_after = escalate_after

    # -- reads ----------------------------------------------------------------------

    def waiting(self, states: Sequence[IncidentState] | None = None) -> list[Incident]:
        return self._store.in_states(states)

    def get(self, incident_id: int) -> Incident | None:
        return self._store.get(incident_id)

    def displayed(self, incident_id: int) -> None:
        """The first time an incident is on an operator's screen (a judged time)."""
        now = self._clock.now()
        self._store.change(incident_id, lambda i: i.displayed(now))

    # -- actions --------------------------------------------------------------------

    def claim(self, incident_id: int, actor: Actor) -> Incident:
        now = self._clock.now()
        incident, _ = self._store.change(
            incident_id,
            lambda i: i.claim(actor.user, now),
            self._entry(actor, "Incident n°{id} pris en charge", {"action": "claim"}),
        )
        return incident

    def claim_next(self, actor: Actor) -> Incident | None:
        return self._store.claim_next(
            actor.user,
            self._clock.now(),
            self._entry(actor, "Incident n°{id} pris en charge (suivant)", {"action": "claim"}),
        )

    def release(self, incident_id: int, actor: Actor) -> Incident:
        incident, _ = self._store.change(
            incident_id,
            lambda i: i.release(actor.user),
            self._entry(actor, "Incident n°{id} remis en file", {"action": "release"}),
        )
        return incident

    def hold(self, incident_id: int, actor: Actor, minutes: float, reason: str) -> Incident:
        now = self._clock.now()
        until = now + timedelta(minutes=minutes)
        text = f"Incident n°{{id}} mis en attente {minutes:g} min" + (
            f" : {reason}" if reason else ""
        )
        incident, _ = self._store.change(
            incident_id,
            lambda i: i.hold(actor.user, until, now),
            self._entry(
                actor, text, {"action": "hold", "until": until.isoformat(), "reason": reason}
            ),
        )
        return incident

    def step(
        self, incident_id: int, actor: Actor, number: int, status: StepStatus, note: str
    ) -> Incident:
        now = self._clock.now()

        def entry(incident: Incident, step: StepState) -> list[LogDraft]:
            text = f"Étape {number} ({step.text or step.kind.value}) : {_STEP_WORDS[status]}"
            data = {"action": "step", "step": number, "kind": step.kind.value,
                    "status": status.value, "note": note}  # fmt: skip
            return [self._draft(actor, incident, text + (f" — {note}" if note else ""), data)]

        incident, _ = self._store.change(
            incident_id, lambda i: i.set_step(number, status, note, actor.user, now), entry
        )
        return incident

    def close(self, incident_id: int, actor: Actor, outcome: Outcome, comment: str) -> Incident:
        now = self._clock.now()
        incident, _ = self._store.change(
            incident_id,
            lambda i: i.close(outcome, comment, actor.user, now),
            self._entry(
                actor,
                f"Incident n°{{id}} clos : {outcome.value} — {comment}",
                {"action": "close", "outcome": outcome.value, "comment": comment},
            ),
        )
        return incident

    # -- timers ---------------------------------------------------------------------

    def tick(self) -> list[Incident]:
        """Expire holds and escalate incidents left unclaimed; returns those changed."""
        now = self._clock.now()
        changed: list[Incident] = []
        system = Actor.SYSTEM
        for incident in self._store.in_states([IncidentState.WAITING, IncidentState.ON_HOLD]):
            assert incident.id is not None
            if incident.state is IncidentState.ON_HOLD:
                updated, expired = self._store.change(
                    incident.id, lambda i: i.hold_expired(now), self._hold_ended
                )
                if expired:
                    changed.append(updated)
                continue
            waited = now - incident.opened_at
            if incident.escalated_at is None and waited >= self._escalate_after:
                minutes = int(waited.total_seconds() // 60)
                updated, _ = self._store.change(
                    incident.id,
                    lambda i: i.escalate(now),
                    self._entry(
                        system,
                        f"Escalade superviseur : incident n°{{id}} non pris en charge "
                        f"depuis {minutes} min",
                        {"action": "escalate"},
                    ),
                )
                changed.append(updated)
        return changed

    def _hold_ended(self, incident: Incident, expired: bool) -> list[LogDraft]:
        if not expired:
            return []
        text = f"Fin d'attente : incident n°{incident.id} remis en file"
        return [self._draft(Actor.SYSTEM, incident, text, {"action": "hold_expired"})]

    def _entry(self, actor: Actor, template: str, data: dict[str, Any]) -> LogFor:
        def entry(incident: Incident, _result: Any) -> list[LogDraft]:
            return [self._draft(actor, incident, template.format(id=incident.id), data)]

        return entry

    def _draft(self, actor: Actor, incident: Incident, text: str, data: dict[str, Any]) -> LogDraft:
        return self._logbook.draft(
            LogKind.INCIDENT, text, actor=actor, site_id=incident.site_id,
            incident_id=incident.id, data=data,
        )  # fmt: skip
