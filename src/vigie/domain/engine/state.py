"""The engine's memory: what it knows of each site and transmitter between signals.

Plain mutable records, serialisable to and from JSON-friendly dicts so the processor can
persist them next to its decisions and reload them at start (``EngineState.to_dict`` /
``EngineState.from_dict``). Instants are aware UTC datetimes, stored as ISO strings.

* partitions: site -> partition -> armed?, by which user, since when. Partition "0" is the
  whole system (events that name no area).
* zones: site -> zone -> condition (normal / alarm / trouble) and bypassed flag.
* transmitters: account -> site, supervision (interval + grace), last heard, missing?
* alarms: open alarm episodes by base key (flood and restore matching, reminders).
* schedule_checked: site -> the last "late to close" deadline already evaluated, so a
  restart neither forgets nor repeats one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vigie.domain.register import AlarmKind

__all__ = [
    "ARMED",
    "DISARMED",
    "EngineState",
    "OpenAlarm",
    "PartitionState",
    "TransmitterState",
    "ZoneState",
]

ARMED = "armed"
DISARMED = "disarmed"
UNKNOWN = "unknown"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _at(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _req_at(value: Any) -> datetime:
    parsed = _at(value)
    if parsed is None:
        raise ValueError("missing instant in engine state")
    return parsed


@dataclass(slots=True)
class PartitionState:
    armed: bool
    by: str | None
    at: datetime

    @property
    def word(self) -> str:
        return ARMED if self.armed else DISARMED


@dataclass(slots=True)
class ZoneState:
    condition: str = "normal"  # normal / alarm / trouble
    bypassed: bool = False
    at: datetime | None = None


@dataclass(slots=True)
class TransmitterState:
    """``since`` is the last time heard, or the registration time if never heard."""

    account: str
    site_id: str | None
    since: datetime
    last_heard: datetime | None = None
    interval_seconds: int | None = None  # None: not supervised
    grace_seconds: int = 0
    missing: bool = False
    # heap bookkeeping (not persisted): the token of this transmitter's live heap entry
    token: int = 0
    since_ts: float = 0.0  # ``since`` in epoch seconds, kept by ``heard_at`` (hot path)

    def __post_init__(self) -> None:
        self.since_ts = self.since.timestamp()

    def heard_at(self, at: datetime) -> None:
        if self.last_heard is None or at > self.last_heard:
            self.last_heard = at
        if at > self.since:
            self.since = at
            self.since_ts = at.timestamp()

    @property
    def supervised(self) -> bool:
        return self.interval_seconds is not None

    def deadline(self) -> float:
        """Epoch seconds after which the transmitter is missing (heard by then = fine)."""
        return self.since_ts + (self.interval_seconds or 0) + self.grace_seconds


@dataclass(slots=True)
class OpenAlarm:
    """One alarm episode the engine still matches repeats and restores against."""

    key: str
    base: str
    kind: AlarmKind
    site_id: str | None
    raised_at: datetime
    last_at: datetime  # last occurrence, repeat or restore: the flood window runs from here
    count: int = 1
    restored_at: datetime | None = None
    expects_restore: bool = True
    reminders: int = 0
    token: int = 0  # heap bookkeeping (not persisted)

    @property
    def active(self) -> bool:
        return self.restored_at is None


@dataclass(slots=True)
class EngineState:
    partitions: dict[str, dict[str, PartitionState]] = field(default_factory=dict)
    zones: dict[str, dict[str, ZoneState]] = field(default_factory=dict)
    transmitters: dict[str, TransmitterState] = field(default_factory=dict)
    alarms: dict[str, OpenAlarm] = field(default_factory=dict)
    schedule_checked: dict[str, datetime] = field(default_factory=dict)

    def site_armed(self, site_id: str) -> bool:
        """Armed = at least one partition known and every known partition armed."""
        parts = self.partitions.get(site_id)
        if not parts:
            return False
        return all(p.armed for p in parts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "partitions": {
                site: {
                    n: {"armed": p.armed, "by": p.by, "at": _iso(p.at)} for n, p in parts.items()
                }
                for site, parts in self.partitions.items()
            },
            "zones": {
                site: {
                    n: {"condition": z.condition, "bypassed": z.bypassed, "at": _iso(z.at)}
                    for n, z in zones.items()
                }
                for site, zones in self.zones.items()
            },
            "transmitters": {
                acct: {
                    "site_id": t.site_id,
                    "since": _iso(t.since),
                    "last_heard": _iso(t.last_heard),
                    "interval_seconds": t.interval_seconds,
                    "grace_seconds": t.grace_seconds,
                    "missing": t.missing,
                }
                for acct, t in self.transmitters.items()
            },
            "alarms": {
                base: {
                    "key": a.key,
                    "kind": a.kind.value,
                    "site_id": a.site_id,
                    "raised_at": _iso(a.raised_at),
                    "last_at": _iso(a.last_at),
                    "count": a.count,
                    "restored_at": _iso(a.restored_at),
                    "expects_restore": a.expects_restore,
                    "reminders": a.reminders,
                }
                for base, a in self.alarms.items()
            },
            "schedule_checked": {s: _iso(at) for s, at in self.schedule_checked.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineState:
        """Rebuild from ``to_dict``; a malformed dict raises ``ValueError``/``KeyError``."""
        if data.get("version", 1) != 1:
            raise ValueError(f"engine state version {data.get('version')!r} not supported")
        state = cls()
        for site, parts in data.get("partitions", {}).items():
            state.partitions[site] = {
                n: PartitionState(bool(p["armed"]), p.get("by"), _req_at(p["at"]))
                for n, p in parts.items()
            }
        for site, zones in data.get("zones", {}).items():
            state.zones[site] = {
                n: ZoneState(str(z["condition"]), bool(z["bypassed"]), _at(z.get("at")))
                for n, z in zones.items()
            }
        for acct, t in data.get("transmitters", {}).items():
            state.transmitters[acct] = TransmitterState(
                account=acct,
                site_id=t.get("site_id"),
                since=_req_at(t["since"]),
                last_heard=_at(t.get("last_heard")),
                interval_seconds=t.get("interval_seconds"),
                grace_seconds=int(t.get("grace_seconds", 0)),
                missing=bool(t.get("missing", False)),
            )
        for base, a in data.get("alarms", {}).items():
            state.alarms[base] = OpenAlarm(
                key=str(a["key"]),
                base=base,
                kind=AlarmKind(a["kind"]),
                site_id=a.get("site_id"),
                raised_at=_req_at(a["raised_at"]),
                last_at=_req_at(a["last_at"]),
                count=int(a["count"]),
                restored_at=_at(a.get("restored_at")),
                expects_restore=bool(a.get("expects_restore", True)),
                reminders=int(a.get("reminders", 0)),
            )
        for site, at in data.get("schedule_checked", {}).items():
            state.schedule_checked[site] = _req_at(at)
        return state
