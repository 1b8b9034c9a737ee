"""The incident's work in the domain: calls, duress, levée de doute, dispatch stages,
back to normal (issue 4 §3)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from vigie.domain.incidents import (
    LEVEE_DE_DOUTE_MISSING,
    Alarm,
    CallAttempt,
    CallResult,
    DispatchKind,
    DispatchStage,
    Incident,
    IncidentRefused,
    Outcome,
    StepState,
    StepStatus,
)
from vigie.domain.register import AlarmKind, ProcedureStep, StepKind

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def _incident(kind: AlarmKind = AlarmKind.INTRUSION, priority: int = 4) -> Incident:
    alarm = Alarm(1, kind, "SITE", "1001", "BA", "Intrusion", T0, zone="3")
    steps = StepState.from_procedure(
        (
            ProcedureStep(StepKind.VERIFY_VIDEO, "Voir la vidéo", mandatory=False),
            ProcedureStep(StepKind.CALL_CONTACTS, "Appeler les contacts"),
        )
    )
    incident = Incident(1, "SITE", priority, T0, alarms=[alarm], steps=steps)
    incident.claim("alice", T0)
    return incident


def _call(incident: Incident, result: CallResult, note: str = "", user: str = "alice") -> None:
    incident.call("C1", "Jean Martin", "+33 6 00", result, note, user, T0 + timedelta(minutes=1))


# -- calls ------------------------------------------------------------------------------


def test_a_call_needs_the_holder_and_is_recorded() -> None:
    incident = _incident()
    with pytest.raises(IncidentRefused, match="held by alice, not bob"):
        _call(incident, CallResult.NO_ANSWER, user="bob")
    _call(incident, CallResult.NO_ANSWER)
    (attempt,) = incident.calls
    assert attempt == CallAttempt(
        "C1", "Jean Martin", "+33 6 00", CallResult.NO_ANSWER, T0 + timedelta(minutes=1), "alice"
    )
    assert incident.first_action_at == T0 + timedelta(minutes=1)


def test_a_call_attempt_has_no_place_for_the_spoken_word() -> None:
    names = {f.name for f in dataclasses.fields(CallAttempt)}
    assert names == {"contact_id", "contact_name", "phone", "result", "at", "by", "note"}


def test_duress_raises_the_incident_to_priority_one() -> None:
    incident = _incident(priority=4)
    _call(incident, CallResult.SECRET_WRONG)
    assert incident.priority == 4 and not incident.duress
    _call(incident, CallResult.DURESS)
    assert incident.priority == 1 and incident.duress


# -- levée de doute (CSI L613-6) ----------------------------------------------------------


def test_police_for_a_property_alarm_needs_a_levee_de_doute() -> None:
    incident = _incident()
    with pytest.raises(IncidentRefused) as refused:
        incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0)
    assert str(refused.value) == LEVEE_DE_DOUTE_MISSING
    assert "vidéo vue" in str(refused.value) and "agent sur place" in str(refused.value)
    assert incident.dispatches == [] and incident.dispatched_at is None
    # an unanswered call, or a reached contact saying nothing, is no verification
    _call(incident, CallResult.NO_ANSWER)
    _call(incident, CallResult.SECRET_OK)
    with pytest.raises(IncidentRefused, match="levée de doute requise"):
        incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0)


@pytest.mark.parametrize(
    ("result", "note"),
    [
        (CallResult.SECRET_WRONG, ""),
        (CallResult.DURESS, ""),
        (CallResult.REACHED, "le gérant confirme : vitrine brisée"),
        (CallResult.SECRET_OK, "la gérante voit des intrus sur son téléphone"),
    ],
)
def test_a_conclusive_call_is_a_levee_de_doute(result: CallResult, note: str) -> None:
    incident = _incident()
    _call(incident, result, note)
    assert incident.verifications() == ["call"]
    sent = incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0 + timedelta(minutes=2))
    assert sent.kind is DispatchKind.POLICE and incident.dispatched_at == sent.requested_at


def test_video_seen_is_a_levee_de_doute() -> None:
    incident = _incident()
    incident.set_step(1, StepStatus.NOT_APPLICABLE, "pas de caméra", "alice", T0)
    with pytest.raises(IncidentRefused, match="levée de doute"):
        incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0)
    incident = _incident()
    incident.set_step(1, StepStatus.DONE, "intrus visibles", "alice", T0)
    assert incident.verifications() == ["video"]
    incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0)


def test_a_guard_on_site_is_a_levee_de_doute() -> None:
    incident = _incident()
    incident.dispatch(DispatchKind.PROVIDER, "GUARD", "Rhône Sécurité", "alice", T0)
    incident.dispatch_progress(1, DispatchStage.ON_THE_WAY, "", "alice", T0)
    with pytest.raises(IncidentRefused, match="levée de doute"):
        incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0)
    incident.dispatch_progress(1, DispatchStage.ON_SITE, "", "alice", T0)
    assert incident.verifications() == ["on_site"]
    incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0)
    assert [d.kind for d in incident.dispatches] == [DispatchKind.PROVIDER, DispatchKind.POLICE]


@pytest.mark.parametrize("kind", [AlarmKind.HOLDUP, AlarmKind.MEDICAL])
def test_alarms_raised_by_a_person_are_exempt(kind: AlarmKind) -> None:
    incident = _incident(kind, priority=1)
    sent = incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0)
    assert sent.kind is DispatchKind.POLICE


@pytest.mark.parametrize("kind", [AlarmKind.TECHNICAL, AlarmKind.FIRE])
def test_the_fire_brigade_and_providers_need_no_levee_de_doute(kind: AlarmKind) -> None:
    incident = _incident(kind)
    incident.dispatch(DispatchKind.FIRE, None, "", "alice", T0)
    incident.dispatch(DispatchKind.PROVIDER, "TECH", "Technic'Alarme", "alice", T0)
    with pytest.raises(IncidentRefused, match="levée de doute"):
        incident.dispatch(DispatchKind.POLICE, None, "", "alice", T0)


# -- dispatch stages --------------------------------------------------------------------


def test_dispatch_stages_go_forward_only_and_finish_with_a_report() -> None:
    incident = _incident()
    with pytest.raises(IncidentRefused, match="needs a provider"):
        incident.dispatch(DispatchKind.PROVIDER, None, "", "alice", T0)
    sent = incident.dispatch(DispatchKind.PROVIDER, "GUARD", "Rhône Sécurité", "alice", T0)
    assert sent.stage is DispatchStage.REQUESTED and incident.dispatched_at == T0
    times = [T0 + timedelta(minutes=m) for m in (5, 17, 30)]
    incident.dispatch_progress(1, DispatchStage.ON_THE_WAY, "", "alice", times[0])
    with pytest.raises(IncidentRefused, match="already on_the_way"):
        incident.dispatch_progress(1, DispatchStage.ON_THE_WAY, "", "alice", times[1])
    incident.dispatch_progress(1, DispatchStage.ON_SITE, "", "alice", times[1])
    with pytest.raises(IncidentRefused, match="already on_site"):
        incident.dispatch_progress(1, DispatchStage.ON_THE_WAY, "", "alice", times[1])
    with pytest.raises(IncidentRefused, match="needs its report"):
        incident.dispatch_progress(1, DispatchStage.FINISHED, "  ", "alice", times[2])
    incident.dispatch_progress(1, DispatchStage.FINISHED, " RAS, site fermé ", "alice", times[2])
    assert (sent.on_the_way_at, sent.on_site_at, sent.finished_at) == tuple(times)
    assert sent.stage.value == "finished" and sent.report == "RAS, site fermé"
    assert incident.dispatched_at == T0  # the first request's time stays
    with pytest.raises(IncidentRefused, match="no dispatch 2: there are 1"):
        incident.dispatch_progress(2, DispatchStage.ON_SITE, "", "alice", times[2])
    with pytest.raises(IncidentRefused, match="held by alice, not bob"):
        incident.dispatch_progress(1, DispatchStage.FINISHED, "x", "bob", times[2])


def test_a_stage_may_be_skipped_but_not_gone_back_to() -> None:
    incident = _incident()
    sent = incident.dispatch(DispatchKind.FIRE, "ignored", "ignored", "alice", T0)
    assert sent.provider_id is None and sent.provider_name == ""
    incident.dispatch_progress(1, DispatchStage.ON_SITE, "", "alice", T0)
    assert sent.on_the_way_at is None and sent.stage is DispatchStage.ON_SITE
    with pytest.raises(IncidentRefused):
        incident.dispatch_progress(1, DispatchStage.ON_THE_WAY, "", "alice", T0)


# -- back to normal ---------------------------------------------------------------------


def test_back_to_normal_is_recorded_and_does_not_gate_the_close() -> None:
    incident = _incident()
    assert not incident.restored
    incident.set_back_to_normal(True, False, "alice", T0)
    assert incident.back_to_normal.rearmed and not incident.back_to_normal.checked
    assert incident.back_to_normal.by == "alice"
    incident.alarms[0].restored_at = T0 + timedelta(minutes=3)
    assert incident.restored
    incident.set_step(2, StepStatus.DONE, "", "alice", T0)
    incident.close(Outcome.FALSE_ALARM_USER, "erreur de code", "alice", T0)
    with pytest.raises(IncidentRefused, match="closed"):
        incident.set_back_to_normal(True, True, "alice", T0)


def test_the_close_rules_for_mandatory_steps_are_unchanged() -> None:
    incident = Incident(1, "SITE", 4, T0)
    incident.steps = StepState.from_procedure((ProcedureStep(StepKind.CALL_CONTACTS),))
    incident.claim("alice", T0)
    incident.set_back_to_normal(True, True, "alice", T0)
    with pytest.raises(IncidentRefused, match="mandatory steps still open: 1"):
        incident.close(Outcome.OTHER, "x", "alice", T0)
