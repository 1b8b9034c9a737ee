"""The load generator: persistent DC-09 TCP connections in worker processes.

Each worker process runs its own event loop (no GIL shared with the main process or the
server under test). A connection sends SIA-DCS frames, each a distinct signal (its own
account, a sequence number, a zone and a timestamp), and times every frame from the
write to the reply read back. Two ways of sending:

* closed loop (``window`` >= 1): keep ``window`` frames in flight; each reply releases
  the next frame. DC-09 panels send one frame at a time, hence ``window=1``;
* open loop (``rate`` > 0): send at fixed times whatever the replies, the way a fleet of
  independent panels does; the connections' send times are spread evenly.

Only frames *sent* inside the measured interval (after a warm-up) count; every reply is
checked (CRC, length, sequence echoed, ACK and not NAK/DUH) by the codec's reply parser.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import time
from array import array
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vigie.protocols.dc09 import Dc09Error, ReplyKind, encode_frame, parse_reply

__all__ = ["Plan", "Tally", "run_plan"]


@dataclass(frozen=True)
class Plan:
    """One measured phase against one server."""

    port: int
    accounts: tuple[str, ...]  # one connection per account
    window: int = 1  # closed loop: frames in flight per connection
    rate: float = 0.0  # open loop: total signals/s across all connections (0 = closed loop)
    warmup: float = 1.0
    duration: float = 10.0
    drain: float = 5.0  # seconds to wait for late replies after the last send
    workers: int = 2
    host: str = "127.0.0.1"


@dataclass
class Tally:
    """What one worker (or, merged, all of them) saw."""

    latencies: array[float] = field(default_factory=lambda: array("d"))  # measured ACKs, s
    sent_measured: int = 0
    sent: int = 0
    acks: int = 0  # every ACK received (warm-up and drain included): the journal check
    non_acks: int = 0  # NAK, DUH, RSP
    bad_replies: int = 0  # unparseable, wrong sequence, or a reply nobody waited for
    unanswered: int = 0  # no reply before the drain ended, or the connection dropped
    connect_errors: int = 0
    send_lag_max: float = 0.0  # open loop: how late the generator itself was

    @property
    def errors(self) -> int:
        return self.non_acks + self.bad_replies + self.unanswered + self.connect_errors

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        for name in (
            "sent_measured",
            "sent",
            "acks",
            "non_acks",
            "bad_replies",
            "unanswered",
            "connect_errors",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.send_lag_max = max(self.send_lag_max, other.send_lag_max)


class _Connection(asyncio.Protocol):
    def __init__(self, account: str, clock: _Clock, tally: Tally, window: int) -> None:
        self.account = account
        self.clock = clock
        self.tally = tally
        self.window = window
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.outstanding: deque[tuple[str, float, bool]] = deque()
        self.counter = 0
        self.lost = False
        self.idle = asyncio.Event()
        self.idle.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.tally.unanswered += len(self.outstanding)
        self.outstanding.clear()
        self.idle.set()

    def send(self) -> None:
        if self.transport is None or self.lost:
            return
        self.counter = self.counter % 9999 + 1
        sequence = f"{self.counter:04d}"
        zone = self.counter % 999 + 1
        frame = encode_frame(
            "SIA-DCS",
            sequence=sequence,
            account=self.account,
            data=f"#{self.account}|Nri1/BA{zone}",
            timestamp=datetime.now(UTC),
        )
        now = time.perf_counter()
        measured = self.clock.measuring(now)
        self.outstanding.append((sequence, now, measured))
        self.idle.clear()
        self.tally.sent += 1
        self.tally.sent_measured += measured
        self.transport.write(frame)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        while (end := self.buffer.find(b"\r")) >= 0:
            raw = bytes(self.buffer[: end + 1])
            del self.buffer[: end + 1]
            self._reply(raw, now)
        if not self.outstanding:
            self.idle.set()

    def _reply(self, raw: bytes, now: float) -> None:
        if not self.outstanding:
            self.tally.bad_replies += 1
            return
        sequence, sent_at, measured = self.outstanding.popleft()
        try:
            reply = parse_reply(raw)
        except Dc09Error:
            self.tally.bad_replies += 1
        else:
            if reply.sequence != sequence:
                self.tally.bad_replies += 1
            elif reply.kind is not ReplyKind.ACK:
                self.tally.non_acks += 1
            else:
                self.tally.acks += 1
                if measured:
                    self.tally.latencies.append(now - sent_at)
        if self.window and self.clock.sending(now):
            self.send()


@dataclass
class _Clock:
    start: float  # perf_counter time the sending starts
    warmup: float
    duration: float

    def measuring(self, now: float) -> bool:
        return self.start + self.warmup <= now < self.start + self.warmup + self.duration

    def sending(self, now: float) -> bool:
        return now < self.start + self.warmup + self.duration


async def _paced(
    conn: _Connection, clock: _Clock, first: float, period: float, tally: Tally
) -> None:
    due = first
    end = clock.start + clock.warmup + clock.duration
    while due < end and not conn.lost:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            tally.send_lag_max = max(tally.send_lag_max, -delay)
        conn.send()
        due += period


async def _worker(
    plan: Plan, accounts: tuple[str, ...], index: int, ready: Any, go: Any, start_at: Any
) -> Tally:
    loop = asyncio.get_running_loop()
    tally = Tally()
    clock = _Clock(0.0, plan.warmup, plan.duration)
    window = 0 if plan.rate else plan.window
    conns: list[_Connection] = []
    for account in accounts:
        try:
            _, conn = await loop.create_connection(
                lambda a=account: _Connection(a, clock, tally, window), plan.host, plan.port
            )
        except OSError:
            tally.connect_errors += 1
            continue
        conns.append(conn)
    ready.put(index)
    await loop.run_in_executor(None, go.wait)
    clock.start = time.perf_counter() + (start_at.value - time.time())
    await asyncio.sleep(max(0.0, clock.start - time.perf_counter()))
    if plan.rate:
        total = len(plan.accounts)
        period = total / plan.rate  # each connection sends every `period` seconds
        tasks = []
        for i, conn in enumerate(conns):
            # spread the connections' first sends evenly over one period, across workers
            offset = period * (i * plan.workers + index) / total
            tasks.append(
                asyncio.create_task(_paced(conn, clock, clock.start + offset, period, tally))
            )
        await asyncio.gather(*tasks)
    else:
        for conn in conns:
            for _ in range(plan.window):
                conn.send()
        await asyncio.sleep(
            max(0.0, clock.start + plan.warmup + plan.duration - time.perf_counter())
        )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(c.idle.wait() for c in conns)), plan.drain)
    for conn in conns:
        tally.unanswered += len(conn.outstanding)
        conn.outstanding.clear()
        if conn.transport is not None:
            conn.transport.close()
    await asyncio.sleep(0.05)
    return tally


def _worker_main(
    plan: Plan,
    accounts: tuple[str, ...],
    index: int,
    ready: Any,
    go: Any,
    start_at: Any,
    results: Any,
) -> None:
    tally = asyncio.run(_worker(plan, accounts, index, ready, go, start_at))
    results.put((index, tally))


def run_plan(plan: Plan) -> Tally:
    """Run one phase in ``plan.workers`` processes; return the merged tally."""
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    start_at = ctx.Value("d", 0.0)
    n = plan.workers
    slices = [plan.accounts[i::n] for i in range(n)]
    procs = [
        ctx.Process(
            target=_worker_main,
            args=(plan, slices[i], i, ready, go, start_at, results),
            daemon=True,
        )
        for i in range(n)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=60)
    start_at.value = time.time() + 0.2
    go.set()
    merged = Tally()
    timeout = plan.warmup + plan.duration + plan.drain + 30
    for _ in procs:
        _, tally = results.get(timeout=timeout)
        merged.merge(tally)
    for proc in procs:
        proc.join(timeout=10)
    return merged
