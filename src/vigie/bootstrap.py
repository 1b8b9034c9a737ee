"""The composition root: the one place that knows the concrete classes and wires them."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import uvicorn
from sqlalchemy import Engine, text

from vigie.adapters.clock import SystemClock
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.journal import GroupCommitJournal
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.pg_notify import PgQueueNotifier
from vigie.adapters.db.processing_store import SqlProcessing
from vigie.adapters.db.queue_rows import SqlQueueRows
from vigie.adapters.db.register_repository import SqlRegister
from vigie.adapters.db.signal_reader import SqlSignalReader
from vigie.adapters.db.transmitter_repository import SqlTransmitterRepository
from vigie.adapters.db.user_store import SqlSessions, SqlUsers
from vigie.bootstrap_pages import page_services
from vigie.bootstrap_video import (
    VideoSide,
    build_cameras,
    build_video,
    start_video,
    stop_video,
    video_routers,
)
from vigie.config import Settings
from vigie.domain.engine import EngineConfig
from vigie.domain.incidents import DEFAULT_PRIORITIES
from vigie.domain.logbook import LogKind
from vigie.domain.register import AlarmKind
from vigie.entrypoints.receiver.server import Dc09Server, ListenerLimits
from vigie.entrypoints.web.app import create_app
from vigie.entrypoints.web.live import LiveHub
from vigie.entrypoints.workers.processing import ProcessingWorker
from vigie.services.auth import Argon2Hasher, Authenticator, PasswordHasher
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Logbook
from vigie.services.ports import Clock
from vigie.services.processor import Processor, ProcessorOptions
from vigie.services.reception import Reception, ReceptionOptions
from vigie.services.transmitter_directory import TransmitterDirectory

__all__ = ["Station", "build_authenticator", "build_station", "run_station"]

log = logging.getLogger(__name__)


@dataclass
class Station:
    """Everything one ``vigie serve`` process runs, wired."""

    settings: Settings
    engine: Engine
    clock: Clock
    transmitters: SqlTransmitterRepository
    directory: TransmitterDirectory
    journal: GroupCommitJournal
    reception: Reception
    receiver: Dc09Server
    signal_reader: SqlSignalReader
    logbook: Logbook
    register: SqlRegister
    queue: IncidentQueue
    processor: Processor
    worker: ProcessingWorker
    auth: Authenticator
    video: VideoSide | None = None
    notifier: PgQueueNotifier | None = None
    live: LiveHub = field(default_factory=LiveHub)
    background: list[asyncio.Task[Any]] = field(default_factory=list)

    def app(self) -> Any:
        return create_app(
            self.signal_reader,
            self.health,
            logbook=self.logbook,
            register=self.register,
            queue=self.queue,
            auth=self.auth,
            trust_identity_headers=self.settings.trust_identity_headers,
            live=self.live,
            routers=video_routers(self.video, self.clock) if self.video is not None else (),
            queue_rows=SqlQueueRows(self.engine),
            arming=self.processor.arming,
            video=self.video,
            **page_services(self.engine, self.logbook, self.queue, self.clock),
        )

    def health(self) -> dict[str, Any]:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # reported, not hidden: the answer is 503
            log.warning("health check: database unreachable: %s", exc)
            database = "unreachable"
        listening = self.receiver.port != 0
        ok = database == "ok" and listening
        return {
            "status": "ok" if ok else "degraded",
            "database": database,
            "receiver": {
                "listening": listening,
                "port": self.receiver.port,
                "tcp_connections": self.receiver.connection_count,
            },
            "journal": {"commits": self.journal.batches, "signals": self.journal.records},
            "processor": {
                "leader": self.worker.leader,
                "processed": self.processor.processed_count,
            },
        }


def build_station(
    settings: Settings,
    *,
    clock: Clock | None = None,
    rng: Callable[[int], bytes] | None = None,
    hasher: PasswordHasher | None = None,
) -> Station:
    engine = make_engine(settings.database_url)
    clock = clock or SystemClock()
    transmitters = SqlTransmitterRepository(engine)
    directory = TransmitterDirectory(transmitters)
    journal = GroupCommitJournal(
        engine, duplicate_window=settings.duplicate_window, max_batch=settings.commit_batch
    )
    reception = Reception(
        directory,
        journal,
        clock,
        rng or os.urandom,
        ReceptionOptions(
            timestamp_past=settings.timestamp_past,
            timestamp_future=settings.timestamp_future,
            nak_bad_frames=settings.nak_bad_frames,
            listener=settings.listener_name or os.uname().nodename,
        ),
    )
    logbook_store = SqlLogbook(engine)
    logbook = Logbook(logbook_store, clock)
    register = SqlRegister(engine, now=clock.now)
    incidents = SqlIncidents(engine, logbook_store)
    queue = IncidentQueue(
        incidents,
        logbook,
        clock,
        escalate_after=timedelta(seconds=settings.escalate_after),
        register=register,
    )
    cameras = build_cameras(settings, engine)
    processor = Processor(
        SqlProcessing(engine, incidents, logbook_store),
        register,
        logbook,
        clock,
        EngineConfig(
            flood_window_seconds=settings.flood_window,
            reminder_after=timedelta(minutes=settings.reminder_after),
            priorities=DEFAULT_PRIORITIES
            | {AlarmKind(kind): p for kind, p in settings.priorities.items()},
        ),
        # SQLite has one writer: short processing transactions keep ACKs waiting less.
        options=ProcessorOptions(batch=50 if settings.is_sqlite else 500),
        cameras=cameras.cameras,
    )
    worker = ProcessingWorker(processor, queue, engine)
    journal.on_commit = worker.wake
    live = LiveHub(poll=settings.console_poll)
    notifier = None
    if not settings.is_sqlite:  # consoles of every process wake on a change made anywhere
        notifier = PgQueueNotifier(engine, live.changed_elsewhere)
        live.publish = notifier.publish
    worker.on_change = live.notify  # the worker's thread -> the consoles' event loop

    def register_changed(kind: str, text: str, data: dict[str, Any]) -> None:
        logbook.record(LogKind.REGISTER_CHANGE, text, data={"change": kind, **data})
        processor.register_changed()

    register.on_change = register_changed
    video = build_video(
        settings,
        engine,
        clock,
        cameras,
        journal,
        logbook,
        register,
        on_camera_change=lambda kind, text, data: processor.register_changed(),
        sites=processor.sites,  # held in memory by the processor: no reload of every site
    )
    receiver = Dc09Server(
        reception,
        ListenerLimits(
            max_connections=settings.max_connections,
            idle_timeout=settings.idle_timeout,
            max_frame_size=settings.max_frame_size,
        ),
    )
    return Station(
        settings=settings,
        engine=engine,
        clock=clock,
        transmitters=transmitters,
        directory=directory,
        journal=journal,
        reception=reception,
        receiver=receiver,
        signal_reader=SqlSignalReader(engine),
        logbook=logbook,
        register=register,
        queue=queue,
        processor=processor,
        worker=worker,
        auth=build_authenticator(engine, clock, logbook, hasher),
        live=live,
        video=video,
        notifier=notifier,
    )


def build_authenticator(
    engine: Engine, clock: Clock, logbook: Logbook, hasher: PasswordHasher | None = None
) -> Authenticator:
    """Sign-in on the users and sessions tables; also what ``vigie user`` uses."""
    return Authenticator(
        SqlUsers(engine), SqlSessions(engine), clock, hasher or Argon2Hasher(), logbook=logbook
    )


async def _refresh_transmitters(station: Station) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(station.settings.transmitter_refresh)
        try:
            await loop.run_in_executor(None, station.directory.refresh)
        except Exception:
            log.exception("could not reload transmitters; keeping the previous list")


async def start_station(station: Station, *, migrate: bool = True) -> None:
    """Migrate, load transmitters, start the journal writer and bind the listeners."""
    loop = asyncio.get_running_loop()
    if migrate:
        await loop.run_in_executor(None, upgrade, station.engine)
    if await loop.run_in_executor(None, station.auth.setting_up):
        log.warning(
            "no user yet: the API answers without sign-in until the first administrator "
            "is created with `vigie user add NAME --role admin`"
        )
    count = await loop.run_in_executor(None, station.directory.refresh)
    log.info("%d transmitters configured", count)
    station.journal.start()
    if station.settings.processor:
        station.worker.start()
    await station.receiver.start(station.settings.host, station.settings.dc09_port)
    station.background.append(loop.create_task(_refresh_transmitters(station)))
    if station.notifier is not None:
        station.notifier.start()
    if station.video is not None:
        await start_video(station.video, station.clock)


async def stop_station(station: Station) -> None:
    for task in station.background:
        task.cancel()
    await station.receiver.close()
    if station.notifier is not None:
        await asyncio.get_running_loop().run_in_executor(None, station.notifier.stop)
    if station.video is not None:
        await stop_video(station.video)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, station.journal.close)
    await loop.run_in_executor(None, station.worker.stop)
    station.engine.dispose()


def settle_heap() -> None:
    """Move what start-up built (modules, the register, the engine's state, the web app)
    out of the garbage collector's reach, and collect less often: otherwise each full
    collection walks those hundreds of thousands of objects again, a 100-200 ms pause of
    every thread, in the middle of an ACK or of a console's push. Called once the station
    runs and its web app is up (``run_station``). Objects still die when no longer
    referenced."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


async def run_station(station: Station, *, ready: Callable[[Station], None] | None = None) -> None:
    """Run receiver and HTTP API until cancelled (Ctrl-C)."""
    await start_station(station)
    app = station.app()
    config = uvicorn.Config(
        app,
        host=station.settings.host,
        port=station.settings.http_port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    web = asyncio.get_running_loop().create_task(server.serve())
    try:
        while not server.started and not web.done():
            await asyncio.sleep(0.05)
        if web.done():
            web.result()
        if ready is not None:
            ready(station)
        settle_heap()
        await web
    finally:
        server.should_exit = True
        await stop_station(station)
