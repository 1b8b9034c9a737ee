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

from vigie.domain.incidents import (
    CallAttempt,
    CallResult,
    Dispatch,
    DispatchKind,
    DispatchStage,
    Incident,
    IncidentRefused,
    IncidentState,
    Outcome,
    StepState,
    StepStatus,
)
from vigie.domain.logbook import LogDraft, LogKind
from vigie.domain.register import Contact, Provider, Site
from vigie.services.logbook import Actor, Logbook
from vigie.services.ports import Clock
from vigie.services.secret_words import check_word

__all__ = ["IncidentQueue", "IncidentStore", "SiteBook"]

T = TypeVar("T")
LogFor = Callable[[Incident, Any], Sequence[LogDraft]]

_STEP_WORDS = {StepStatus.DONE: "fait", StepStatus.NOT_APPLICABLE: "sans objet"}
_CALL_WORDS = {
    CallResult.REACHED: "joint",
    CallResult.NO_ANSWER: "pas de réponse",
    CallResult.VOICEMAIL: "messagerie",
    CallResult.SECRET_OK: "joint, mot de passe correct",
    CallResult.SECRET_WRONG: "joint, mot de passe erroné",
    CallResult.DURESS: "joint — contrainte, prévenir la police",
}
_DISPATCH_WORDS = {DispatchKind.POLICE: "police", DispatchKind.FIRE: "pompiers"}
_STAGE_WORDS = {
    DispatchStage.REQUESTED: "demandé",
    DispatchStage.ON_THE_WAY: "en route",
    DispatchStage.ON_SITE: "sur place",
    DispatchStage.FINISHED: "terminé",
}


class IncidentStore(Protocol):
    def get(self, incident_id: int) -> Incident | None: ...

    def in_states(
        self, states: Sequence[IncidentState] | None = None, limit: int | None = None
    ) -> list[Incident]: ...

    def due(self, now: datetime, unclaimed_since: datetime) -> list[Incident]: ...

    def change(
        self, incident_id: int, action: Callable[[Incident], T], log: LogFor | None = None
    ) -> tuple[Incident, T]: ...

    def claim_next(
        self, user: str, now: datetime, log: LogFor | None = None
    ) -> Incident | None: ...


class SiteBook(Protocol):
    """What the queue reads of the register: contacts (with their word hashes), providers."""

    def site(self, site_id: str) -> Site | None: ...

    def provider(self, provider_id: str) -> Provider | None: ...


class IncidentQueue:
    def __init__(
        self,
        store: IncidentStore,
        logbook: Logbook,
        clock: Clock,
        *,
        escalate_after: timedelta = timedelta(minutes=2),
        register: SiteBook | None = None,
    ) -> None:
        self._store = store
        self._logbook = logbook
        self._clock = clock
        self._escalate_after = escalate_after
        self._register = register

    # -- reads ----------------------------------------------------------------------

    def waiting(
        self, states: Sequence[IncidentState] | None = None, limit: int | None = None
    ) -> list[Incident]:
        """In queue order; every open incident unless ``limit`` says otherwise."""
        return self._store.in_states(states, limit)

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
        """Close; the entry records the back-to-normal checklist as it stands."""
        now = self._clock.now()

        def entry(incident: Incident, _result: Any) -> list[LogDraft]:
            state = _back_to_normal(incident)
            words = ", ".join(
                f"{label} {'oui' if state[key] else 'non'}"
                for key, label in (
                    ("restored", "rétabli"), ("rearmed", "remis en service"),
                    ("checked", "système vérifié"),
                )
            )  # fmt: skip
            text = f"Incident n°{incident.id} clos : {outcome.value} — {comment} ({words})"
            data = {"action": "close", "outcome": outcome.value, "comment": comment,
                    "back_to_normal": state}  # fmt: skip
            return [self._draft(actor, incident, text, data)]

        incident, _ = self._store.change(
            incident_id, lambda i: i.close(outcome, comment, actor.user, now), entry
        )
        return incident

    # -- calls, dispatches, back to normal --------------------------------------------

    def call(
        self,
        incident_id: int,
        actor: Actor,
        contact_id: str,
        result: CallResult,
        word: str = "",
        phone: str = "",
        note: str = "",
    ) -> tuple[Incident, CallAttempt]:
        """Record a call to a contact of the incident's site. ``word``: what the caller
        said when asked their secret word; checked against the secret and duress hashes
        (the result says which), never stored nor logged."""
        incident = self._store.get(incident_id)
        if incident is None:
            raise LookupError(f"no incident {incident_id}")
        contact = self._contact(incident, contact_id)
        if phone and phone not in contact.phones:
            raise IncidentRefused(f"{phone} is not a phone of contact {contact_id}")
        phone = phone or contact.phones[0]
        if word.strip():
            if not result.reached:
                raise IncidentRefused("a secret word is only heard from a reached contact")
            result = _word_result(contact, word)
        now = self._clock.now()

        def entry(incident: Incident, call: CallAttempt) -> list[LogDraft]:
            text = f"Appel {call.contact_name} ({call.phone}) : {_CALL_WORDS[call.result]}"
            if call.note:
                text += f" — {call.note}"
            data = {"action": "call", "contact_id": call.contact_id, "phone": call.phone,
                    "result": call.result.value, "note": call.note}  # fmt: skip
            return [self._draft(actor, incident, text, data, LogKind.CALL)]

        return self._store.change(
            incident_id,
            lambda i: i.call(contact.id, contact.name, phone, result, note, actor.user, now),
            entry,
        )

    def dispatch(
        self, incident_id: int, actor: Actor, kind: DispatchKind, provider_id: str | None = None
    ) -> tuple[Incident, Dispatch]:
        """Request a provider (from the site's register), the police or the fire brigade."""
        name = ""
        if kind is DispatchKind.PROVIDER:
            if not provider_id:
                raise IncidentRefused("a provider dispatch needs a provider")
            provider = self._register.provider(provider_id) if self._register else None
            if provider is None:
                raise IncidentRefused(f"no provider {provider_id}")
            name = provider.name
        now = self._clock.now()

        def entry(incident: Incident, sent: Dispatch) -> list[LogDraft]:
            number = incident.dispatches.index(sent) + 1
            text = f"Intervention {number} demandée : {_who(sent)}"
            data = {"action": "dispatch", "dispatch": number, "kind": sent.kind.value,
                    "provider_id": sent.provider_id, "stage": "requested"}  # fmt: skip
            return [self._draft(actor, incident, text, data, LogKind.DISPATCH)]

        return self._store.change(
            incident_id, lambda i: i.dispatch(kind, provider_id, name, actor.user, now), entry
        )

    def dispatch_progress(
        self, incident_id: int, actor: Actor, number: int, stage: DispatchStage, report: str = ""
    ) -> tuple[Incident, Dispatch]:
        now = self._clock.now()

        def entry(incident: Incident, sent: Dispatch) -> list[LogDraft]:
            text = f"Intervention {number} ({_who(sent)}) : {_STAGE_WORDS[stage]}"
            if stage is DispatchStage.FINISHED:
                text += f" — rapport : {sent.report}"
            data = {"action": "dispatch_progress", "dispatch": number, "kind": sent.kind.value,
                    "stage": stage.value, "report": sent.report}  # fmt: skip
            return [self._draft(actor, incident, text, data, LogKind.DISPATCH)]

        return self._store.change(
            incident_id,
            lambda i: i.dispatch_progress(number, stage, report, actor.user, now),
            entry,
        )

    def back_to_normal(
        self, incident_id: int, actor: Actor, rearmed: bool, checked: bool
    ) -> Incident:
        now = self._clock.now()

        def entry(incident: Incident, _result: Any) -> list[LogDraft]:
            state = _back_to_normal(incident)
            text = (
                f"Remise en service : rétabli {'oui' if state['restored'] else 'non'}, "
                f"remis en service {'oui' if rearmed else 'non'}, "
                f"système vérifié {'oui' if checked else 'non'}"
            )
            return [self._draft(actor, incident, text, {"action": "back_to_normal"} | state)]

        incident, _ = self._store.change(
            incident_id, lambda i: i.set_back_to_normal(rearmed, checked, actor.user, now), entry
        )
        return incident

    def _contact(self, incident: Incident, contact_id: str) -> Contact:
        site = (
            self._register.site(incident.site_id)
            if self._register is not None and incident.site_id
            else None
        )
        found = next((c for c in site.contacts if c.id == contact_id), None) if site else None
        if found is None:
            raise IncidentRefused(f"no contact {contact_id} for this site")
        return found

    # -- timers ---------------------------------------------------------------------

    def tick(self) -> list[Incident]:
        """Expire holds and escalate incidents left unclaimed; returns those changed."""
        now = self._clock.now()
        changed: list[Incident] = []
        system = Actor.SYSTEM
        for incident in self._store.due(now, now - self._escalate_after):
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

    def _draft(
        self,
        actor: Actor,
        incident: Incident,
        text: str,
        data: dict[str, Any],
        kind: LogKind = LogKind.INCIDENT,
    ) -> LogDraft:
        return self._logbook.draft(
            kind, text, actor=actor, site_id=incident.site_id,
            incident_id=incident.id, data=data,
        )  # fmt: skip


def _word_result(contact: Contact, word: str) -> CallResult:
    """Duress first: a contact under threat may say it instead of the secret word."""
    if contact.duress_word_hash and check_word(contact.duress_word_hash, word):
        return CallResult.DURESS
    if contact.secret_word_hash is None and contact.duress_word_hash is None:
        raise IncidentRefused(f"contact {contact.id} has no secret word")
    if contact.secret_word_hash and check_word(contact.secret_word_hash, word):
        return CallResult.SECRET_OK
    return CallResult.SECRET_WRONG


def _who(sent: Dispatch) -> str:
    if sent.kind is DispatchKind.PROVIDER:
        return sent.provider_name or sent.provider_id or "prestataire"
    return _DISPATCH_WORDS[sent.kind]


def _back_to_normal(incident: Incident) -> dict[str, bool]:
    done = incident.back_to_normal
    return {"restored": incident.restored, "rearmed": done.rearmed, "checked": done.checked}
