"""Open alarms: flood control, restore matching and reminders.

State machine of one alarm episode (by base key = site + kind + point):

    (none) --occurrence--> active --restore--> restored --flood window passes--> (none)
                           |  ^                   |
                           |  +---occurrence------+   (within the window: a repeat,
                           |                            the alarm is active again)
                           +--operator closes (``close``)--> (none)

An occurrence while an episode is active, or within ``flood_window`` of its last
activity, is a *repeat*: the count goes up and no new alarm is raised (ten BA on one zone
make one alarm with a count of ten). Alarms that never restore (unknown transmitter,
opened out of hours...) are repeats only within the window of their last occurrence.

An active alarm that expects a restore and has none ``reminder_after`` after it rose
gets a reminder, then one per period after that (a late tick sends one reminder, not a
burst). Timers live in one heap with lazy invalidation, like supervision.
"""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime, timedelta

from vigie.domain.engine.state import OpenAlarm
from vigie.domain.register import AlarmKind

__all__ = ["AlarmBook"]


class AlarmBook:
    def __init__(
        self, alarms: dict[str, OpenAlarm], flood_window: timedelta, reminder_after: timedelta
    ) -> None:
        self._alarms = alarms
        self._window = flood_window
        self._period = reminder_after.total_seconds()
        self._heap: list[tuple[float, int, str]] = []
        self._tokens = itertools.count(1)
        self._by_key: dict[str, str] = {a.key: base for base, a in alarms.items()}
        for alarm in alarms.values():
            self._schedule(alarm)

    def __len__(self) -> int:
        return len(self._alarms)

    def get(self, base: str) -> OpenAlarm | None:
        return self._alarms.get(base)

    def keys(self) -> list[str]:
        return list(self._by_key)

    def _next_timer(self, alarm: OpenAlarm) -> float:
        if alarm.active and alarm.expects_restore:
            return alarm.raised_at.timestamp() + (alarm.reminders + 1) * self._period
        return (alarm.last_at + self._window).timestamp()

    def _schedule(self, alarm: OpenAlarm) -> None:
        alarm.token = next(self._tokens)
        heapq.heappush(self._heap, (self._next_timer(alarm), alarm.token, alarm.base))

    def _is_repeat(self, alarm: OpenAlarm, at: datetime) -> bool:
        within = at - alarm.last_at <= self._window
        return within or (alarm.active and alarm.expects_restore)

    def occur(self, base: str, at: datetime) -> tuple[OpenAlarm, bool] | None:
        """A repeat of an open episode -> (alarm, reactivated); None = raise a new one."""
        alarm = self._alarms.get(base)
        if alarm is None or not self._is_repeat(alarm, at):
            return None
        reactivated = not alarm.active
        alarm.count += 1
        alarm.last_at = max(alarm.last_at, at)
        alarm.restored_at = None
        self._schedule(alarm)
        return alarm, reactivated

    def open(
        self,
        key: str,
        base: str,
        kind: AlarmKind,
        site_id: str | None,
        at: datetime,
        expects_restore: bool,
    ) -> OpenAlarm:
        old = self._alarms.get(base)
        if old is not None:
            self._by_key.pop(old.key, None)
        alarm = OpenAlarm(key, base, kind, site_id, at, at, expects_restore=expects_restore)
        self._alarms[base] = alarm
        self._by_key[key] = base
        self._schedule(alarm)
        return alarm

    def restore(self, base: str, at: datetime) -> OpenAlarm | None:
        """End the active episode of ``base``; None when there is none to end."""
        alarm = self._alarms.get(base)
        if alarm is None or not alarm.active:
            return None
        alarm.restored_at = at
        alarm.last_at = max(alarm.last_at, at)
        self._schedule(alarm)
        return alarm

    def close(self, key: str) -> bool:
        """The operator closed the alarm: the next occurrence raises a new one."""
        base = self._by_key.pop(key, None)
        if base is None:
            return False
        self._alarms.pop(base, None)
        return True

    def due(self, now: datetime) -> list[OpenAlarm]:
        """Alarms owed a reminder now; drops episodes whose flood window has passed."""
        now_ts = now.timestamp()
        heap = self._heap
        reminders: list[OpenAlarm] = []
        while heap and heap[0][0] < now_ts:
            _, token, base = heapq.heappop(heap)
            alarm = self._alarms.get(base)
            if alarm is None or alarm.token != token:
                continue
            if self._next_timer(alarm) >= now_ts:
                self._schedule(alarm)
                continue
            if alarm.active and alarm.expects_restore:
                elapsed = now_ts - alarm.raised_at.timestamp()
                periods = int(elapsed // self._period) if self._period > 0 else 1
                if periods * self._period >= elapsed:
                    periods -= 1  # exactly on a period boundary is not yet past it
                alarm.reminders = max(alarm.reminders + 1, periods)
                reminders.append(alarm)
                self._schedule(alarm)
            else:
                self._alarms.pop(base, None)
                self._by_key.pop(alarm.key, None)
        return reminders
