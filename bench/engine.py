"""Processing benchmark (issue 3): journal -> engine -> incidents, on SQLite and PostgreSQL.

``python -m bench.engine [--quick] [--only sqlite|postgres] [--profile DIR]``

Three measurements, each printed with a baseline measured in the same run:

* **throughput**: a fresh database holds the register (example + synthetic sites) and a
  journal of N unprocessed signals (``bench.engine_workload``); ``Processor.run_once`` is
  timed until the journal is drained -> signals/s. Baselines: the pure engine
  (``SiteDirectory.site_for`` + ``Engine.on_signal`` over the same records, no database)
  and the naive processor (one signal per transaction, ``batch=1``, on the first M
  signals of a journal of M). Also the processor's ``tick`` with and without its
  register reload, on the drained database.
* **signal-to-incident latency** on a real station at 200 alarms/s (``bench.engine_latency``);
  baseline: the ACK latency of the same frames.
* **supervision sweep** over 100,000 transmitters: ``bench.engine_supervision``'s
  scenarios and functions, heap against a naive full scan.

Medians of 3 runs (1 with ``--quick``). Targets: supervision sweep < 200 ms with no full
scan per tick; p99 signal-to-incident < 1 s at 200 alarms/s (our bar: the operator's
queue within a second of the panel's ACK). JSON: ``bench/results/engine-latest.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import engine_supervision as sup
from bench import machine
from bench.engine_latency import LatencyPlan, run_latency
from bench.engine_report import print_report, summarise
from bench.engine_workload import (
    MemoryRegister,
    build_register,
    fresh_database,
    make_signals,
    outcome,
    prepare,
    processor_for,
)
from vigie.domain.engine import Engine
from vigie.domain.register_set import Register
from vigie.domain.signals import SignalRecord
from vigie.services.processor import SiteDirectory

RESULTS = Path(__file__).resolve().parent / "results"
BACKENDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class Settings:
    runs: int
    sites: int  # synthetic sites, on top of the example register's 12
    signals: int
    naive_signals: int
    alarm_signals: int  # the alarm-only journal: the processor's capacity for alarms
    latency: LatencyPlan
    transmitters: int  # supervision sweep


FULL = Settings(3, 1000, 10_000, 1_000, 2_000, LatencyPlan(), 100_000)
QUICK = Settings(
    1, 200, 1_500, 150, 300, LatencyPlan(warmup=0.5, duration=1.5, drain=10, sites=200), 10_000
)


# -- throughput ----------------------------------------------------------------------------


def engine_only(register: Register, records: list[SignalRecord]) -> tuple[float, int]:
    """(signals/s, decisions) of the pure engine over ``records``."""
    directory = SiteDirectory(MemoryRegister(register))
    now = datetime.now(UTC)
    engine = Engine()
    for site in directory.reload():
        engine.watch_site(site, now)
    decisions = 0
    start = time.perf_counter()
    for signal_id, record in enumerate(records, 1):
        decisions += len(engine.on_signal(signal_id, record, directory.site_for(record), now))
    return len(records) / (time.perf_counter() - start), decisions


def drain(
    backend: str,
    register: Register,
    records: list[SignalRecord],
    batch: int,
    limit: int,
    profiler: cProfile.Profile | None = None,
) -> dict[str, Any]:
    """Time ``run_once`` on a fresh journal of ``records`` until ``limit`` are processed;
    count the SQL statements it sends."""
    with fresh_database(backend) as url:
        engine = prepare(url, register, records)
        try:
            processor = processor_for(engine, batch)
            processor.start()
            statements = [0]

            @event.listens_for(engine, "before_cursor_execute")
            def _count(*_: Any) -> None:
                statements[0] += 1

            done = 0
            if profiler is not None:
                profiler.enable()
            start = time.perf_counter()
            while done < limit and (n := processor.run_once()):
                done += n
            elapsed = time.perf_counter() - start
            if profiler is not None:
                profiler.disable()
            event.remove(engine, "before_cursor_execute", _count)
            result: dict[str, Any] = {
                "signals": done,
                "rate": done / elapsed,
                "statements_per_signal": statements[0] / max(done, 1),
            }
            if batch > 1:
                result |= asdict(outcome(engine))
                result |= _ticks(processor)
            return result
        finally:
            engine.dispose()


def _ticks(processor: Any) -> dict[str, float]:
    processor.tick()  # the first one may write the engine snapshot
    samples: dict[str, list[float]] = {"tick_ms": [], "tick_reload_ms": []}
    for _ in range(3):
        for name, reload in (("tick_ms", False), ("tick_reload_ms", True)):
            if reload:
                processor.register_changed()
            start = time.perf_counter()
            processor.tick()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {k: statistics.median(v) for k, v in samples.items()}


def profile_drain(
    backend: str, register: Register, records: list[SignalRecord], folder: Path
) -> Path:
    """cProfile of the timed loop only (not the database set-up)."""
    path = folder / f"engine-processor-{backend}.prof"
    profiler = cProfile.Profile()
    drain(backend, register, records, batch=500, limit=len(records), profiler=profiler)
    profiler.dump_stats(path)
    return path


# -- supervision ---------------------------------------------------------------------------


def supervision(n: int, runs: int) -> dict[str, Any]:
    """``bench.engine_supervision``'s scenarios, run with its own functions."""
    interval = sup.SUP.interval_seconds
    due = sup.T0 + timedelta(seconds=sup.DEADLINE + interval * 0.01)
    scenarios: list[tuple[str, bool, datetime]] = [
        ("quiet", False, sup.T0 + timedelta(seconds=sup.DEADLINE - 1)),
        ("1%-due", False, due),
        ("1%-stale", True, due),
        ("100%-due", False, sup.T0 + timedelta(seconds=sup.DEADLINE + interval + 1)),
    ]
    rows: dict[str, Any] = {}
    for name, heard, now in scenarios:

        def setup(heard: bool = heard) -> Engine:
            return sup.build(n, heard=heard)

        def heap(engine: Engine, now: datetime = now) -> int:
            return len(engine._watch.due(now))

        def naive(engine: Engine, now: datetime = now) -> int:
            return len(sup.naive_due(engine.state.transmitters, now))

        heap_ms, found = sup.timed(setup, heap, runs)
        naive_ms, naive_found = sup.timed(setup, naive, runs)
        if found != naive_found:
            raise SystemExit(f"supervision {name}: heap found {found}, naive {naive_found}")
        rows[name] = {"heap_ms": heap_ms, "naive_ms": naive_ms, "found": found}
    tick_ms, decisions = sup.timed(
        lambda: sup.build(n, heard=False), lambda e: len(e.tick(due)), runs
    )
    rows["tick-1%"] = {"heap_ms": tick_ms, "naive_ms": None, "found": decisions}
    # entries a quiet tick takes off the heap: 0 means no scan at all
    engine = sup.build(n, heard=False)
    before = len(engine._watch)
    engine.tick(scenarios[0][2])
    rows["quiet"]["entries_touched"] = before - len(engine._watch)
    return {"transmitters": n, "runs": runs, "scenarios": rows}


# -- main ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    s = QUICK if args.quick else FULL
    backends = (args.only,) if args.only else BACKENDS
    started = time.perf_counter()
    register = build_register(s.sites)
    now = datetime.now(UTC)
    records = make_signals(register, s.signals, now - timedelta(hours=1), timedelta(hours=1))
    naive_records = records[: s.naive_signals]
    alarm_records = make_signals(
        register, s.alarm_signals, now - timedelta(minutes=5), timedelta(minutes=5),
        alarms_only=True,
    )  # fmt: skip
    raw: dict[str, Any] = {
        "workload": _workload(register, records),
        "engine_only": [],
        "processor": {b: [] for b in backends},
        "naive": {b: [] for b in backends},
        "alarms_only": {b: [] for b in backends},
        "latency": {b: [] for b in backends},
        "latency_plan": asdict(s.latency),
    }
    log_dir = Path(tempfile.mkdtemp(prefix="vigie-bench-engine-"))
    step("supervision sweep", started)
    raw["supervision"] = supervision(s.transmitters, s.runs)
    for run_no in range(1, s.runs + 1):
        step(f"run {run_no}/{s.runs}: engine only", started)
        raw["engine_only"].append(engine_only(register, records)[0])
        for backend in backends:
            step(f"run {run_no}/{s.runs}: {backend} processor", started)
            raw["processor"][backend].append(drain(backend, register, records, 500, s.signals))
            step(f"run {run_no}/{s.runs}: {backend} naive", started)
            raw["naive"][backend].append(
                drain(backend, register, naive_records, 1, s.naive_signals)
            )
            step(f"run {run_no}/{s.runs}: {backend} alarm-only", started)
            raw["alarms_only"][backend].append(
                drain(backend, register, alarm_records, 500, s.alarm_signals)
            )
            step(f"run {run_no}/{s.runs}: {backend} latency", started)
            raw["latency"][backend].append(run_latency(backend, register, s.latency, log_dir))
    _, decisions = engine_only(register, records)
    raw["engine_only_decisions"] = decisions
    if args.profile:
        folder = Path(args.profile)
        folder.mkdir(parents=True, exist_ok=True)
        for backend in backends:
            step(f"profile: {backend} processor", started)
            path = profile_drain(backend, register, records, folder)
            print(f"  {path}")
            pstats.Stats(str(path)).sort_stats("tottime").print_stats(12)
    raw["elapsed_s"] = time.perf_counter() - started
    raw["logs"] = str(log_dir)
    return raw


def _workload(register: Register, records: list[SignalRecord]) -> dict[str, Any]:
    counts = {"test": 0, "open_close": 0, "alarm": 0, "restore": 0}
    for record in records:
        code = record.events[0].code if record.events else "RP"
        kind = {"RP": "test", "OP": "open_close", "CL": "open_close", "BA": "alarm"}
        counts[kind.get(code, "restore")] += 1
    return {
        "sites": len(register.sites),
        "signals": len(records),
        "mix": {k: v / len(records) for k, v in counts.items()},
    }


def step(what: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {what}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--only", choices=BACKENDS)
    parser.add_argument("--profile", metavar="DIR", help="also cProfile one drain per backend")
    args = parser.parse_args()
    raw = run(args)
    s = QUICK if args.quick else FULL
    summary = summarise(raw)
    lines = print_report(s, raw, summary)
    for backend, t in summary["throughput"].items():
        if t["entries"] != raw["engine_only_decisions"] or t["unprocessed"]:
            print(
                f"WARNING {backend}: {t['entries']} logbook entries for "
                f"{raw['engine_only_decisions']} engine decisions, {t['unprocessed']} left"
            )
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine.describe(),
        "settings": asdict(s),
        "summary": summary,
        "verdicts": lines,
        "raw": raw,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "engine-latest.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\n{out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out} "
          f"({raw['elapsed_s']:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
