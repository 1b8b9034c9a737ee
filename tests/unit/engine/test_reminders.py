"""An alarm not restored gets a reminder once per period, until restored or closed."""

from __future__ import annotations

from datetime import timedelta

from vigie.domain.engine import Engine, EngineConfig, RaiseAlarm, Reminder
from vigie.domain.engine.decisions import Decision

from .builders import T0, record, seconds, sia, site


def reminders(decisions: list[Decision]) -> list[Reminder]:
    return [d for d in decisions if isinstance(d, Reminder)]


def engine_with_alarm(period_minutes: int = 10) -> tuple[Engine, RaiseAlarm]:
    engine = Engine(EngineConfig(reminder_after=timedelta(minutes=period_minutes)))
    out = engine.on_signal(1, record(sia("BA", zone="3")), site(), T0)
    alarm = out[-1]
    assert isinstance(alarm, RaiseAlarm)
    return engine, alarm


def test_a_reminder_after_the_period_then_one_per_period() -> None:
    engine, alarm = engine_with_alarm()
    assert reminders(engine.tick(T0 + seconds(600))) == []
    first = reminders(engine.tick(T0 + seconds(601)))
    assert [(r.key, r.count) for r in first] == [(alarm.key, 1)]
    assert reminders(engine.tick(T0 + seconds(900))) == []
    assert [r.count for r in reminders(engine.tick(T0 + seconds(1201)))] == [2]


def test_a_late_tick_sends_one_reminder_not_a_burst() -> None:
    engine, _ = engine_with_alarm()
    late = reminders(engine.tick(T0 + seconds(3601)))
    assert [r.count for r in late] == [6]
    assert reminders(engine.tick(T0 + seconds(3700))) == []


def test_no_reminder_once_restored_or_closed() -> None:
    engine, alarm = engine_with_alarm()
    engine.on_signal(2, record(sia("BR", zone="3"), at=T0 + seconds(60)), site(), T0 + seconds(60))
    assert reminders(engine.tick(T0 + seconds(3600))) == []
    other, alarm = engine_with_alarm()
    other.alarm_closed(alarm.key)
    assert reminders(other.tick(T0 + seconds(3600))) == []


def test_alarms_that_never_restore_get_no_reminder() -> None:
    engine = Engine()
    engine.on_signal(1, record(sia("RP"), account="9999"), None, T0)
    assert engine.tick(T0 + seconds(7200)) == []
    assert engine.open_alarm_keys() == []  # dropped once the flood window passed
