"""The logbook service over an in-memory store: attribution, corrections, verification."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import FakeClock
from tests.unit.logbook.fakes import MemoryLogbookStore
from vigie.domain.errors import InvalidValue, NotFound
from vigie.domain.logbook import BreakKind, LogKind
from vigie.services.logbook import Actor, Logbook, LogbookStore

OPERATOR = Actor("jdupont", "operator", "CAR-075-2030-12345678", "10.0.0.7")


@pytest.fixture
def store() -> MemoryLogbookStore:
    return MemoryLogbookStore()


@pytest.fixture
def logbook(store: MemoryLogbookStore, clock: FakeClock) -> Logbook:
    port: LogbookStore = store  # the fake satisfies the port
    return Logbook(port, clock)


def test_record_stamps_the_clock_and_defaults_to_the_system(
    logbook: Logbook, clock: FakeClock
) -> None:
    entry = logbook.record(LogKind.SIGNAL, "Test cyclique reçu", site_id="S1", data={"code": "RP"})
    assert (entry.id, entry.at, entry.author, entry.role) == (1, clock.now(), "system", "system")
    assert entry.data == {"code": "RP"} and entry.site_id == "S1"


def test_record_takes_an_actor_or_loose_fields_and_a_kind_as_text(logbook: Logbook) -> None:
    one = logbook.record("incident", "Pris en charge", actor=OPERATOR, incident_id=7)
    two = logbook.record(LogKind.CALL, "Appel client", author="amartin", role="supervisor")
    assert (one.kind, one.author, one.card_number, one.source) == (
        LogKind.INCIDENT,
        "jdupont",
        OPERATOR.card_number,
        "10.0.0.7",
    )
    assert (two.author, two.role) == ("amartin", "supervisor")
    with pytest.raises(InvalidValue):
        logbook.record("nonsense", "x")
    with pytest.raises(InvalidValue):
        logbook.record(LogKind.CORRECTION, "x")


def test_manual_entries_are_attributed(logbook: Logbook) -> None:
    entry = logbook.manual("Ronde effectuée, RAS", OPERATOR, site_id="S2")
    assert entry.kind is LogKind.MANUAL
    assert (entry.author, entry.role, entry.source) == ("jdupont", "operator", "10.0.0.7")


def test_a_correction_is_a_new_entry_pointing_at_the_old_one(
    logbook: Logbook, store: MemoryLogbookStore, clock: FakeClock
) -> None:
    original = logbook.manual("Alarme zone 3", OPERATOR, site_id="S1", incident_id=4)
    clock.advance(60)
    fixed = logbook.correct(original.id, "Lire zone 4", OPERATOR)
    assert fixed.kind is LogKind.CORRECTION and fixed.corrects == original.id
    assert (fixed.site_id, fixed.incident_id) == ("S1", 4)
    assert store.rows[0] == original  # untouched
    assert logbook.verify().ok


def test_correcting_a_missing_entry_is_refused(logbook: Logbook) -> None:
    with pytest.raises(NotFound):
        logbook.correct(42, "?", OPERATOR)


def test_verify_counts_entries_and_names_the_first_break(
    logbook: Logbook, store: MemoryLogbookStore
) -> None:
    for n in range(5):
        logbook.record(LogKind.SYSTEM, f"tick {n}")
    check = logbook.verify()
    assert check.ok and check.entries == 5 and check.last_hash == store.rows[-1].hash
    store.rows[2] = replace(store.rows[2], text="forged")
    check = logbook.verify()
    assert not check.ok and check.first_break is not None
    assert (check.first_break.entry_id, check.first_break.kind) == (3, BreakKind.HASH_MISMATCH)


def test_search_and_period_go_to_the_store(logbook: Logbook, clock: FakeClock) -> None:
    start = clock.now()
    logbook.manual("Porte ouverte", OPERATOR, site_id="S1")
    clock.advance(3600)
    logbook.manual("Porte fermée", OPERATOR, site_id="S2")
    assert [e.site_id for e in logbook.search(text="PORTE", newest_first=True)] == ["S2", "S1"]
    assert [e.id for e in logbook.period(start, clock.now())] == [1]
