"""The processing engine (issue 3 §2): pure rules from journal signals to decisions.

No I/O and no clock: the processor passes each signal with its site and ``now``, calls
``tick(now)`` for timers, and persists the decisions and ``EngineState.to_dict()``.
"""

from vigie.domain.engine.decisions import (
    Decision,
    Ignored,
    LogOnly,
    RaiseAlarm,
    Reminder,
    RepeatAlarm,
    RestoreAlarm,
    StateChange,
    StateWhat,
)
from vigie.domain.engine.engine import Engine, EngineConfig
from vigie.domain.engine.state import (
    EngineState,
    OpenAlarm,
    PartitionState,
    TransmitterState,
    ZoneState,
)

__all__ = [
    "Decision",
    "Engine",
    "EngineConfig",
    "EngineState",
    "Ignored",
    "LogOnly",
    "OpenAlarm",
    "PartitionState",
    "RaiseAlarm",
    "Reminder",
    "RepeatAlarm",
    "RestoreAlarm",
    "StateChange",
    "StateWhat",
    "TransmitterState",
    "ZoneState",
]
