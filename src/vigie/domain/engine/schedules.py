"""Opening hours in the site's own time zone ("Auto Status Monitoring").

Schedules are written in local wall time (the site's ``timezone``), alarms are judged on
UTC instants. Each local time is converted with ``zoneinfo`` on its own date, so a DST
change moves the UTC instant and not the wall time: a 19:00 closing is 18:00 UTC in
winter and 17:00 UTC in summer, on the change day too. Tolerances are real minutes added
in UTC, so "closes 23:50 + 15 min" ends at 00:05 the next day. A local time that does
not exist (the spring-forward gap) is read with the offset before the change, i.e. one
hour later on the wall clock; an ambiguous one (autumn) is the first of the two.

Rules (strict and inclusive the same way as supervision):
* late to close: not armed *after* ``closes + tolerance`` (arming at the deadline is fine);
* opened out of hours: a disarm outside ``[opens - tolerance, closes + tolerance]`` of the
  day before, the day itself or the day after (windows may cross midnight).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigie.domain.register import SiteSchedule

__all__ = ["closing_deadline_after", "opening_allowed", "site_zone"]

_SEARCH_DAYS = 400  # exceptions-only schedules may be sparse: look at most a year ahead


@lru_cache(maxsize=64)
def site_zone(name: str) -> ZoneInfo:
    """The site's time zone; an unknown name falls back to UTC rather than failing."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_instant(day: date, when: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time on ``day`` (fold 0, see the module note)."""
    return datetime.combine(day, when, tzinfo=tz).astimezone(UTC)


def closing_deadline_after(
    schedule: SiteSchedule, tz: ZoneInfo, after: datetime
) -> tuple[datetime, date] | None:
    """The first ``closes + tolerance`` instant strictly after ``after``, and its day."""
    if not schedule.watched:
        return None
    tolerance = timedelta(minutes=schedule.tolerance_minutes)
    start = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = start + timedelta(days=offset)
        hours = schedule.hours_on(day)
        if hours is None:
            continue
        deadline = local_instant(day, hours.closes, tz) + tolerance
        if deadline > after:
            return deadline, day
    return None


def opening_allowed(schedule: SiteSchedule, tz: ZoneInfo, at: datetime) -> bool:
    """True when a disarm at ``at`` falls in opening hours, tolerance included."""
    tolerance = timedelta(minutes=schedule.tolerance_minutes)
    today = at.astimezone(tz).date()
    for offset in (-1, 0, 1):
        day = today + timedelta(days=offset)
        hours = schedule.hours_on(day)
        if hours is None:
            continue
        opens = local_instant(day, hours.opens, tz) - tolerance
        closes = local_instant(day, hours.closes, tz) + tolerance
        if opens <= at <= closes:
            return True
    return False
