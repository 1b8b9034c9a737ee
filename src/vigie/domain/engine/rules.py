"""The rules: what one normalised event does to state and which decisions it yields.

* alarm codes -> zone state + an alarm (or a repeat: flood control); duress is a hold-up
  whatever the schedule, and a duress disarm still disarms;
* restores -> zone state + the restore of the matching alarm (same site, kind, point);
* openings -> partition state, then "opened out of hours" and "unknown user" checks;
* closings -> partition state, and the end of a "late to close" alarm once all armed;
* tests, bypasses, information -> state and the log; nothing raised;
* a site "on test": state as usual, alarms only logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vigie.domain.engine.decisions import (
    Decision,
    LogOnly,
    RaiseAlarm,
    Reminder,
    RepeatAlarm,
    RestoreAlarm,
)
from vigie.domain.engine.flood import AlarmBook
from vigie.domain.engine.normalise import Action, Normalised, normalise
from vigie.domain.engine.schedules import opening_allowed, site_zone
from vigie.domain.engine.state import EngineState, OpenAlarm
from vigie.domain.engine.texts import KIND_EN, KIND_FR, where
from vigie.domain.engine.tracking import Tracker
from vigie.domain.register import AlarmKind, Site
from vigie.domain.signals import SignalEvent, SignalRecord

__all__ = ["LATE_CLOSE", "AlarmSpec", "Rules", "alarm_key"]

LATE_CLOSE = "late_close"


@dataclass(frozen=True, slots=True)
class AlarmSpec:
    """Everything an alarm needs except its time, site and signal."""

    base: str
    kind: AlarmKind
    code: str
    description: str
    description_en: str
    account: str | None
    expects_restore: bool
    zone: str | None = None
    zone_label: str = ""
    partition: str | None = None
    user: str | None = None
    user_name: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def alarm_key(base: str, at: datetime, signal_id: int | None) -> str:
    """One key per episode: the base, when it rose and from which signal."""
    suffix = f"#{signal_id}" if signal_id is not None else ""
    return f"{base}@{at:%Y-%m-%dT%H:%M:%S.%fZ}{suffix}"


class Rules:
    def __init__(
        self, state: EngineState, book: AlarmBook, priorities: Mapping[AlarmKind, int]
    ) -> None:
        self._state = state
        self._book = book
        self._priorities = priorities
        self._track = Tracker(state)
        # site -> base of its open "late to close" alarm, so that arming ends it
        self._late: dict[str, str] = {
            a.site_id: base
            for base, a in state.alarms.items()
            if a.site_id is not None and f"|schedule|{LATE_CLOSE}:" in base
        }

    def late_close_base(self, site_id: str, day: str) -> str:
        base = f"site:{site_id}|schedule|{LATE_CLOSE}:{day}"
        self._late[site_id] = base
        return base

    # -- alarms --------------------------------------------------------------------------

    def alarm(
        self,
        spec: AlarmSpec,
        site: Site | None,
        site_id: str | None,
        signal_id: int | None,
        at: datetime,
        on_test: bool,
    ) -> Decision:
        """Raise, or repeat within the flood window; only log for a site on test."""
        w_fr, w_en = where(spec.zone, spec.zone_label, spec.user, spec.user_name)
        kind_fr, kind_en = KIND_FR[spec.kind], KIND_EN[spec.kind]
        data = {**spec.data, "kind": spec.kind.value, "code": spec.code, "account": spec.account}
        if on_test:
            return LogOnly(
                site_id,
                f"Site en test : {spec.description}{w_fr} — consigné, pas d'alarme",
                f"Site on test: {spec.description_en}{w_en} — logged, no alarm",
                data,
                signal_id,
                at,
            )
        repeat = self._book.occur(spec.base, at)
        if repeat is not None:
            alarm, reactivated = repeat
            again_fr = " (de nouveau active)" if reactivated else ""
            again_en = " (active again)" if reactivated else ""
            return RepeatAlarm(
                alarm.key,
                signal_id,
                at,
                alarm.count,
                site_id,
                alarm.kind,
                reactivated,
                f"Répétition n° {alarm.count} : {spec.description}{w_fr}{again_fr}",
                f"Repeat #{alarm.count}: {spec.description_en}{w_en}{again_en}",
                data,
            )
        key = alarm_key(spec.base, at, signal_id)
        self._book.open(key, spec.base, spec.kind, site_id, at, spec.expects_restore)
        name = f" — {site.name}" if site is not None else ""
        return RaiseAlarm(
            key=key,
            kind=spec.kind,
            site_id=site_id,
            account=spec.account,
            code=spec.code,
            description=spec.description,
            zone=spec.zone,
            zone_label=spec.zone_label,
            partition=spec.partition,
            user=spec.user,
            user_name=spec.user_name,
            signal_id=signal_id,
            at=at,
            priority=self._priorities[spec.kind],
            description_en=spec.description_en,
            expects_restore=spec.expects_restore,
            text_fr=f"Alarme {kind_fr} : {spec.description}{w_fr}{name}",
            text_en=f"{kind_en.capitalize()} alarm: {spec.description_en}{w_en}{name}",
            data=data,
        )

    def restore(
        self, base: str, signal_id: int | None, at: datetime, fr: str, en: str
    ) -> RestoreAlarm | None:
        alarm = self._book.restore(base, at)
        if alarm is None:
            return None
        return RestoreAlarm(
            alarm.key,
            signal_id,
            at,
            alarm.site_id,
            alarm.kind,
            f"Rétablissement : {fr}",
            f"Restored: {en}",
            {"count": alarm.count, "raised_at": alarm.raised_at.isoformat()},
        )

    def reminder(self, alarm: OpenAlarm, now: datetime) -> Reminder:
        minutes = int((now - alarm.raised_at).total_seconds() // 60)
        kind_fr, kind_en = KIND_FR[alarm.kind], KIND_EN[alarm.kind]
        return Reminder(
            alarm.key,
            now,
            alarm.reminders,
            alarm.site_id,
            alarm.kind,
            f"Rappel : alarme {kind_fr} non rétablie depuis {minutes} min",
            f"Reminder: {kind_en} alarm not restored after {minutes} min",
            {"raised_at": alarm.raised_at.isoformat(), "count": alarm.count},
        )

    def unknown_transmitter(
        self, signal_id: int, record: SignalRecord, account: str | None, at: datetime
    ) -> Decision:
        acct = account or "?"
        first = record.events[0] if record.events else None
        spec = AlarmSpec(
            base=f"acct:{acct}|unknown_transmitter",
            kind=AlarmKind.UNKNOWN_TRANSMITTER,
            code=first.code if first is not None else "",
            description=f"Transmetteur inconnu : compte {acct}",
            description_en=f"Unknown transmitter: account {acct}",
            account=account,
            expects_restore=False,
            data={
                "peer": record.peer,
                "receiver": record.receiver,
                "prefix": record.prefix,
                "events": [e.as_dict() for e in record.events],
            },
        )
        return self.alarm(spec, None, None, signal_id, at, False)

    # -- events --------------------------------------------------------------------------

    def event(
        self,
        signal_id: int,
        event: SignalEvent,
        site: Site,
        account: str | None,
        at: datetime,
        on_test: bool,
    ) -> list[Decision]:
        """At least one decision per event: a ``LogOnly`` when nothing else applies."""
        n = normalise(event, site)
        out: list[Decision] = []
        if n.action is Action.ALARM:
            out.extend(self._alarm_event(n, event, site, account, signal_id, at, on_test))
        elif n.action is Action.RESTORE:
            out.extend(self._restore_event(n, site, signal_id, at))
        elif n.action is Action.OPENING:
            out.extend(self._opening(n, site, account, signal_id, at, on_test))
        elif n.action is Action.CLOSING:
            out.extend(self._closing(n, site, signal_id, at))
        elif n.action in (Action.BYPASS, Action.UNBYPASS) and n.zone is not None:
            bypassed = n.action is Action.BYPASS
            change = self._track.bypass(site.id, n.zone, n, bypassed, signal_id, at)
            if change is not None:
                out.append(change)
        elif n.action is Action.SCHEDULE:
            spec = self._spec(n, site, account, expects_restore=False)
            out.append(self.alarm(spec, site, site.id, signal_id, at, on_test))
        if not out:
            out.append(self._log(n, site, event, signal_id, at, on_test))
        return out

    def _spec(
        self, n: Normalised, site: Site, account: str | None, expects_restore: bool
    ) -> AlarmSpec:
        kind = n.kind or AlarmKind.OTHER
        return AlarmSpec(
            base=f"site:{site.id}|{kind.value}|{n.point}",
            kind=kind,
            code=n.code,
            description=n.description_fr,
            description_en=n.description_en,
            account=account,
            expects_restore=expects_restore,
            zone=n.zone,
            zone_label=n.zone_label,
            partition=n.partition,
            user=n.user,
            user_name=n.user_name,
            data={"known": n.known, "duress": n.duress},
        )

    def _alarm_event(
        self,
        n: Normalised,
        event: SignalEvent,
        site: Site,
        account: str | None,
        signal_id: int,
        at: datetime,
        on_test: bool,
    ) -> list[Decision]:
        out: list[Decision] = []
        if n.zone is not None:
            condition = "trouble" if n.kind is AlarmKind.TROUBLE else "alarm"
            change = self._track.zone(site.id, n.zone, condition, signal_id, at)
            if change is not None:
                out.append(change)
        if n.duress and event.closing is False:  # a disarm under duress still disarms
            out.extend(self._track.partitions(site, n, False, signal_id, at))
        spec = self._spec(n, site, account, expects_restore=n.known)
        out.append(self.alarm(spec, site, site.id, signal_id, at, on_test))
        return out

    def _restore_event(
        self, n: Normalised, site: Site, signal_id: int, at: datetime
    ) -> list[Decision]:
        out: list[Decision] = []
        if n.zone is not None:
            change = self._track.zone(site.id, n.zone, "normal", signal_id, at)
            if change is not None:
                out.append(change)
        kind = n.kind or AlarmKind.OTHER
        w_fr, w_en = where(n.zone, n.zone_label, n.user, n.user_name)
        restored = self.restore(
            f"site:{site.id}|{kind.value}|{n.point}",
            signal_id,
            at,
            f"{n.description_fr}{w_fr}",
            f"{n.description_en}{w_en}",
        )
        if restored is not None:
            out.append(restored)
        return out

    def _opening(
        self,
        n: Normalised,
        site: Site,
        account: str | None,
        signal_id: int,
        at: datetime,
        on_test: bool,
    ) -> list[Decision]:
        out: list[Decision] = list(self._track.partitions(site, n, False, signal_id, at))
        schedule = site.schedule
        if schedule.watched and not opening_allowed(schedule, site_zone(site.timezone), at):
            spec = self._check_spec(
                n,
                site,
                account,
                "out_of_hours",
                "Mise à l'arrêt hors horaires",
                "Opened out of hours",
            )
            out.append(self.alarm(spec, site, site.id, signal_id, at, on_test))
        if not n.known_user:
            spec = self._check_spec(
                n,
                site,
                account,
                f"unknown_user:{n.user}",
                "Utilisateur inconnu",
                "Unknown user",
            )
            out.append(self.alarm(spec, site, site.id, signal_id, at, on_test))
        return out

    def _check_spec(
        self, n: Normalised, site: Site, account: str | None, what: str, fr: str, en: str
    ) -> AlarmSpec:
        return AlarmSpec(
            base=f"site:{site.id}|schedule|{what}",
            kind=AlarmKind.SCHEDULE,
            code=n.code,
            description=f"{fr} ({n.description_fr})",
            description_en=f"{en} ({n.description_en})",
            account=account,
            expects_restore=False,
            zone=n.zone,
            zone_label=n.zone_label,
            partition=n.partition,
            user=n.user,
            user_name=n.user_name,
            data={"check": what.split(":")[0]},
        )

    def _closing(self, n: Normalised, site: Site, signal_id: int, at: datetime) -> list[Decision]:
        out: list[Decision] = list(self._track.partitions(site, n, True, signal_id, at))
        late = self._late.get(site.id)
        if late is not None and self._state.site_armed(site.id):
            del self._late[site.id]
            restored = self.restore(
                late,
                signal_id,
                at,
                "site mis en service",
                "site armed",
            )
            if restored is not None:
                out.append(restored)
        return out

    def _log(
        self,
        n: Normalised,
        site: Site,
        event: SignalEvent,
        signal_id: int,
        at: datetime,
        on_test: bool,
    ) -> LogOnly:
        w_fr, w_en = where(n.zone, n.zone_label, n.user, n.user_name)
        test_fr = "site en test, " if on_test else ""
        test_en = "site on test, " if on_test else ""
        return LogOnly(
            site.id,
            f"{n.description_fr}{w_fr} — {test_fr}consigné, pas d'alarme",
            f"{n.description_en}{w_en} — {test_en}logged, no alarm",
            {"action": n.action.value, "event": event.as_dict()},
            signal_id,
            at,
        )
