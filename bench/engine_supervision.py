"""Supervision sweep benchmark: the engine's deadline heap against a naive full scan.

``python -m bench.engine_supervision [--transmitters N] [--runs R]``

100,000 supervised transmitters (interval 30 min + 60 s grace), their registrations spread
evenly over the interval so that deadlines are spread too. Each scenario builds a fresh
engine (not timed), then times one sweep; the median of R runs is printed, with the naive
baseline measured in the same run: a loop over every transmitter checking its deadline,
which is what a tick would cost without the heap.

* ``quiet``: nothing is due (the common tick, every second or so);
* ``1%-due``: 1% of the transmitters went silent: detect them;
* ``1%-stale``: all were heard since registration, 1% of heap entries come up stale and
  are pushed again (lazy invalidation at work), nobody is missing;
* ``tick-1%``: the full ``Engine.tick`` for the 1%-due case, decisions included
  (no baseline: the decisions are the same either way);
* ``100%-due``: every transmitter silent at once (the station's own network down): the
  worst case, where the heap has no advantage left and pays for its pops.

Target (issue 3): a sweep over 100,000 transmitters well under 200 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from vigie.domain.engine import Engine
from vigie.domain.engine.state import TransmitterState
from vigie.domain.register import Supervision
from vigie.domain.signals import SignalRecord, Transport

T0 = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)
SUP = Supervision(interval_seconds=1800, grace_seconds=60)
DEADLINE = SUP.deadline_seconds


def build(n: int, heard: bool) -> Engine:
    engine = Engine()
    step = SUP.interval_seconds / n
    for i in range(n):
        engine.register_transmitter(f"T{i:07d}", None, SUP, T0 + timedelta(seconds=i * step))
    if heard:  # every transmitter heard once, 1,000 s after its registration
        for i in range(n):
            at = T0 + timedelta(seconds=i * step + 1000)
            record = SignalRecord(at, Transport.TCP, "bench", b"", "ACK", b"", account=f"T{i:07d}")
            engine._watch.heard(record.account or "", None, at)
    return engine


def naive_due(transmitters: dict[str, TransmitterState], now: datetime) -> list[TransmitterState]:
    """The baseline: look at every transmitter on every sweep."""
    now_ts = now.timestamp()
    due: list[TransmitterState] = []
    for rec in transmitters.values():
        if rec.supervised and not rec.missing and rec.deadline() < now_ts:
            rec.missing = True
            due.append(rec)
    return due


def timed(
    setup: Callable[[], Engine], sweep: Callable[[Engine], int], runs: int
) -> tuple[float, int]:
    samples: list[float] = []
    found = 0
    for _ in range(runs):
        engine = setup()
        start = time.perf_counter()
        found = sweep(engine)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transmitters", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    n, runs = args.transmitters, args.runs
    one_percent = SUP.interval_seconds * 0.01
    quiet = T0 + timedelta(seconds=DEADLINE - 1)
    due = T0 + timedelta(seconds=DEADLINE + one_percent)
    stale = T0 + timedelta(seconds=DEADLINE + one_percent)

    def fresh() -> Engine:
        return build(n, heard=False)

    def heard() -> Engine:
        return build(n, heard=True)

    scenarios: list[tuple[str, Callable[[], Engine], datetime]] = [
        ("quiet", fresh, quiet),
        ("1%-due", fresh, due),
        ("1%-stale", heard, stale),
        ("100%-due", fresh, T0 + timedelta(seconds=DEADLINE + SUP.interval_seconds + 1)),
    ]
    print(f"supervision sweep, {n:,} transmitters, median of {runs} runs (ms)")
    print(f"{'scenario':<10} {'heap':>10} {'naive':>10} {'ratio':>8} {'found':>7}")
    for name, setup, now in scenarios:

        def heap(engine: Engine, now: datetime = now) -> int:
            return len(engine._watch.due(now))

        def naive(engine: Engine, now: datetime = now) -> int:
            return len(naive_due(engine.state.transmitters, now))

        heap_ms, heap_found = timed(setup, heap, runs)
        naive_ms, naive_found = timed(setup, naive, runs)
        if heap_found != naive_found:
            raise SystemExit(f"{name}: heap found {heap_found}, naive {naive_found}")
        ratio = naive_ms / heap_ms if heap_ms > 0 else float("inf")
        shown = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.2f}"
        print(f"{name:<10} {heap_ms:>10.3f} {naive_ms:>10.3f} {shown:>7}x {heap_found:>7}")

    def tick(engine: Engine) -> int:
        return len(engine.tick(due))

    tick_ms, decisions = timed(fresh, tick, runs)
    print(f"{'tick-1%':<10} {tick_ms:>10.3f} {'':>10} {'':>8} {decisions:>7} decisions")


if __name__ == "__main__":
    main()
