"""The processor on SQLite and PostgreSQL: journal rows in, incidents and main courante out.

Frames go through the real reception and group-commit journal (stamped by a fake clock);
the test then calls ``run_once`` and ``tick`` as the processing worker would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.conftest import FakeClock
from tests.support.pipeline import Pipeline, example_keys, import_example_register
from tests.support.station import journal
from vigie.adapters.db.engine import make_engine
from vigie.domain.incidents import Incident, IncidentState, Outcome, StepStatus
from vigie.domain.register import AlarmKind
from vigie.services.logbook import Actor

OPERATOR = Actor("alice", "operator", "CAR-069-2031-01-01-20230001", "10.0.0.5")


@pytest.fixture
def pipe(db_url: str, clock: FakeClock) -> Iterator[Pipeline]:
    engine = make_engine(db_url)
    import_example_register(engine)
    engine.dispose()
    pipeline = Pipeline(db_url, clock)
    yield pipeline
    pipeline.close()


def _all(pipe: Pipeline) -> list[Incident]:
    return pipe.queue.waiting(list(IncidentState))


def _site(pipe: Pipeline, site_id: str) -> list[Incident]:
    return [i for i in _all(pipe) if i.site_id == site_id]


def _kinds(incidents: list[Incident]) -> list[AlarmKind]:
    return [a.kind for i in incidents for a in i.alarms]


def _close(pipe: Pipeline, incident: Incident) -> None:
    assert incident.id is not None
    pipe.queue.claim(incident.id, OPERATOR)
    for step in incident.steps:
        pipe.queue.step(incident.id, OPERATOR, step.number, StepStatus.DONE, "")
    pipe.queue.close(incident.id, OPERATOR, Outcome.FALSE_ALARM_USER, "erreur de code")


# -- supervision ------------------------------------------------------------------------


def test_silent_transmitter_raises_supervision_one_second_past_deadline_and_frame_restores(
    pipe: Pipeline, clock: FakeClock
) -> None:
    # BIJOU-BELLECOUR (1008): SP4 = 180 s, grace 20 s -> deadline = last heard + 200 s.
    clock.advance(50)
    pipe.send(pipe.frame("1008", token="NULL"))
    assert pipe.process() == 1
    heard_at = clock.now()

    clock.advance(200)  # exactly at the deadline: still in time
    pipe.processor.tick()
    assert AlarmKind.SUPERVISION not in _kinds(_site(pipe, "BIJOU-BELLECOUR"))

    clock.advance(1)  # one second after: missing
    pipe.processor.tick()
    (incident,) = _site(pipe, "BIJOU-BELLECOUR")
    (alarm,) = incident.alarms
    assert alarm.kind is AlarmKind.SUPERVISION and alarm.account == "1008"
    assert alarm.restored_at is None
    assert incident.priority == 8 and incident.state is IncidentState.WAITING
    procedure = pipe.register.procedures_for("BIJOU-BELLECOUR", AlarmKind.SUPERVISION)
    assert procedure is not None
    assert [(s.kind, s.text) for s in incident.steps] == [(s.kind, s.text) for s in procedure.steps]
    raised = pipe.logbook.search(site_id="BIJOU-BELLECOUR", incident_id=incident.id, limit=50)
    assert any("Test cyclique manquant" in e.text for e in raised)
    deadline = (heard_at + timedelta(seconds=200)).isoformat()
    assert any(dict(e.data).get("deadline") == deadline for e in raised)

    pipe.processor.tick()  # no second alarm for the same silence
    assert len(_site(pipe, "BIJOU-BELLECOUR")[0].alarms) == 1

    clock.advance(30)
    pipe.send(pipe.frame("1008", token="NULL"))
    pipe.process()
    (incident,) = _site(pipe, "BIJOU-BELLECOUR")
    (alarm,) = incident.alarms
    assert alarm.restored_at == clock.now()
    assert incident.is_open  # restored, still the operator's to close
    texts = [e.text for e in pipe.logbook.search(site_id="BIJOU-BELLECOUR", limit=100)]
    assert any("de nouveau entendu" in t for t in texts), texts


# -- restart ----------------------------------------------------------------------------


def test_engine_state_survives_a_restart_without_duplicate_alarms(
    pipe: Pipeline, clock: FakeClock
) -> None:
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.process()  # the first batch writes the snapshot
    clock.advance(5)
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA4"))
    pipe.process()  # within snapshot_every: only replay can bring this one back
    (before,) = _site(pipe, "BOUL-MARTIN")
    assert [(a.zone, a.count) for a in before.alarms] == [("3", 1), ("4", 1)]

    pipe.processor = pipe.new_processor()  # the station restarts: snapshot + replay
    clock.advance(5)
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA4"))
    pipe.send(pipe.frame("1001", "#1001|Nri1/BR4"))
    pipe.process()

    (after,) = _site(pipe, "BOUL-MARTIN")
    assert after.id == before.id
    assert [(a.zone, a.count) for a in after.alarms] == [("3", 2), ("4", 2)]
    assert after.alarms[0].restored_at is None
    assert after.alarms[1].restored_at == clock.now()


# -- the main courante ------------------------------------------------------------------


def test_every_processed_signal_is_in_the_main_courante_and_the_chain_verifies(
    pipe: Pipeline, clock: FakeClock, db_url: str
) -> None:
    keys = example_keys()
    frames = [
        pipe.frame("1001", "#1001|Nri1/BA3"),
        pipe.frame("1001", "#1001|Nri1/BR3"),
        pipe.frame("1002", token="NULL"),
        pipe.frame("1003", "#1003|Nri1/HA5", key=keys["1003"]),
        pipe.frame("1004", "#1004|Nri2/OP1", key=keys["1004"]),
        pipe.frame("1005", "#1005|Nri1/RP"),
        pipe.frame("1004", "#1004|1110 02 006", token="ADM-CID", key=keys["1004"]),
        pipe.frame("1006", "#1006|Nri1/ZZ9"),  # unknown code: kept and shown
        pipe.frame("7777", "#7777|Nri1/BA1"),  # unknown account
    ]
    for raw in frames:
        clock.advance(1)
        pipe.send(raw)
    assert pipe.process() == len(frames)

    signal_ids = {stored.id for stored, _ in journal(db_url)}
    assert len(signal_ids) == len(frames)
    entries = pipe.logbook.search(limit=1000)
    logged = {dict(e.data).get("signal_id") for e in entries} - {None}
    assert logged == signal_ids
    check = pipe.logbook.verify()
    assert check.ok, check.first_break
    assert check.entries == len(entries)


def test_naked_frame_and_retransmission_are_logged_not_alarmed(
    pipe: Pipeline, clock: FakeClock, db_url: str
) -> None:
    stale = pipe.send(pipe.frame("1003", "#1003|Nri1/BA2", key=example_keys()["1003"], age=120))
    first_raw = pipe.frame("1001", "#1001|Nri1/BA3")
    first = pipe.send(first_raw)
    clock.advance(2)
    again = pipe.send(first_raw)  # the panel did not get our ACK and sends the same frame
    assert again.duplicate_of == first.id
    assert pipe.process() == 3

    rows = {stored.id: record for stored, record in journal(db_url)}
    assert rows[stale.id].reply_kind == "NAK"
    assert _site(pipe, "BANQUE-PARTDIEU") == []
    (incident,) = _site(pipe, "BOUL-MARTIN")
    (alarm,) = incident.alarms
    assert alarm.count == 1 and alarm.signal_ids == [first.id]

    by_signal = {dict(e.data).get("signal_id"): e for e in pipe.logbook.search(limit=100)}
    assert "Trame refusée (NAK)" in by_signal[stale.id].text
    assert by_signal[stale.id].incident_id is None
    assert f"Retransmission du signal {first.id}" in by_signal[again.id].text
    assert by_signal[again.id].incident_id is None
    assert pipe.logbook.verify().ok


# -- closed incidents -------------------------------------------------------------------


@pytest.mark.parametrize("tick_before", [False, True], ids=["repeat", "after-tick"])
def test_zone_alarming_after_its_incident_closed_opens_a_new_incident(
    pipe: Pipeline, clock: FakeClock, tick_before: bool
) -> None:
    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.process()
    (first,) = _site(pipe, "BOUL-MARTIN")
    clock.advance(60)
    _close(pipe, first)
    clock.advance(60)
    if tick_before:
        pipe.processor.tick()  # the processor learns of the closure from the database

    pipe.send(pipe.frame("1001", "#1001|Nri1/BA3"))
    pipe.process()

    incidents = sorted(_site(pipe, "BOUL-MARTIN"), key=lambda i: -(i.id or 0))
    assert [i.state for i in incidents] == [IncidentState.WAITING, IncidentState.CLOSED]
    new, old = incidents
    assert new.id != old.id == first.id
    assert [(a.zone, a.count) for a in old.alarms] == [("3", 1)]
    assert [(a.zone, a.count) for a in new.alarms] == [("3", 1)]
    assert new.alarms[0].raised_at == clock.now()
    assert all(s.status is StepStatus.OPEN for s in new.steps) and new.steps
