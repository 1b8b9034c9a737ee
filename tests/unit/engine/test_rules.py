"""Signals in, decisions out: normalisation, flood control, restores and the odd cases."""

from __future__ import annotations

from typing import TypeVar

from vigie.domain import register
from vigie.domain.engine import (
    Engine,
    EngineConfig,
    Ignored,
    LogOnly,
    RaiseAlarm,
    RepeatAlarm,
    RestoreAlarm,
    StateChange,
    StateWhat,
)
from vigie.domain.engine.decisions import Decision
from vigie.domain.register import AlarmKind

from .builders import T0, cid, record, seconds, sia, site

D = TypeVar("D")


def only(decisions: list[Decision], cls: type[D]) -> list[D]:
    return [d for d in decisions if isinstance(d, cls)]


def raised(decisions: list[Decision]) -> RaiseAlarm:
    alarms = only(decisions, RaiseAlarm)
    assert len(alarms) == 1, decisions
    return alarms[0]


def test_a_burglary_raises_an_intrusion_alarm_enriched_from_the_site() -> None:
    engine = Engine()
    out = engine.on_signal(1, record(sia("BA", zone="3")), site(), T0)
    alarm = raised(out)
    assert alarm.kind is AlarmKind.INTRUSION
    assert (alarm.site_id, alarm.account, alarm.code) == ("PHARMA-01", "1234", "BA")
    assert (alarm.zone, alarm.zone_label, alarm.signal_id, alarm.at) == ("3", "Réserve", 1, T0)
    assert alarm.priority == 4
    assert "Réserve" in alarm.text_fr and alarm.text_en
    zone = only(out, StateChange)[0]
    assert (zone.what, zone.item, zone.old, zone.new) == (StateWhat.ZONE, "3", "normal", "alarm")


def test_categories_map_onto_alarm_kinds() -> None:
    cases = {
        "PA": AlarmKind.HOLDUP,
        "FA": AlarmKind.FIRE,
        "MA": AlarmKind.MEDICAL,
        "WA": AlarmKind.TECHNICAL,
        "TA": AlarmKind.TAMPER,
        "AT": AlarmKind.TROUBLE,
    }
    for code, kind in cases.items():
        out = Engine().on_signal(1, record(sia(code, zone="1")), site(), T0)
        assert raised(out).kind is kind, code


def test_a_generic_alarm_on_a_fire_zone_is_a_fire() -> None:
    out = Engine().on_signal(1, record(sia("UA", zone="7")), site(), T0)
    assert raised(out).kind is AlarmKind.FIRE
    out = Engine().on_signal(1, record(cid("140", "1", "007")), site(), T0)
    assert raised(out).kind is AlarmKind.FIRE


def test_an_intrusion_code_on_a_panic_zone_is_lifted_to_hold_up() -> None:
    out = Engine().on_signal(1, record(sia("BA", zone="9")), site(), T0)
    assert raised(out).kind is AlarmKind.HOLDUP


def test_ten_burglaries_on_one_zone_are_one_alarm_with_a_count() -> None:
    engine = Engine()
    s = site()
    decisions = [
        engine.on_signal(i, record(sia("BA", zone="3"), at=T0 + seconds(i)), s, T0 + seconds(i))
        for i in range(1, 11)
    ]
    flat = [d for out in decisions for d in out]
    first = raised(flat)
    repeats = only(flat, RepeatAlarm)
    assert len(repeats) == 9
    assert [r.count for r in repeats] == list(range(2, 11))
    assert {r.key for r in repeats} == {first.key}


def test_the_flood_is_per_zone_and_per_kind() -> None:
    engine = Engine()
    s = site()
    engine.on_signal(1, record(sia("BA", zone="3")), s, T0)
    assert only(engine.on_signal(2, record(sia("BA", zone="4")), s, T0), RaiseAlarm)
    assert only(engine.on_signal(3, record(sia("TA", zone="3")), s, T0), RaiseAlarm)


def test_a_restore_attaches_to_its_alarm_and_a_later_alarm_is_new() -> None:
    engine = Engine(EngineConfig(flood_window_seconds=60))
    s = site()
    first = raised(engine.on_signal(1, record(sia("BA", zone="3")), s, T0))
    out = engine.on_signal(2, record(sia("BR", zone="003"), at=T0 + seconds(5)), s, T0 + seconds(5))
    restore = only(out, RestoreAlarm)[0]
    assert (restore.key, restore.signal_id) == (first.key, 2)
    assert only(out, StateChange)[0].new == "normal"
    # within the window: the same alarm again (a chattering detector)
    at = T0 + seconds(65)
    again = only(engine.on_signal(3, record(sia("BA", zone="3"), at=at), s, at), RepeatAlarm)[0]
    assert (again.key, again.count, again.reactivated) == (first.key, 2, True)
    engine.on_signal(4, record(sia("BR", zone="3"), at=at), s, at)
    # past the window after the last activity: a new alarm
    later = at + seconds(61)
    second = raised(engine.on_signal(5, record(sia("BA", zone="3"), at=later), s, later))
    assert second.key != first.key


def test_contact_id_qualifier_3_restores_the_same_code() -> None:
    engine = Engine()
    s = site()
    first = raised(engine.on_signal(1, record(cid("130", "1", "003")), s, T0))
    out = engine.on_signal(2, record(cid("130", "3", "003")), s, T0 + seconds(1))
    assert only(out, RestoreAlarm)[0].key == first.key


def test_a_communication_restore_ends_the_communication_trouble() -> None:
    engine = Engine()
    s = site()
    yc = raised(engine.on_signal(1, record(sia("YC")), s, T0))
    at = T0 + seconds(30)
    assert only(engine.on_signal(2, record(sia("AR")), s, at), RestoreAlarm) == []
    restore = only(engine.on_signal(3, record(sia("YK")), s, at), RestoreAlarm)[0]
    assert restore.key == yc.key


def test_a_restore_without_an_alarm_is_logged() -> None:
    out = Engine().on_signal(1, record(sia("YK")), site(), T0)
    assert len(out) == 1 and isinstance(out[0], LogOnly)


def test_closing_an_alarm_lets_the_next_occurrence_raise_again() -> None:
    engine = Engine()
    s = site()
    first = raised(engine.on_signal(1, record(sia("BA", zone="3")), s, T0))
    assert engine.alarm_closed(first.key)
    assert not engine.alarm_closed(first.key)
    second = raised(engine.on_signal(2, record(sia("BA", zone="3")), s, T0 + seconds(1)))
    assert second.key != first.key


def test_contact_id_duress_is_a_hold_up_with_the_user_name() -> None:
    out = Engine().on_signal(1, record(cid("121", "1", "005")), site(), T0)
    alarm = raised(out)
    assert alarm.kind is AlarmKind.HOLDUP and alarm.priority == 1
    assert (alarm.user, alarm.user_name) == ("5", "M. Martin")
    assert alarm.data["duress"] is True


def test_a_duress_disarm_out_of_hours_is_a_hold_up_and_still_disarms() -> None:
    from .builders import paris_schedule

    s = site(schedule=paris_schedule())
    night = T0.replace(hour=1)  # 03:00 in Paris: out of hours
    out = Engine().on_signal(1, record(sia("ND", area="1"), at=night), s, night)
    assert raised(out).kind is AlarmKind.HOLDUP
    change = only(out, StateChange)[0]
    assert (change.what, change.new) == (StateWhat.PARTITION, "disarmed")


def test_an_unknown_code_is_an_alarm_an_operator_sees() -> None:
    out = Engine().on_signal(1, record(sia("QQ", zone="2")), site(), T0)
    alarm = raised(out)
    assert alarm.kind is AlarmKind.OTHER
    assert alarm.code == "QQ" and not alarm.expects_restore
    out = Engine().on_signal(1, record(cid("999", "1", "002")), site(), T0)
    assert raised(out).kind is AlarmKind.OTHER


def test_an_unknown_account_raises_once_then_repeats() -> None:
    engine = Engine()
    first = engine.on_signal(1, record(sia("RP"), account="9999"), None, T0)
    alarm = raised(first)
    assert alarm.kind is AlarmKind.UNKNOWN_TRANSMITTER
    assert (alarm.site_id, alarm.account, alarm.priority) == (None, "9999", 7)
    again = engine.on_signal(2, record(sia("RP"), account="9999"), None, T0 + seconds(60))
    assert isinstance(again[0], RepeatAlarm) and again[0].count == 2
    other = engine.on_signal(3, record(sia("RP"), account="8888"), None, T0 + seconds(60))
    assert isinstance(other[0], RaiseAlarm)


def test_opening_by_an_unknown_user_is_a_schedule_alarm() -> None:
    out = Engine().on_signal(1, record(sia("OP", user="42", area="1")), site(), T0)
    alarm = raised(out)
    assert alarm.kind is AlarmKind.SCHEDULE and alarm.user == "42"
    assert "Utilisateur inconnu" in alarm.description


def test_opening_by_a_known_user_in_hours_is_only_a_state_change() -> None:
    from .builders import paris_schedule

    out = Engine().on_signal(1, record(cid("401", "1", "005")), site(schedule=paris_schedule()), T0)
    assert only(out, RaiseAlarm) == []
    change = only(out, StateChange)[0]
    assert (change.item, change.old, change.new, change.by) == ("1", "unknown", "disarmed", "5")
    assert "M. Martin" in change.text_fr


def test_a_site_on_test_logs_alarms_but_keeps_state() -> None:
    s = site(
        test_periods=(register.TestPeriod(T0 - seconds(60), T0 + seconds(3600), "maintenance"),)
    )
    engine = Engine()
    out = engine.on_signal(1, record(sia("BA", zone="3")), s, T0)
    assert only(out, RaiseAlarm) == []
    assert any(isinstance(d, LogOnly) and "Site en test" in d.text_fr for d in out)
    assert engine.state.zones["PHARMA-01"]["3"].condition == "alarm"
    assert engine.state.transmitters["1234"].last_heard == T0


def test_refused_frames_and_duplicates_are_ignored_with_a_reason() -> None:
    engine = Engine()
    nak = engine.on_signal(1, record(sia("BA", zone="3"), reply_kind="NAK"), site(), T0)
    assert len(nak) == 1 and isinstance(nak[0], Ignored) and "NAK" in nak[0].reason
    dup = engine.on_signal(2, record(sia("BA", zone="3")), site(), T0, duplicate_of=1)
    assert isinstance(dup[0], Ignored) and "duplicate of signal 1" in dup[0].reason
    assert engine.state.transmitters["1234"].last_heard == T0  # still heard


def test_a_null_poll_is_logged_and_heard() -> None:
    engine = Engine()
    out = engine.on_signal(1, record(), site(), T0)
    assert len(out) == 1 and isinstance(out[0], LogOnly)
    assert engine.state.transmitters["1234"].last_heard == T0


def test_tests_bypasses_and_information_raise_nothing() -> None:
    engine = Engine()
    s = site()
    assert isinstance(engine.on_signal(1, record(sia("RP")), s, T0)[0], LogOnly)
    bypass = engine.on_signal(2, record(sia("BB", zone="3")), s, T0)
    assert (bypass[0].what, bypass[0].new) == (StateWhat.BYPASS, "bypassed")  # type: ignore[union-attr]
    unbypass = engine.on_signal(3, record(sia("BU", zone="3")), s, T0)
    assert unbypass[0].new == "in_service"  # type: ignore[union-attr]
    assert isinstance(engine.on_signal(4, record(sia("JT", user="5")), s, T0)[0], LogOnly)


def test_every_event_of_a_multi_event_signal_is_decided() -> None:
    out = Engine().on_signal(
        1, record(sia("BA", zone="3"), sia("RP"), sia("CL", user="5", area="1")), site(), T0
    )
    assert len(only(out, RaiseAlarm)) == 1
    assert len(only(out, LogOnly)) == 1
    assert any(isinstance(d, StateChange) and d.what is StateWhat.PARTITION for d in out)
