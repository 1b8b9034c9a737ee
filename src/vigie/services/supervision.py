"""The supervisor's view, computed from the open incidents and those closed today.

Pure functions over domain objects: who holds what, escalations, each operator's load
(claimed now, closed today, median minutes to claim and to close) and the waiting
count by priority.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Protocol

from vigie.domain.incidents import Incident, IncidentState

__all__ = [
    "ClosedIncident",
    "ClosedReader",
    "OperatorLoad",
    "escalated",
    "holders",
    "load",
    "waiting_by_priority",
]


@dataclass(frozen=True, slots=True)
class ClosedIncident:
    id: int
    opened_at: datetime
    claimed_at: datetime | None
    closed_at: datetime
    closed_by: str


class ClosedReader(Protocol):
    def closed_since(self, since: datetime) -> list[ClosedIncident]: ...


@dataclass(frozen=True, slots=True)
class OperatorLoad:
    operator: str
    claimed: int
    closed_today: int
    median_to_claim: float | None  # seconds, from opening to claim
    median_to_close: float | None  # seconds, from opening to closing


def holders(open_incidents: Iterable[Incident]) -> dict[str, list[Incident]]:
    """Incidents per holder (claimed or on hold), holders in name order."""
    held: dict[str, list[Incident]] = {}
    for incident in open_incidents:
        if incident.holder and incident.state is not IncidentState.CLOSED:
            held.setdefault(incident.holder, []).append(incident)
    return dict(sorted(held.items()))


def escalated(open_incidents: Iterable[Incident]) -> list[Incident]:
    found = [i for i in open_incidents if i.escalated_at is not None]
    return sorted(found, key=lambda i: (i.escalated_at or i.opened_at, i.id or 0))


def waiting_by_priority(open_incidents: Iterable[Incident]) -> dict[int, int]:
    counts = Counter(i.priority for i in open_incidents if i.state is IncidentState.WAITING)
    return dict(sorted(counts.items()))


def _median(values: Sequence[float]) -> float | None:
    return float(median(values)) if values else None


def load(
    open_incidents: Iterable[Incident], closed: Iterable[ClosedIncident]
) -> list[OperatorLoad]:
    claimed = Counter(
        i.holder for i in open_incidents if i.holder and i.state is IncidentState.CLAIMED
    )
    by_operator: dict[str, list[ClosedIncident]] = {}
    for incident in closed:
        if incident.closed_by:
            by_operator.setdefault(incident.closed_by, []).append(incident)
    rows = []
    for operator in sorted(set(claimed) | set(by_operator)):
        done = by_operator.get(operator, [])
        to_claim = [
            (c.claimed_at - c.opened_at).total_seconds() for c in done if c.claimed_at is not None
        ]
        to_close = [(c.closed_at - c.opened_at).total_seconds() for c in done]
        rows.append(
            OperatorLoad(
                operator, claimed[operator], len(done), _median(to_claim), _median(to_close)
            )
        )
    return rows
