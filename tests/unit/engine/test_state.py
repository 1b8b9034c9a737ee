"""State survives a save and reload: the processor persists it with its decisions."""

from __future__ import annotations

import json

import pytest

from vigie.domain.engine import Engine, EngineConfig, EngineState, RaiseAlarm, RepeatAlarm
from vigie.domain.engine.decisions import Reminder, RestoreAlarm
from vigie.domain.errors import InvalidValue
from vigie.domain.register import Supervision

from .builders import T0, paris_schedule, record, seconds, sia, site

SUP = Supervision(600, 60)


def busy_engine() -> Engine:
    engine = Engine()
    s = site(schedule=paris_schedule(), supervision=SUP)
    engine.watch_site(s, T0)
    engine.on_signal(1, record(sia("CL", user="5", area="1")), s, T0)
    engine.on_signal(2, record(sia("OP", user="5", area="2")), s, T0)
    engine.on_signal(3, record(sia("BA", zone="3")), s, T0)
    engine.on_signal(4, record(sia("BB", zone="4")), s, T0)
    engine.on_signal(5, record(sia("YC")), s, T0)
    engine.on_signal(6, record(sia("RP"), account="9999"), None, T0)
    return engine


def test_round_trip_through_json_is_identical() -> None:
    engine = busy_engine()
    saved = engine.state.to_dict()
    reloaded = EngineState.from_dict(json.loads(json.dumps(saved)))
    assert reloaded.to_dict() == saved
    assert reloaded.partitions["PHARMA-01"]["1"].armed
    assert not reloaded.partitions["PHARMA-01"]["2"].armed
    assert reloaded.zones["PHARMA-01"]["4"].bypassed
    assert reloaded.transmitters["1234"].interval_seconds == 600


def test_a_reloaded_engine_continues_where_the_first_left_off() -> None:
    first = busy_engine()
    s = site(schedule=paris_schedule(), supervision=SUP)
    second = Engine(state=EngineState.from_dict(json.loads(json.dumps(first.state.to_dict()))))
    second.watch_site(s, T0 + seconds(10))
    at = T0 + seconds(20)
    out = second.on_signal(7, record(sia("BA", zone="3"), at=at), s, at)
    assert isinstance(out[0], RepeatAlarm) and out[0].count == 2
    out = second.on_signal(8, record(sia("BR", zone="3"), at=at), s, at)
    assert any(isinstance(d, RestoreAlarm) for d in out)
    missing = second.tick(T0 + seconds(20 + 661))
    assert any(isinstance(d, RaiseAlarm) and d.account == "1234" for d in missing)
    reminders = second.tick(T0 + seconds(1801))
    assert any(isinstance(d, Reminder) for d in reminders)  # the YC trouble, 30 min on


def test_an_unsupported_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        EngineState.from_dict({"version": 99})


def test_config_is_checked_and_names_the_field() -> None:
    with pytest.raises(InvalidValue, match="flood_window_seconds"):
        EngineConfig(flood_window_seconds=-1)
    with pytest.raises(InvalidValue, match="priorities"):
        EngineConfig(priorities={})
