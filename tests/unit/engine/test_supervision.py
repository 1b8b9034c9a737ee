"""Supervision: heard within interval + grace, or missing; the deadline heap stays lazy."""

from __future__ import annotations

from vigie.domain import register
from vigie.domain.engine import Engine, RaiseAlarm, RestoreAlarm, StateChange, StateWhat
from vigie.domain.engine.decisions import LogOnly
from vigie.domain.register import AlarmKind, Supervision

from .builders import T0, record, seconds, sia, site

SUP = Supervision(interval_seconds=600, grace_seconds=60)  # deadline 660 s


def supervised_engine() -> Engine:
    engine = Engine()
    engine.register_transmitter("1234", "PHARMA-01", SUP, T0)
    engine.watch_site(site(supervision=SUP), T0)
    return engine


def test_exactly_at_the_deadline_is_in_time_one_second_after_is_missing() -> None:
    engine = supervised_engine()
    assert engine.tick(T0 + seconds(660)) == []
    out = engine.tick(T0 + seconds(661))
    alarm = next(d for d in out if isinstance(d, RaiseAlarm))
    assert alarm.kind is AlarmKind.SUPERVISION and alarm.account == "1234"
    assert alarm.description == "Test cyclique manquant"
    change = next(d for d in out if isinstance(d, StateChange))
    assert (change.what, change.item, change.new) == (StateWhat.TRANSMITTER, "1234", "missing")
    later = engine.tick(T0 + seconds(5000))  # missing once, then reminders only
    assert not any(isinstance(d, RaiseAlarm) for d in later)


def test_any_frame_counts_not_only_tests() -> None:
    engine = supervised_engine()
    s = site(supervision=SUP)
    at = T0 + seconds(600)
    engine.on_signal(1, record(sia("OP", user="5"), at=at), s, at)
    assert engine.tick(T0 + seconds(661)) == []
    assert engine.tick(at + seconds(660)) == []
    assert engine.tick(at + seconds(661)) != []


def test_the_next_frame_restores_the_supervision_alarm() -> None:
    engine = supervised_engine()
    alarm = next(d for d in engine.tick(T0 + seconds(700)) if isinstance(d, RaiseAlarm))
    at = T0 + seconds(800)
    out = engine.on_signal(7, record(sia("RP"), at=at), site(supervision=SUP), at)
    restore = next(d for d in out if isinstance(d, RestoreAlarm))
    assert (restore.key, restore.signal_id) == (alarm.key, 7)
    assert any(isinstance(d, StateChange) and d.new == "ok" for d in out)
    # and it is supervised again from that frame
    assert engine.tick(at + seconds(660)) == []
    assert any(isinstance(d, RaiseAlarm) for d in engine.tick(at + seconds(661)))


def test_a_site_on_test_logs_the_missing_test_without_an_alarm() -> None:
    period = register.TestPeriod(T0, T0 + seconds(3600))
    engine = Engine()
    engine.watch_site(site(supervision=SUP, test_periods=(period,)), T0)
    out = engine.tick(T0 + seconds(700))
    assert not any(isinstance(d, RaiseAlarm) for d in out)
    assert any(isinstance(d, LogOnly) for d in out)
    assert engine.state.transmitters["1234"].missing


def test_tick_touches_only_what_is_due() -> None:
    engine = Engine()
    for i in range(1000):
        engine.register_transmitter(f"A{i:04d}", "PHARMA-01", SUP, T0 + seconds(i))
    watch = engine._watch  # the heap is the point of this test
    assert len(watch) == 1000
    out = engine.tick(T0 + seconds(670))  # deadlines T0+660..T0+669 passed: 10 transmitters
    assert sum(isinstance(d, RaiseAlarm) for d in out) == 10
    assert len(watch) == 990


def test_hearing_does_not_grow_the_heap() -> None:
    engine = supervised_engine()
    s = site(supervision=SUP)
    for i in range(100):
        at = T0 + seconds(i)
        engine.on_signal(i, record(sia("RP"), at=at), s, at)
    assert len(engine._watch) == 1


def test_forgotten_and_unsupervised_transmitters_are_not_reported() -> None:
    engine = Engine()
    engine.register_transmitter("AAAA", None, SUP, T0)
    engine.register_transmitter("BBBB", None, SUP, T0)
    engine.forget_transmitter("AAAA")
    engine.register_transmitter("BBBB", None, None, T0)
    assert engine.tick(T0 + seconds(10_000)) == []
    engine.register_transmitter("AAAA", None, SUP, T0 + seconds(10_000))
    out = engine.tick(T0 + seconds(10_661))
    assert [d.account for d in out if isinstance(d, RaiseAlarm)] == ["AAAA"]


def test_a_changed_interval_takes_effect() -> None:
    engine = Engine()
    engine.register_transmitter("AAAA", None, SUP, T0)
    engine.register_transmitter("AAAA", None, Supervision(60), T0)
    assert any(isinstance(d, RaiseAlarm) for d in engine.tick(T0 + seconds(61)))
