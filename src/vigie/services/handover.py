"""The shift handover service: open a handover (snapshot of the queue), sign it.

Each step leaves a main-courante entry (``LogKind.HANDOVER``) written in the same
transaction as the handover, naming the operator, role, card and address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from vigie.domain.handover import Handover, HandoverItem
from vigie.domain.incidents import IncidentState
from vigie.domain.logbook import LogDraft, LogKind
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Actor, Logbook
from vigie.services.ports import Clock

__all__ = ["HandoverStore", "Handovers"]

LogFor = Callable[[Handover], Sequence[LogDraft]]

_SNAPSHOT = (IncidentState.WAITING, IncidentState.CLAIMED, IncidentState.ON_HOLD)


class HandoverStore(Protocol):
    def latest(self, limit: int = 20) -> list[Handover]: ...

    def get(self, handover_id: int) -> Handover | None: ...

    def add(self, handover: Handover, log: LogFor) -> Handover: ...

    def change(
        self, handover_id: int, action: Callable[[Handover], None], log: LogFor
    ) -> Handover: ...


class Handovers:
    def __init__(
        self, store: HandoverStore, logbook: Logbook, queue: IncidentQueue | None, clock: Clock
    ) -> None:
        self._store = store
        self._logbook = logbook
        self._queue = queue
        self._clock = clock

    def latest(self, limit: int = 20) -> list[Handover]:
        return self._store.latest(limit)

    def get(self, handover_id: int) -> Handover | None:
        return self._store.get(handover_id)

    def snapshot(self) -> tuple[HandoverItem, ...]:
        """The incidents open or on hold now (what the incoming operator inherits)."""
        if self._queue is None:
            return ()
        return tuple(
            HandoverItem(i.id, i.title, i.state.value, i.holder)
            for i in self._queue.waiting(list(_SNAPSHOT))
            if i.id is not None
        )

    def open(self, actor: Actor, notes: str) -> Handover:
        handover = Handover.open(actor.user, notes, self.snapshot(), self._clock.now())

        def log(h: Handover) -> list[LogDraft]:
            ids = ", ".join(f"n°{i.incident_id}" for i in h.items) or "aucun"
            text = f"Relève n°{h.id} rédigée par {h.outgoing} — incidents en cours : {ids}"
            if h.notes:
                text += f" — {h.notes}"
            data = {"action": "handover_open", "handover": h.id,
                    "incidents": [i.incident_id for i in h.items]}  # fmt: skip
            return [self._logbook.draft(LogKind.HANDOVER, text, actor=actor, data=data)]

        return self._store.add(handover, log)

    def sign(self, handover_id: int, actor: Actor) -> Handover:
        now = self._clock.now()

        def log(h: Handover) -> list[LogDraft]:
            text = f"Relève n°{h.id} : {actor.user} prend la relève de {h.outgoing}"
            data = {"action": "handover_sign", "handover": h.id, "outgoing": h.outgoing}
            return [self._logbook.draft(LogKind.HANDOVER, text, actor=actor, data=data)]

        return self._store.change(handover_id, lambda h: h.sign(actor.user, now), log)
