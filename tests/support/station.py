"""Run a real Vigie station for tests: in a thread of this process, or as a process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.signal_reader import SqlSignalReader
from vigie.adapters.db.transmitter_repository import SqlTransmitterRepository
from vigie.bootstrap import Station, build_station, start_station, stop_station
from vigie.config import load_settings
from vigie.domain.signals import SignalRecord, StoredSignal
from vigie.domain.transmitters import Transmitter
from vigie.services.ports import SignalFilter

# Who reads the API of a station started with ``trust_identity_headers``.
IDENTITY = {"X-Vigie-User": "chef", "X-Vigie-Role": "supervisor", "X-Vigie-Card": "CAR-069-C"}


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def declare(db_url: str, *transmitters: Transmitter) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    repository = SqlTransmitterRepository(engine)
    for transmitter in transmitters:
        repository.add(transmitter)
    engine.dispose()


def journal(db_url: str, account: str | None = None) -> list[tuple[StoredSignal, SignalRecord]]:
    """Every signal stored, oldest first."""
    engine = make_engine(db_url)
    try:
        rows = SqlSignalReader(engine).list(
            SignalFilter(account=account, limit=100_000, newest_first=False)
        )
    finally:
        engine.dispose()
    return list(rows)


@dataclass
class ThreadStation:
    station: Station
    port: int
    loop: asyncio.AbstractEventLoop

    def refresh_transmitters(self) -> None:
        self.station.directory.refresh()


@contextmanager
def station_in_thread(db_url: str, **settings: object) -> Iterator[ThreadStation]:
    """A station (receiver + journal, no HTTP) on an event loop in a background thread."""
    config = load_settings(database_url=db_url, host="127.0.0.1", dc09_port=0, **settings)
    station = build_station(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="station-loop", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start_station(station), loop).result(timeout=30)
    try:
        yield ThreadStation(station, station.receiver.port, loop)
    finally:
        asyncio.run_coroutine_threadsafe(stop_station(station), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@dataclass
class ProcessStation:
    process: subprocess.Popen[bytes]
    dc09_port: int
    http_port: int
    log_path: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def kill(self) -> None:
        """SIGKILL: no chance to flush or close anything."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_process(
    db_url: str,
    log_path: Path,
    dc09_port: int | None = None,
    timeout: float = 30.0,
    *,
    trust_identity_headers: bool = False,
) -> ProcessStation:
    """``vigie serve`` in its own process; returns once /healthz answers 200.

    ``trust_identity_headers``: the API takes the user from X-Vigie-* headers, as behind
    an authenticating proxy (see ``IDENTITY``), instead of wanting a signed-in session."""
    dc09_port = dc09_port or free_port()
    http_port = free_port()
    env = dict(os.environ, VIGIE_TRANSMITTER_REFRESH="0.2")
    env["VIGIE_TRUST_IDENTITY_HEADERS"] = "true" if trust_identity_headers else "false"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "vigie.entrypoints.cli", "serve", "--db", db_url,
         "--host", "127.0.0.1", "--dc09-port", str(dc09_port), "--http-port", str(http_port)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    log.close()
    started = ProcessStation(process, dc09_port, http_port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vigie serve exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{started.http}/healthz", timeout=1).status_code == 200:
                return started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    started.stop()
    raise RuntimeError(f"vigie serve did not start: {log_path.read_text()[-2000:]}")
