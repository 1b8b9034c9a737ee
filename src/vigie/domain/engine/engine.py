"""The processing engine: journal signals and clock ticks in, decisions out.

Pure: no I/O, no clock of its own. The processor calls ``on_signal`` for each journal row
(with the site bound to the row's account, or None) and ``tick`` from its timer loop,
persists the returned decisions and ``state.to_dict()`` in one transaction, and at start
rebuilds the engine from the saved state and calls ``watch_site`` for every site.

Times: a signal happened at its ``received_at`` (capped at ``now``, so a receiver whose
clock runs ahead cannot push deadlines into the future); timers fire when ``now`` is
strictly past their deadline.

Invariant "nothing silent": every ``on_signal`` returns at least one decision, and every
event of a signal yields at least one (a ``LogOnly`` when no rule had anything to say).

The processor must call ``alarm_closed(key)`` when an operator closes an alarm's
incident: until then an alarm that was never restored keeps absorbing repeats.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from vigie.domain.engine.decisions import Decision, Ignored, LogOnly, StateChange, StateWhat
from vigie.domain.engine.flood import AlarmBook
from vigie.domain.engine.rules import AlarmSpec, Rules
from vigie.domain.engine.schedules import closing_deadline_after, site_zone
from vigie.domain.engine.state import EngineState, TransmitterState
from vigie.domain.engine.supervision import SupervisionWatch
from vigie.domain.errors import InvalidValue
from vigie.domain.incidents import DEFAULT_PRIORITIES
from vigie.domain.register import AlarmKind, Site, Supervision
from vigie.domain.signals import SignalRecord

__all__ = ["Engine", "EngineConfig"]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Checked at construction: a bad value names its field (``InvalidValue``)."""

    flood_window_seconds: int = 300
    reminder_after: timedelta = timedelta(minutes=30)
    priorities: Mapping[AlarmKind, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITIES))

    def __post_init__(self) -> None:
        if self.flood_window_seconds < 0:
            raise InvalidValue("flood_window_seconds", "zero or more seconds")
        if self.reminder_after <= timedelta(0):
            raise InvalidValue("reminder_after", "a positive duration")
        missing = [k.value for k in AlarmKind if k not in self.priorities]
        if missing:
            raise InvalidValue("priorities", f"a priority for every kind, missing {missing}")

    @property
    def flood_window(self) -> timedelta:
        return timedelta(seconds=self.flood_window_seconds)


def utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken as UTC (storage is UTC everywhere)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def account_of(record: SignalRecord) -> str | None:
    account = (record.account or "").strip().upper()
    return account or None


def supervision_base(site_id: str | None, account: str) -> str:
    return f"site:{site_id}|supervision|tx:{account}" if site_id else f"acct:{account}|supervision"


class Engine:
    def __init__(
        self, config: EngineConfig | None = None, state: EngineState | None = None
    ) -> None:
        self.config = config or EngineConfig()
        self.state = state or EngineState()
        self._sites: dict[str, Site] = {}
        self._watch = SupervisionWatch(self.state.transmitters)
        self._book = AlarmBook(
            self.state.alarms, self.config.flood_window, self.config.reminder_after
        )
        self._rules = Rules(self.state, self._book, self.config.priorities)
        # late-to-close timers: (deadline, token, site_id); the token of each site's live one
        self._closings: list[tuple[float, int, str]] = []
        self._closing_at: dict[str, tuple[int, datetime]] = {}
        self._closing_tokens = 0

    # -- configuration the processor loads at start -------------------------------------

    def watch_site(self, site: Site, now: datetime) -> None:
        """Know a site: its schedule (late to close) and its transmitters' supervision."""
        now = utc(now)
        old = self._sites.get(site.id)
        self._sites[site.id] = site
        for account in site.transmitters:
            self._watch.register(account.strip().upper(), site.id, site.supervision, now)
        if old is None or (old.schedule, old.timezone) != (site.schedule, site.timezone):
            self._plan_closing(site, self.state.schedule_checked.setdefault(site.id, now))

    def forget_site(self, site_id: str) -> None:
        self._sites.pop(site_id, None)
        self._closing_at.pop(site_id, None)
        self.state.schedule_checked.pop(site_id, None)

    def register_transmitter(
        self, account: str, site_id: str | None, supervision: Supervision | None, now: datetime
    ) -> None:
        """Supervise ``account`` from ``now`` (or keep its reloaded last-heard time)."""
        self._watch.register(account.strip().upper(), site_id, supervision, utc(now))

    def forget_transmitter(self, account: str) -> None:
        self._watch.forget(account.strip().upper())

    def alarm_closed(self, key: str) -> bool:
        """The operator closed this alarm: stop repeats and reminders on it."""
        return self._book.close(key)

    def open_alarm_keys(self) -> list[str]:
        return self._book.keys()

    # -- signals -------------------------------------------------------------------------

    def on_signal(
        self,
        signal_id: int,
        record: SignalRecord,
        site: Site | None,
        now: datetime,
        *,
        duplicate_of: int | None = None,
    ) -> list[Decision]:
        """Decide what one journal row means. Never raises on what a panel may send."""
        now = utc(now)
        at = min(utc(record.received_at), now)
        account = account_of(record)
        site_id = site.id if site is not None else None
        base_data: dict[str, Any] = {"account": account, "peer": record.peer}
        if not record.accepted:
            kind = record.reply_kind or "no reply"
            why = record.error or "rejected"
            detail = f" ({record.detail})" if record.detail else ""
            return [
                Ignored(
                    reason=f"{kind}: {why}",
                    signal_id=signal_id,
                    site_id=site_id,
                    text_fr=f"Trame refusée ({kind}) : {why}{detail} — non traitée",
                    text_en=f"Frame refused ({kind}): {why}{detail} — not processed",
                    data={**base_data, "reply_kind": record.reply_kind, "error": record.error},
                    at=at,
                )
            ]
        if site is not None:
            self._know(site, account, at)
        if duplicate_of is not None:
            if account is not None and site is not None:
                self._heard(account, site, at, signal_id)
            return [
                Ignored(
                    reason=f"duplicate of signal {duplicate_of}",
                    signal_id=signal_id,
                    site_id=site_id,
                    text_fr=f"Retransmission du signal {duplicate_of} — déjà traité",
                    text_en=f"Retransmission of signal {duplicate_of} — already processed",
                    data={**base_data, "duplicate_of": duplicate_of},
                    at=at,
                )
            ]
        if site is None:
            return [self._rules.unknown_transmitter(signal_id, record, account, at)]
        decisions: list[Decision] = []
        if account is not None:
            decisions.extend(self._heard(account, site, at, signal_id))
        on_test = site.on_test(at)
        if not record.events:
            decisions.append(
                LogOnly(
                    site.id,
                    "Trame de maintien (NULL) reçue",
                    "Keep-alive (NULL) frame received",
                    base_data,
                    signal_id,
                    at,
                )
            )
        for event in record.events:
            decisions.extend(self._rules.event(signal_id, event, site, account, at, on_test))
        return decisions

    def _know(self, site: Site, account: str | None, at: datetime) -> None:
        """The caller passes the freshest site: pick up schedule and supervision changes."""
        if self._sites.get(site.id) is not site:
            self.watch_site(site, at)
        if account is not None:
            rec = self.state.transmitters.get(account)
            if (
                rec is None
                or rec.site_id != site.id
                or (rec.interval_seconds is None) != (site.supervision is None)
            ):
                self._watch.register(account, site.id, site.supervision, at)

    def _heard(self, account: str, site: Site, at: datetime, signal_id: int) -> list[Decision]:
        rec, was_missing = self._watch.heard(account, site.id, at)
        if not was_missing:
            return []
        out: list[Decision] = [self._tx_change(rec, "missing", "ok", at, signal_id)]
        restored = self._rules.restore(
            supervision_base(site.id, account),
            signal_id,
            at,
            "Transmetteur de nouveau entendu",
            "Transmitter heard again",
        )
        if restored is not None:
            out.append(restored)
        return out

    @staticmethod
    def _tx_change(
        rec: TransmitterState, old: str, new: str, at: datetime, signal_id: int | None
    ) -> StateChange:
        if new == "missing":
            fr, en = (
                "Transmetteur muet (test cyclique manquant)",
                "Transmitter silent (test missing)",
            )
        else:
            fr, en = "Transmetteur de nouveau entendu", "Transmitter heard again"
        return StateChange(
            rec.site_id,
            StateWhat.TRANSMITTER,
            rec.account,
            old,
            new,
            None,
            at,
            signal_id,
            f"{fr} : {rec.account}",
            f"{en}: {rec.account}",
            {"last_heard": rec.last_heard.isoformat() if rec.last_heard else None},
        )

    # -- timers --------------------------------------------------------------------------

    def tick(self, now: datetime) -> list[Decision]:
        """Fire what is due: supervision, late to close, reminders. Cost ~ what is due."""
        now = utc(now)
        decisions: list[Decision] = []
        for rec in self._watch.due(now):
            decisions.extend(self._missing(rec, now))
        decisions.extend(self._closings_due(now))
        for alarm in self._book.due(now):
            decisions.append(self._rules.reminder(alarm, now))
        return decisions

    def _missing(self, rec: TransmitterState, now: datetime) -> list[Decision]:
        site = self._sites.get(rec.site_id) if rec.site_id else None
        out: list[Decision] = [self._tx_change(rec, "ok", "missing", now, None)]
        deadline = datetime.fromtimestamp(rec.deadline(), UTC)
        spec = AlarmSpec(
            base=supervision_base(rec.site_id, rec.account),
            kind=AlarmKind.SUPERVISION,
            code="",
            description="Test cyclique manquant",
            description_en="Periodic test missing",
            account=rec.account,
            expects_restore=True,
            data={
                "deadline": deadline.isoformat(),
                "last_heard": rec.last_heard.isoformat() if rec.last_heard else None,
                "interval_seconds": rec.interval_seconds,
                "grace_seconds": rec.grace_seconds,
            },
        )
        on_test = site is not None and site.on_test(now)
        out.append(self._rules.alarm(spec, site, rec.site_id, None, now, on_test))
        return out

    def _plan_closing(self, site: Site, after: datetime) -> None:
        nxt = closing_deadline_after(site.schedule, site_zone(site.timezone), after)
        if nxt is None:
            self._closing_at.pop(site.id, None)
            return
        self._closing_tokens += 1
        token = self._closing_tokens
        self._closing_at[site.id] = (token, nxt[0])
        heapq.heappush(self._closings, (nxt[0].timestamp(), token, site.id))

    def _closings_due(self, now: datetime) -> list[Decision]:
        out: list[Decision] = []
        now_ts = now.timestamp()
        while self._closings and self._closings[0][0] < now_ts:
            _, token, site_id = heapq.heappop(self._closings)
            planned = self._closing_at.get(site_id)
            site = self._sites.get(site_id)
            if planned is None or planned[0] != token or site is None:
                continue
            deadline = planned[1]
            self.state.schedule_checked[site_id] = deadline
            if not self.state.site_armed(site_id):
                out.append(self._late_close(site, deadline, now))
            self._plan_closing(site, deadline)
        return out

    def _late_close(self, site: Site, deadline: datetime, now: datetime) -> Decision:
        """One alarm per missed closing (the base names the deadline's local day)."""
        disarmed = sorted(
            n for n, p in self.state.partitions.get(site.id, {}).items() if not p.armed
        )
        day = deadline.astimezone(site_zone(site.timezone)).date().isoformat()
        spec = AlarmSpec(
            base=self._rules.late_close_base(site.id, day),
            kind=AlarmKind.SCHEDULE,
            code="",
            description="Mise en service tardive",
            description_en="Late to close",
            account=None,
            expects_restore=True,
            data={"deadline": deadline.isoformat(), "disarmed_partitions": disarmed},
        )
        return self._rules.alarm(spec, site, site.id, None, now, site.on_test(now))
