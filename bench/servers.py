"""The servers under test, each in its own process: Vigie (SQLite, PostgreSQL) and pysiaalarm.

pysiaalarm runs with ``python -O``: on CPython 3.11 its asyncio UDP server asserts that
the transport is an ``asyncio.DatagramTransport``, which it is not there; the bench only
uses TCP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import text
from tests.support.station import ProcessStation, free_port

from vigie.adapters.db.engine import make_engine

__all__ = ["journal_counts", "postgres_database", "start_pysiaalarm", "start_vigie"]

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REPO = Path(__file__).resolve().parent.parent


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def start_vigie(db_url: str, log_path: Path, *, profile: Path | None = None) -> ProcessStation:
    """``vigie serve`` (default settings) in its own process; returns once /healthz is 200.

    With ``profile``, the server runs under ``bench.profile_server`` (cProfile on every
    thread, CPU time) and writes its statistics there when it stops.
    """
    dc09_port, http_port = free_port(), free_port()
    runner = ["-m", "vigie.entrypoints.cli"]
    if profile is not None:
        runner = ["-m", "bench.profile_server", str(profile)]
    args = [
        sys.executable,
        *runner,
        "serve",
        "--db",
        db_url,
        "--host",
        "127.0.0.1",
        "--dc09-port",
        str(dc09_port),
        "--http-port",
        str(http_port),
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=_env())
    station = ProcessStation(process, dc09_port, http_port, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vigie serve exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{station.http}/healthz", timeout=1).status_code == 200:
                return station
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    station.stop()
    raise RuntimeError(f"vigie serve did not start: {log_path.read_text()[-2000:]}")


def start_pysiaalarm(accounts: list[str], log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """pysiaalarm's asyncio TCP receiver (``bench.pysia_server``); returns (process, port)."""
    port = free_port()
    args = [sys.executable, "-O", "-m", "bench.pysia_server", str(port), ",".join(accounts)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=_env())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pysiaalarm exited: {log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("pysiaalarm did not start")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throw-away database on the local server, dropped afterwards."""
    name = f"vigie_bench_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def journal_counts(db_url: str) -> tuple[int, int]:
    """(rows in the signal journal, rows whose stored reply is an ACK)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM signals")).scalar_one()
            acked = conn.execute(
                text("SELECT count(*) FROM signals WHERE reply_kind = 'ACK'")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(total), int(acked)
