"""Periods as people type them: ``2026-11-01`` is a day in Paris, both ends included.

A full ISO time is taken as given; without an offset it is UTC, as everywhere in the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["PeriodError", "describe_period", "parse_bound"]


class PeriodError(ValueError):
    """A bound that is neither YYYY-MM-DD nor an ISO-8601 time."""


def _paris() -> ZoneInfo:
    return ZoneInfo("Europe/Paris")


def parse_bound(value: str | None, *, end: bool) -> datetime | None:
    """The UTC instant a bound stands for; an end day means up to its last second."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise PeriodError(f"{value!r}: expected YYYY-MM-DD") from None
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=_paris()).astimezone(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PeriodError(f"{value!r}: expected YYYY-MM-DD or an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def describe_period(since: datetime | None, until: datetime | None) -> str:
    """The period in French, Paris time, for the head of a printed export."""

    def shown(at: datetime) -> str:
        return at.astimezone(_paris()).strftime("%d/%m/%Y %H:%M")

    if since is None and until is None:
        return "depuis l'origine"
    if since is None:
        assert until is not None
        return f"jusqu'au {shown(until)} (exclu)"
    if until is None:
        return f"depuis le {shown(since)}"
    return f"du {shown(since)} au {shown(until)} (exclu)"
