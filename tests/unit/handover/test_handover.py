"""The handover's rules: two different people, one signature, times in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigie.domain.errors import InvalidValue
from vigie.domain.handover import Handover, HandoverItem, HandoverRefused, HandoverState

T0 = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
ITEMS = (HandoverItem(7, "Intrusion boulangerie", "claimed", "alice"),)


def _open() -> Handover:
    return Handover.open("alice", "  surveiller la zone 3  ", ITEMS, T0)


def test_a_new_handover_is_open_with_its_snapshot_and_trimmed_notes() -> None:
    handover = _open()
    assert handover.state is HandoverState.OPEN
    assert handover.notes == "surveiller la zone 3"
    assert handover.items == ITEMS
    assert handover.incoming is None and handover.signed_at is None


def test_another_operator_signs_it_once() -> None:
    handover = _open()
    handover.sign("bob", T0 + timedelta(minutes=5))
    assert handover.state is HandoverState.SIGNED
    assert (handover.incoming, handover.signed_at) == ("bob", T0 + timedelta(minutes=5))
    with pytest.raises(HandoverRefused, match="already signed by bob"):
        handover.sign("carol", T0 + timedelta(minutes=6))
    assert handover.incoming == "bob"


def test_the_outgoing_operator_cannot_sign_their_own_handover() -> None:
    handover = _open()
    with pytest.raises(HandoverRefused, match="must differ"):
        handover.sign("alice", T0 + timedelta(minutes=1))
    assert handover.state is HandoverState.OPEN


@pytest.mark.parametrize(
    ("outgoing", "notes", "at"),
    [
        ("", "x", T0),
        ("alice", "x" * 5001, T0),
        ("alice", "x", T0.replace(tzinfo=None)),
    ],
)
def test_refused_openings(outgoing: str, notes: str, at: datetime) -> None:
    with pytest.raises(InvalidValue):
        Handover.open(outgoing, notes, (), at)


def test_a_signature_before_the_handover_was_written_is_refused() -> None:
    handover = _open()
    with pytest.raises(InvalidValue):
        handover.sign("bob", T0 - timedelta(seconds=1))
    with pytest.raises(InvalidValue):
        handover.sign("  ", T0)
