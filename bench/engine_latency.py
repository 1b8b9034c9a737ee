"""Signal-to-incident latency on a real station, against the ACK latency of the same frames.

A ``vigie serve`` process (``bench.servers.start_vigie``: receiver, group-commit journal,
processing worker woken by each commit) on a fresh database holding the register. This
process sends SIA-DCS burglary alarms at a steady rate over persistent TCP connections,
each frame a new alarm (its own site and zone, so none is a flood repeat), and a poller
thread reads new ``alarms`` rows every few milliseconds. For each frame sent inside the
measured interval:

* ACK latency: write -> ACK read back (what the panel sees; the journal commit is in it);
* incident latency: write -> first poll that sees its alarm row (committed with its
  incident by the processor). The poll interval bounds the error (reported).

Both are read on this process's ``perf_counter``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.engine_workload import fresh_database, synthetic_account
from bench.servers import start_vigie
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.incident_tables import alarms
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.register_repository import SqlRegister
from vigie.domain.register_set import Register
from vigie.protocols.dc09 import Dc09Error, ReplyKind, encode_frame, parse_reply

__all__ = ["LatencyPlan", "percentile", "run_latency"]


@dataclass(frozen=True)
class LatencyPlan:
    rate: float = 200.0  # frames/s, all connections together
    connections: int = 20
    warmup: float = 1.0
    duration: float = 10.0
    poll: float = 0.005  # s between two reads of the alarms table
    drain: float = 20.0  # s to wait for the last incidents
    sites: int = 1000  # synthetic sites the frames go to, in turn


def percentile(values: list[float], q: float) -> float:
    """Nearest rank; ``values`` sorted."""
    if not values:
        return float("nan")
    rank = max(0, min(len(values) - 1, round(q / 100 * len(values) + 0.5) - 1))
    return values[rank]


@dataclass
class _Frames:
    sent: dict[int, float] = field(default_factory=dict)
    acked: dict[int, float] = field(default_factory=dict)
    keys: dict[int, tuple[str, str]] = field(default_factory=dict)
    errors: int = 0
    send_lag_max: float = 0.0


class _Connection(asyncio.Protocol):
    def __init__(self, frames: _Frames) -> None:
        self.frames = frames
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.outstanding: deque[tuple[str, int]] = deque()
        self.counter = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, index: int, account: str, zone: str) -> None:
        assert self.transport is not None
        self.counter = self.counter % 9999 + 1
        sequence = f"{self.counter:04d}"
        frame = encode_frame(
            "SIA-DCS",
            sequence=sequence,
            account=account,
            data=f"#{account}|Nri1/BA{zone}",
            timestamp=datetime.now(UTC),
        )
        self.outstanding.append((sequence, index))
        self.frames.keys[index] = (account, zone)
        self.frames.sent[index] = time.perf_counter()
        self.transport.write(frame)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        while (end := self.buffer.find(b"\r")) >= 0:
            raw = bytes(self.buffer[: end + 1])
            del self.buffer[: end + 1]
            if not self.outstanding:
                self.frames.errors += 1
                continue
            sequence, index = self.outstanding.popleft()
            try:
                reply = parse_reply(raw)
            except Dc09Error:
                self.frames.errors += 1
                continue
            if reply.sequence != sequence or reply.kind is not ReplyKind.ACK:
                self.frames.errors += 1
                continue
            self.frames.acked[index] = now


async def _send(port: int, plan: LatencyPlan, frames: _Frames) -> float:
    """Send every frame on its schedule; returns the perf_counter time sending began."""
    loop = asyncio.get_running_loop()
    conns: list[_Connection] = []
    for _ in range(plan.connections):
        _, conn = await loop.create_connection(lambda: _Connection(frames), "127.0.0.1", port)
        conns.append(conn)
    total = int(plan.rate * (plan.warmup + plan.duration))
    start = time.perf_counter() + 0.05
    for i in range(total):
        due = start + i / plan.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            frames.send_lag_max = max(frames.send_lag_max, -delay)
        account = synthetic_account(i % plan.sites)
        conns[i % len(conns)].send(i, account, str(i // plan.sites + 1))
    deadline = time.perf_counter() + 10
    while any(c.outstanding for c in conns) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    return start


class _Poller(threading.Thread):
    """Reads alarms created since the last read; notes when each (account, zone) showed."""

    def __init__(self, url: str, interval: float) -> None:
        super().__init__(name="alarm-poller", daemon=True)
        self.engine = make_engine(url)
        self.interval = interval
        self.seen: dict[tuple[str, str], float] = {}
        self.polls = 0
        self.stop = threading.Event()

    def run(self) -> None:
        last = 0
        query = select(alarms.c.id, alarms.c.account, alarms.c.zone)
        while not self.stop.is_set():
            with self.engine.connect() as conn:
                rows = list(conn.execute(query.where(alarms.c.id > last).order_by(alarms.c.id)))
            now = time.perf_counter()
            self.polls += 1
            for row in rows:
                last = max(last, int(row.id))
                self.seen.setdefault((str(row.account), str(row.zone)), now)
            self.stop.wait(self.interval)
        self.engine.dispose()


def run_latency(
    backend: str, register: Register, plan: LatencyPlan, log_dir: Path
) -> dict[str, Any]:
    """One run on a fresh database; latencies in milliseconds."""
    load = list(os.getloadavg())
    with fresh_database(backend) as url:
        engine = make_engine(url)
        upgrade(engine)
        SqlRegister(engine).replace_all(register, source="bench")
        engine.dispose()
        station = start_vigie(url, log_dir / f"engine-latency-{backend}.log")
        poller = _Poller(url, plan.poll)
        try:
            poller.start()
            frames = _Frames()
            start = asyncio.run(_send(station.dc09_port, plan, frames))
            measured = [
                i
                for i, sent in frames.sent.items()
                if start + plan.warmup <= sent < start + plan.warmup + plan.duration
            ]
            wanted = {frames.keys[i] for i in measured}
            deadline = time.perf_counter() + plan.drain
            while time.perf_counter() < deadline and not wanted <= poller.seen.keys():
                time.sleep(0.05)
        finally:
            poller.stop.set()
            poller.join(timeout=10)
            station.stop()
    ack = sorted((frames.acked[i] - frames.sent[i]) * 1000 for i in measured if i in frames.acked)
    incident = sorted(
        (poller.seen[frames.keys[i]] - frames.sent[i]) * 1000
        for i in measured
        if frames.keys[i] in poller.seen
    )
    by_second: dict[int, list[float]] = {}
    for i in measured:
        if frames.keys[i] in poller.seen:
            second = int(frames.sent[i] - start - plan.warmup)
            by_second.setdefault(second, []).append(poller.seen[frames.keys[i]] - frames.sent[i])
    timeline = [
        [second, round(statistics.median(v) * 1000, 1), round(max(v) * 1000, 1)]
        for second, v in sorted(by_second.items())
    ]
    return {
        "load_avg_before": load,
        "incident_by_second_p50_max_ms": timeline,
        "measured": len(measured),
        "acked": len(ack),
        "incidents": len(incident),
        "missing": len(measured) - len(incident),
        "reply_errors": frames.errors,
        "send_lag_max_ms": frames.send_lag_max * 1000,
        "polls": poller.polls,
        "ack_p50_ms": percentile(ack, 50),
        "ack_p99_ms": percentile(ack, 99),
        "incident_p50_ms": percentile(incident, 50),
        "incident_p99_ms": percentile(incident, 99),
        "incident_max_ms": incident[-1] if incident else float("nan"),
    }
