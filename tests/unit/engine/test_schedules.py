"""Late to close, opened out of hours: tolerance edges, holidays, DST and midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from vigie.domain.engine import Engine, RaiseAlarm, RestoreAlarm
from vigie.domain.engine.decisions import Decision
from vigie.domain.register import AlarmKind, DaySchedule, SiteSchedule

from .builders import WEEKDAYS, cid, paris_schedule, record, seconds, sia, site

MONDAY = datetime(2024, 6, 3, 5, 0, tzinfo=UTC)  # 07:00 in Paris (summer, UTC+2)


def alarms(decisions: list[Decision]) -> list[RaiseAlarm]:
    return [d for d in decisions if isinstance(d, RaiseAlarm)]


def watched(schedule: SiteSchedule, now: datetime) -> Engine:
    engine = Engine()
    engine.watch_site(site(schedule=schedule), now)
    return engine


def test_late_to_close_fires_after_closing_plus_tolerance_not_at_it() -> None:
    engine = watched(paris_schedule(tolerance=15), MONDAY)
    deadline = datetime(2024, 6, 3, 17, 15, tzinfo=UTC)  # 19:15 Paris
    assert alarms(engine.tick(deadline)) == []
    late = alarms(engine.tick(deadline + seconds(1)))
    assert len(late) == 1
    assert late[0].kind is AlarmKind.SCHEDULE
    assert late[0].description == "Mise en service tardive"
    assert alarms(engine.tick(deadline + seconds(3600))) == []  # once per closing


def test_armed_in_time_means_no_late_to_close_and_late_arming_restores_it() -> None:
    s = site(schedule=paris_schedule())
    engine = Engine()
    engine.watch_site(s, MONDAY)
    at = datetime(2024, 6, 3, 17, 15, tzinfo=UTC)  # arming exactly at the deadline
    engine.on_signal(1, record(sia("CL", user="5"), at=at), s, at)
    assert alarms(engine.tick(at + seconds(1))) == []
    # Tuesday: late, then armed: the alarm is restored
    tuesday = datetime(2024, 6, 4, 17, 16, tzinfo=UTC)
    engine.on_signal(2, record(sia("OP", user="5"), at=tuesday.replace(hour=6)), s, tuesday)
    late = alarms(engine.tick(tuesday))[0]
    out = engine.on_signal(3, record(sia("CL", user="5"), at=tuesday), s, tuesday)
    assert [d.key for d in out if isinstance(d, RestoreAlarm)] == [late.key]


def test_a_holiday_has_no_closing_and_an_opening_on_it_is_out_of_hours() -> None:
    holiday = date(2024, 7, 15)  # a Monday
    schedule = paris_schedule(exceptions=((holiday, None),))
    s = site(schedule=schedule)
    engine = Engine()
    engine.watch_site(s, datetime(2024, 7, 15, 0, 0, tzinfo=UTC))
    assert alarms(engine.tick(datetime(2024, 7, 15, 21, 0, tzinfo=UTC))) == []
    at = datetime(2024, 7, 15, 8, 0, tzinfo=UTC)  # 10:00 Paris, normally open
    alarm = alarms(engine.on_signal(1, record(sia("OP", user="5"), at=at), s, at))[0]
    assert "hors horaires" in alarm.description
    # and the day after is an ordinary day again
    late = alarms(engine.tick(datetime(2024, 7, 16, 17, 16, tzinfo=UTC)))
    assert len(late) == 1


def test_an_exception_day_with_other_hours_replaces_the_weekday() -> None:
    short = DaySchedule(0, time(8, 0), time(12, 0))
    schedule = paris_schedule(tolerance=0, exceptions=((date(2024, 6, 3), short),))
    engine = watched(schedule, MONDAY)
    assert alarms(engine.tick(datetime(2024, 6, 3, 10, 0, tzinfo=UTC))) == []
    assert len(alarms(engine.tick(datetime(2024, 6, 3, 10, 0, 1, tzinfo=UTC)))) == 1


def test_opening_tolerance_boundary() -> None:
    s = site(schedule=paris_schedule(tolerance=15))
    opens_minus_tol = datetime(2024, 6, 3, 5, 45, tzinfo=UTC)  # 07:45 Paris
    ok = Engine().on_signal(
        1, record(cid("401", "1", "005"), at=opens_minus_tol), s, opens_minus_tol
    )
    assert alarms(ok) == []
    early = opens_minus_tol - seconds(1)
    out = Engine().on_signal(1, record(cid("401", "1", "005"), at=early), s, early)
    assert alarms(out)[0].kind is AlarmKind.SCHEDULE


def test_spring_forward_day_moves_the_utc_deadline() -> None:
    every_day = tuple(DaySchedule(d, time(8, 0), time(19, 0)) for d in range(7))
    schedule = SiteSchedule(days=every_day, tolerance_minutes=15)
    saturday = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)
    engine = watched(schedule, saturday)
    assert alarms(engine.tick(datetime(2024, 3, 30, 18, 15, tzinfo=UTC))) == []  # 19:15 CET
    assert len(alarms(engine.tick(datetime(2024, 3, 30, 18, 15, 1, tzinfo=UTC)))) == 1
    # Sunday 31 March 2024: clocks go 02:00 -> 03:00, 19:15 CEST is 17:15 UTC
    engine.tick(datetime(2024, 3, 31, 12, 0, tzinfo=UTC))
    assert alarms(engine.tick(datetime(2024, 3, 31, 17, 15, tzinfo=UTC))) == []
    assert len(alarms(engine.tick(datetime(2024, 3, 31, 17, 15, 1, tzinfo=UTC)))) == 1


def test_fall_back_day_moves_the_utc_deadline_back() -> None:
    every_day = tuple(DaySchedule(d, time(8, 0), time(19, 0)) for d in range(7))
    schedule = SiteSchedule(days=every_day, tolerance_minutes=0)
    engine = watched(schedule, datetime(2024, 10, 26, 12, 0, tzinfo=UTC))
    assert len(alarms(engine.tick(datetime(2024, 10, 26, 17, 0, 1, tzinfo=UTC)))) == 1  # CEST
    # Sunday 27 October 2024: back to CET, 19:00 is 18:00 UTC
    assert alarms(engine.tick(datetime(2024, 10, 27, 18, 0, tzinfo=UTC))) == []
    assert len(alarms(engine.tick(datetime(2024, 10, 27, 18, 0, 1, tzinfo=UTC)))) == 1


def test_an_opening_in_the_repeated_hour_of_fall_back_is_judged_in_local_time() -> None:
    every_day = tuple(DaySchedule(d, time(1, 0), time(23, 0)) for d in range(7))
    s = site(schedule=SiteSchedule(days=every_day, tolerance_minutes=0))
    # 00:30 UTC on 27 Oct = 02:30 CEST (first pass): open since 01:00 local
    at = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert alarms(Engine().on_signal(1, record(sia("OP", user="5"), at=at), s, at)) == []
    # 23:30 UTC on 26 Oct = 01:30 CEST on the 27th: open as well
    at = datetime(2024, 10, 26, 23, 30, tzinfo=UTC)
    assert alarms(Engine().on_signal(1, record(sia("OP", user="5"), at=at), s, at)) == []
    # 22:30 UTC on 26 Oct = 00:30 CEST: closed
    at = datetime(2024, 10, 26, 22, 30, tzinfo=UTC)
    assert len(alarms(Engine().on_signal(1, record(sia("OP", user="5"), at=at), s, at))) == 1


def test_tolerance_crossing_midnight() -> None:
    late_shop = tuple(DaySchedule(d, time(10, 0), time(23, 50)) for d in range(7))
    s = site(schedule=SiteSchedule(days=late_shop, tolerance_minutes=15))
    engine = Engine()
    engine.watch_site(s, datetime(2024, 6, 3, 12, 0, tzinfo=UTC))
    # 23:50 + 15 min = 00:05 Paris on Tuesday = 22:05 UTC on Monday
    assert alarms(engine.tick(datetime(2024, 6, 3, 22, 5, tzinfo=UTC))) == []
    assert len(alarms(engine.tick(datetime(2024, 6, 3, 22, 5, 1, tzinfo=UTC)))) == 1
    # a disarm at 00:04 Paris is within Monday's tolerance; at 00:06 it is not
    ok = datetime(2024, 6, 3, 22, 4, tzinfo=UTC)
    assert alarms(Engine().on_signal(1, record(sia("OP", user="5"), at=ok), s, ok)) == []
    bad = datetime(2024, 6, 3, 22, 6, tzinfo=UTC)
    assert len(alarms(Engine().on_signal(1, record(sia("OP", user="5"), at=bad), s, bad))) == 1


def test_weekend_closing_is_watched_only_on_open_days() -> None:
    friday = datetime(2024, 6, 7, 12, 0, tzinfo=UTC)
    engine = watched(SiteSchedule(days=WEEKDAYS, tolerance_minutes=0), friday)
    assert len(alarms(engine.tick(datetime(2024, 6, 7, 17, 0, 1, tzinfo=UTC)))) == 1
    assert alarms(engine.tick(datetime(2024, 6, 9, 23, 0, tzinfo=UTC))) == []  # Sat, Sun: closed
    assert len(alarms(engine.tick(datetime(2024, 6, 10, 17, 0, 1, tzinfo=UTC)))) == 1


def test_a_restart_does_not_repeat_or_forget_a_closing() -> None:
    from vigie.domain.engine import EngineState

    s = site(schedule=paris_schedule(tolerance=0))
    engine = Engine()
    engine.watch_site(s, MONDAY)
    assert len(alarms(engine.tick(datetime(2024, 6, 3, 17, 0, 1, tzinfo=UTC)))) == 1
    saved = engine.state.to_dict()
    # down from Monday evening to Tuesday 20:00: Tuesday's closing was missed while down
    again = Engine(state=EngineState.from_dict(saved))
    tuesday_evening = datetime(2024, 6, 4, 18, 0, tzinfo=UTC)
    again.watch_site(s, tuesday_evening)
    late = alarms(again.tick(tuesday_evening))
    assert len(late) == 1  # Tuesday's, not Monday's again
    assert late[0].data["deadline"] == "2024-06-04T17:00:00+00:00"
