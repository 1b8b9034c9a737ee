"""The supervisor's figures: holders, escalations, load with medians, waiting counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vigie.domain.incidents import Incident, IncidentState
from vigie.services.supervision import (
    ClosedIncident,
    escalated,
    holders,
    load,
    waiting_by_priority,
)

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _incident(n: int, state: IncidentState, holder: str | None = None, **kw: object) -> Incident:
    return Incident(n, None, kw.pop("priority", 3), T0, state, f"n{n}", holder, **kw)  # type: ignore[arg-type]


OPEN = [
    _incident(1, IncidentState.CLAIMED, "bob"),
    _incident(2, IncidentState.CLAIMED, "alice"),
    _incident(3, IncidentState.ON_HOLD, "alice"),
    _incident(4, IncidentState.WAITING, priority=1, escalated_at=T0 + timedelta(minutes=2)),
    _incident(5, IncidentState.WAITING, priority=1),
    _incident(6, IncidentState.WAITING, priority=4),
]


def _closed(n: int, by: str, claim: float, close: float) -> ClosedIncident:
    return ClosedIncident(n, T0, T0 + timedelta(seconds=claim), T0 + timedelta(seconds=close), by)


def test_who_holds_what_escalations_and_waiting() -> None:
    held = holders(OPEN)
    assert list(held) == ["alice", "bob"]
    assert [i.id for i in held["alice"]] == [2, 3]
    assert [i.id for i in escalated(OPEN)] == [4]
    assert waiting_by_priority(OPEN) == {1: 2, 4: 1}


def test_load_counts_claims_and_closed_with_medians() -> None:
    closed = [_closed(10, "alice", 30, 300), _closed(11, "alice", 90, 600),
              _closed(12, "alice", 60, 900), _closed(13, "carol", 10, 20)]  # fmt: skip
    rows = {r.operator: r for r in load(OPEN, closed)}
    assert set(rows) == {"alice", "bob", "carol"}
    assert (rows["alice"].claimed, rows["alice"].closed_today) == (1, 3)
    assert rows["alice"].median_to_claim == 60 and rows["alice"].median_to_close == 600
    assert (rows["bob"].claimed, rows["bob"].closed_today) == (1, 0)
    assert rows["bob"].median_to_claim is None
    assert (rows["carol"].claimed, rows["carol"].median_to_close) == (0, 20)
