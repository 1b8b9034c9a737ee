"""The processor: journal signals -> engine -> alarms, incidents, main courante.

One processor runs per station (on PostgreSQL, the one holding the processor lock; see
``bootstrap``). It keeps the pure ``Engine`` in memory and persists every decision of a
batch together with the batch's logbook entries and "processed" marks in one transaction.
The engine's state is snapshotted now and then; on start the snapshot is loaded and the
signals processed after it are replayed through the engine (decisions discarded) so that
the in-memory state matches what was already written.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from vigie.domain.engine import (
    Decision,
    Engine,
    EngineConfig,
    EngineState,
    Ignored,
    RaiseAlarm,
    Reminder,
    RepeatAlarm,
    RestoreAlarm,
    StateChange,
)
from vigie.domain.incidents import Alarm, AlarmOf, Incident, StepState
from vigie.domain.logbook import LogDraft, LogKind
from vigie.domain.register import AlarmKind, Procedure, Site, choose_procedure
from vigie.domain.register_set import LinkedTransmitter
from vigie.domain.signals import SignalRecord, StoredSignal, Transport
from vigie.domain.video import Camera
from vigie.services.logbook import Logbook
from vigie.services.ports import Clock

__all__ = ["Processor", "ProcessorOptions", "SiteDirectory"]

log = logging.getLogger(__name__)


class RegisterReader(Protocol):
    def sites(self) -> list[Site]: ...

    def transmitters(self) -> list[LinkedTransmitter]: ...

    def procedures(self) -> list[Procedure]: ...


class Transaction(Protocol):
    def open_incident(self, site_id: str | None, account: str | None) -> Incident | None: ...

    def new_incident(self, incident: Incident, key: str) -> Incident: ...

    def add_alarm(self, incident: Incident, alarm: Alarm, key: str, priority: int) -> None: ...

    def alarm(self, key: str) -> AlarmOf | None: ...

    def save_alarm(self, alarm: Alarm) -> None: ...

    def reminded(self, alarm: Alarm, at: datetime) -> None: ...

    def log(self, drafts: list[LogDraft]) -> None: ...

    def processed(self, signal_ids: list[int], at: datetime) -> None: ...

    def snapshot(self, last_signal_id: int, state: dict[str, Any], at: datetime) -> None: ...


class ProcessingStore(Protocol):
    def transaction(self) -> Any: ...  # context manager yielding a Transaction

    def unprocessed(self, limit: int) -> list[tuple[StoredSignal, SignalRecord]]: ...

    def processed_after(self, signal_id: int) -> Iterable[tuple[StoredSignal, SignalRecord]]: ...

    def snapshot(self) -> tuple[int, dict[str, Any]] | None: ...

    def closed_alarm_keys(self, since: datetime) -> list[tuple[str, datetime]]: ...


CameraSource = Callable[[], Iterable[Camera]]


class SiteDirectory:
    """Sites by transmitter path, in memory: a signal is matched without a query.

    Video signals (transport ``video``) name a camera as their account: they are matched
    through the camera register (``cameras``, e.g. ``CameraStore.cameras``)."""

    def __init__(self, register: RegisterReader, cameras: CameraSource | None = None) -> None:
        self._register = register
        self._camera_source = cameras
        self._sites: dict[str, Site] = {}
        self._paths: dict[str, list[LinkedTransmitter]] = {}
        self._procedures: list[Procedure] = []
        self._cameras: dict[str, Camera] = {}

    def reload(self) -> list[Site]:
        sites = {s.id: s for s in self._register.sites()}
        paths: dict[str, list[LinkedTransmitter]] = defaultdict(list)
        for linked in self._register.transmitters():
            paths[linked.transmitter.account.upper()].append(linked)
        for entries in paths.values():
            entries.sort(key=lambda e: e.transmitter.specificity(), reverse=True)
        self._sites, self._paths = sites, dict(paths)
        self._procedures = self._register.procedures()
        if self._camera_source is not None:
            self._cameras = {c.id: c for c in self._camera_source()}
        return list(sites.values())

    def sites(self) -> list[Site]:
        return list(self._sites.values())

    def camera(self, camera_id: str | None) -> Camera | None:
        return self._cameras.get(camera_id) if camera_id else None

    def procedure_for(self, site_id: str, kind: AlarmKind) -> Procedure | None:
        return choose_procedure(self._procedures, site_id, kind)

    def site_for(self, record: SignalRecord) -> Site | None:
        if not record.account:
            return None
        if record.transport == Transport.VIDEO:
            camera = self._cameras.get(record.account)
            return self._sites.get(camera.site_id) if camera is not None else None
        for linked in self._paths.get(record.account.upper(), ()):
            if linked.site_id and linked.transmitter.matches(
                record.account, record.receiver, record.prefix
            ):
                return self._sites.get(linked.site_id)
        return None


@dataclass(frozen=True, slots=True)
class ProcessorOptions:
    batch: int = 500
    snapshot_every: timedelta = timedelta(seconds=30)
    # A reload costs ~0.3 s per 1,000 sites; changes made in this process reload at once.
    register_reload_every: timedelta = timedelta(minutes=5)


class Processor:
    def __init__(
        self,
        store: ProcessingStore,
        register: RegisterReader,
        logbook: Logbook,
        clock: Clock,
        config: EngineConfig | None = None,
        options: ProcessorOptions | None = None,
        cameras: CameraSource | None = None,
    ) -> None:
        self._store = store
        self._register = register
        self._directory = SiteDirectory(register, cameras)
        self._logbook = logbook
        self._clock = clock
        self._config = config or EngineConfig()
        self._options = options or ProcessorOptions()
        self.engine = Engine(self._config)
        self._last_signal_id = 0
        self._last_snapshot: datetime | None = None
        self._last_reload: datetime | None = None
        self._closed_since: datetime | None = None
        self.processed_count = 0
        # The incidents opened or changed by the last ``run_once`` / ``tick`` (the consoles
        # read only those rows again).
        self.touched: set[int] = set()

    # -- start ----------------------------------------------------------------------

    def start(self) -> None:
        """Rebuild the engine from its snapshot and the signals processed since."""
        now = self._clock.now()
        saved = self._store.snapshot()
        state = EngineState()
        if saved is not None:
            self._last_signal_id, data = saved
            state = EngineState.from_dict(data)
        self.engine = Engine(self._config, state)
        self._directory.reload()
        replayed = 0
        for stored, record in self._store.processed_after(self._last_signal_id):
            site = self._directory.site_for(record)
            self.engine.on_signal(
                stored.id,
                _engine_view(record, site),
                site,
                record.received_at,
                duplicate_of=stored.duplicate_of,
            )
            self._last_signal_id = stored.id
            replayed += 1
        self._reload_register(now)
        self._closed_since = now
        log.info("processor started: snapshot at signal %d, %d replayed",
                 saved[0] if saved else 0, replayed)  # fmt: skip

    def _reload_register(self, now: datetime) -> None:
        for site in self._directory.reload():
            self.engine.watch_site(site, now)
        self._last_reload = now

    def register_changed(self) -> None:
        """The register changed in this process: reload it at the next tick."""
        self._last_reload = None

    def sites(self) -> list[Site]:
        """The register's sites as this processor holds them in memory (loaded at start,
        reloaded on changes); read from the register when this process does not process."""
        held = self._directory.sites()
        return held if held else self._register.sites()

    def arming(self, site_id: str) -> list[tuple[str, bool, str | None, datetime]]:
        """The site's partitions as the engine knows them: (partition, armed, by user, since).

        Read from another thread (the console): a copy taken in one step under the GIL."""
        parts = dict(self.engine.state.partitions.get(site_id, {}))
        return sorted((name, p.armed, p.by, p.at) for name, p in parts.items())

    # -- work -----------------------------------------------------------------------

    def run_once(self) -> int:
        """Process one batch of journal signals; returns how many."""
        self.touched = set()
        batch = self._store.unprocessed(self._options.batch)
        if not batch:
            return 0
        now = self._clock.now()
        # Decide first, outside the write transaction (the engine is pure and in memory):
        # the database's write lock is then held only for the writes. If the writes fail,
        # the worker restarts the processor, which rebuilds the engine from the database.
        decided = []
        for stored, record in batch:
            site = self._directory.site_for(record)
            decisions = self.engine.on_signal(
                stored.id, _engine_view(record, site), site, now, duplicate_of=stored.duplicate_of
            )
            decided.append((stored.id, decisions))
        with self._store.transaction() as tx:
            drafts: list[LogDraft] = []
            for signal_id, decisions in decided:
                drafts.extend(self._apply(tx, decisions, signal_id))
            tx.log(drafts)
            tx.processed([s.id for s, _ in batch], now)
            self._last_signal_id = batch[-1][0].id
            self._maybe_snapshot(tx, now)
        self.processed_count += len(batch)
        return len(batch)

    def tick(self) -> int:
        """Timers: supervision, schedules, reminders; closures made by operators."""
        self.touched = set()
        now = self._clock.now()
        if (
            self._last_reload is None
            or now - self._last_reload >= self._options.register_reload_every
        ):
            self._reload_register(now)
        since = self._closed_since or now
        for key, closed_at in self._store.closed_alarm_keys(since):
            self.engine.alarm_closed(key)
            since = max(since, closed_at)
        self._closed_since = since
        decisions = self.engine.tick(now)
        if not decisions and not self._snapshot_due(now):
            return 0
        with self._store.transaction() as tx:
            tx.log(self._apply(tx, decisions, None))
            self._maybe_snapshot(tx, now)
        return len(decisions)

    def _snapshot_due(self, now: datetime) -> bool:
        last = self._last_snapshot
        return last is None or now - last >= self._options.snapshot_every

    def _maybe_snapshot(self, tx: Transaction, now: datetime) -> None:
        if self._snapshot_due(now):
            tx.snapshot(self._last_signal_id, self.engine.state.to_dict(), now)
            self._last_snapshot = now

    # -- decisions --------------------------------------------------------------------

    def _apply(
        self, tx: Transaction, decisions: Sequence[Decision], signal_id: int | None
    ) -> list[LogDraft]:
        drafts: list[LogDraft] = []
        for decision in decisions:
            incident_id: int | None = None
            kind = LogKind.SIGNAL
            if isinstance(decision, RaiseAlarm):
                incident_id = self._raise(tx, decision).id
                kind = LogKind.ALARM
            elif isinstance(decision, RepeatAlarm):
                incident_id = self._repeat(tx, decision)
            elif isinstance(decision, RestoreAlarm):
                incident_id = self._restore(tx, decision)
            elif isinstance(decision, Reminder):
                incident_id = self._remind(tx, decision)
                kind = LogKind.ALARM
            elif isinstance(decision, StateChange):
                kind = LogKind.STATE_CHANGE
            if incident_id is not None:
                self.touched.add(incident_id)
            drafts.append(self._draft(decision, kind, incident_id, signal_id))
        return drafts

    def _draft(
        self, decision: Decision, kind: LogKind, incident_id: int | None, signal_id: int | None
    ) -> LogDraft:
        data = dict(decision.data)
        data["decision"] = decision.decision
        if signal_id is not None:
            data["signal_id"] = signal_id
        if decision.text_en:
            data["text_en"] = decision.text_en
        text = decision.text_fr or (decision.reason if isinstance(decision, Ignored) else "")
        return self._logbook.draft(
            kind, text or decision.decision, site_id=decision.site_id, incident_id=incident_id,
            data=data,
        )  # fmt: skip

    def _raise(self, tx: Transaction, d: RaiseAlarm) -> Incident:
        alarm = Alarm(
            id=None, kind=d.kind, site_id=d.site_id, account=d.account, code=d.code,
            description=d.description, raised_at=d.at, zone=d.zone, zone_label=d.zone_label,
            partition=d.partition, user=d.user, user_name=d.user_name, last_at=d.at,
            signal_ids=[d.signal_id] if d.signal_id is not None else [],
        )  # fmt: skip
        incident = tx.open_incident(d.site_id, d.account)
        if incident is not None:
            tx.add_alarm(incident, alarm, d.key, d.priority)
            return incident
        steps: list[StepState] = []
        if d.site_id is not None:
            procedure = self._directory.procedure_for(d.site_id, d.kind)
            if procedure is not None:
                steps = StepState.from_procedure(procedure.steps)
        title = d.description + (f" — {d.zone_label}" if d.zone_label else "")
        incident = Incident(
            id=None, site_id=d.site_id, priority=d.priority, opened_at=d.at, title=title,
            alarms=[alarm], steps=steps,
        )  # fmt: skip
        return tx.new_incident(incident, d.key)

    def _repeat(self, tx: Transaction, d: RepeatAlarm) -> int | None:
        found = tx.alarm(d.key)
        if found is None:
            return None
        alarm = found.alarm
        if not found.incident_open:
            # The operator closed the episode: the repeat starts a new one.
            self.engine.alarm_closed(d.key)
            return self._raise(tx, self._as_new(alarm, d)).id
        alarm.count = d.count
        alarm.last_at = d.at
        if d.signal_id is not None:
            alarm.signal_ids.append(d.signal_id)
        if d.reactivated:
            alarm.restored_at = None
        tx.save_alarm(alarm)
        return found.incident_id

    def _restore(self, tx: Transaction, d: RestoreAlarm) -> int | None:
        found = tx.alarm(d.key)
        if found is None:
            return None
        alarm = found.alarm
        alarm.restored_at = d.at
        if d.signal_id is not None:
            alarm.signal_ids.append(d.signal_id)
        tx.save_alarm(alarm)
        return found.incident_id

    def _remind(self, tx: Transaction, d: Reminder) -> int | None:
        found = tx.alarm(d.key)
        if found is None:
            return None
        if not found.incident_open:
            self.engine.alarm_closed(d.key)
            return found.incident_id
        tx.reminded(found.alarm, d.at)
        return found.incident_id

    def _as_new(self, alarm: Alarm, d: RepeatAlarm) -> RaiseAlarm:
        return RaiseAlarm(
            key=d.key, kind=alarm.kind, site_id=alarm.site_id, account=alarm.account,
            code=alarm.code, description=alarm.description, zone=alarm.zone,
            zone_label=alarm.zone_label, partition=alarm.partition, user=alarm.user,
            user_name=alarm.user_name, signal_id=d.signal_id, at=d.at,
            priority=self._config.priorities[alarm.kind],
        )  # fmt: skip


def _engine_view(record: SignalRecord, site: Site | None) -> SignalRecord:
    """A camera is not a transmitter: a video signal of a known camera reaches the engine
    without an account, so that the camera is never put under cyclic-test supervision
    (its own health is watched by the video workers: VIDEO_LOSS). An unknown camera keeps
    its name, which the "unknown transmitter" alarm then shows."""
    if record.transport is Transport.VIDEO and site is not None and record.account:
        return replace(record, account=None)
    return record
