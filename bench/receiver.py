"""Receiver benchmark: Vigie (SQLite, PostgreSQL) against pysiaalarm 3.2.2, same run, same load.

``python -m bench.receiver [--quick] [--only sqlite|postgres|pysiaalarm] [--profile DIR]``

Phases, each against every target, interleaved and repeated (the median run is reported):

* ``sustained-w4``: closed loop, 100 persistent connections x 4 frames in flight — the
  receiver's capacity (Vigie only: pysiaalarm treats each TCP read as one message);
* ``sustained-w1``: closed loop, 200 connections x 1 frame in flight, as DC-09 panels send;
* ``paced-1000``: open loop at 1,000 signals/s over 100 connections (10/s each).

Targets (issue): >= 2,000 signals/s sustained and p99 ACK < 50 ms at 1,000 signals/s, on
SQLite and on PostgreSQL. Vigie acknowledges only after the commit; pysiaalarm stores
nothing, so it is the ceiling of "parse and answer" in asyncio Python, not a peer.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from tests.support.station import declare

from bench import machine
from bench.loadgen import Plan, Tally, run_plan
from bench.servers import (
    journal_counts,
    postgres_database,
    start_pysiaalarm,
    start_vigie,
    stop_process,
)
from vigie.domain.transmitters import Transmitter

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RATE = 2000.0  # signals/s sustained
TARGET_P99 = 0.050  # s, at 1,000 signals/s
PACED_RATE = 1000.0
TARGETS = ("vigie-sqlite", "vigie-postgres", "pysiaalarm")


@dataclass(frozen=True)
class Phase:
    name: str
    connections: int
    window: int = 1
    rate: float = 0.0
    vigie_only: bool = False

    def describe(self) -> str:
        if self.rate:
            return f"open loop {self.rate:.0f}/s, {self.connections} conns"
        return f"closed loop, {self.connections} conns x {self.window} in flight"


PHASES = (
    Phase("sustained-w4", connections=100, window=4, vigie_only=True),
    Phase("sustained-w1", connections=200, window=1),
    Phase("paced-1000", connections=100, rate=PACED_RATE),
)


def accounts(n: int) -> list[str]:
    return [f"{0xB000 + i:04X}" for i in range(n)]


def summarise(tally: Tally, duration: float, phase: Phase) -> dict[str, Any]:
    lat = sorted(tally.latencies)

    def q(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None

    result = {
        "signals_per_s": round(len(lat) / duration, 1),
        "p50_ms": q(0.50),
        "p99_ms": q(0.99),
        "max_ms": round(lat[-1] * 1000, 2) if lat else None,
        "errors": tally.errors,
        "non_acks": tally.non_acks,
        "bad_replies": tally.bad_replies,
        "unanswered": tally.unanswered,
        "connect_errors": tally.connect_errors,
        "sent_measured": tally.sent_measured,
        "acks_total": tally.acks,
    }
    if phase.rate:
        result["offered_per_s"] = round(tally.sent_measured / duration, 1)
        result["rate_achieved"] = len(lat) >= 0.98 * phase.rate * duration
        result["generator_lag_max_ms"] = round(tally.send_lag_max * 1000, 2)
    return result


def median_run(runs: list[dict[str, Any]], phase: Phase) -> dict[str, Any]:
    """The run whose key figure (p99 when paced, throughput otherwise) is the median."""
    key = "p99_ms" if phase.rate else "signals_per_s"
    ordered = sorted(runs, key=lambda r: (r[key] is None, r[key] or 0.0))
    return ordered[(len(ordered) - 1) // 2]


@contextmanager
def targets_up(
    selected: list[str], work: Path, conns: int, profile: Path | None
) -> Iterator[dict[str, dict[str, Any]]]:
    """Start every selected server (all stay up; the runs are interleaved)."""
    accts = accounts(conns)
    up: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        for name in selected:
            if name == "pysiaalarm":
                process, port = start_pysiaalarm(accts, work / "pysiaalarm.log")
                stack.callback(stop_process, process)
                up[name] = {"port": port}
                continue
            if name == "vigie-sqlite":
                url = f"sqlite:///{work / 'bench.db'}"
            else:
                url = stack.enter_context(postgres_database())
            declare(url, *(Transmitter(account=a, label="bench") for a in accts))
            prof = profile / f"{name}.prof" if profile else None
            station = start_vigie(url, work / f"{name}.log", profile=prof)
            stack.callback(station.stop)
            up[name] = {"port": station.dc09_port, "db_url": url, "acks": 0}
        yield up


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    repeats = 1 if quick else args.repeats
    warmup, duration = (0.5, 2.0) if quick else (1.0, args.duration)
    selected = [t for t in TARGETS if not args.only or t.endswith(args.only)]
    phases = [p for p in PHASES if not args.phase or p.name in args.phase]
    conns = max(p.connections for p in phases)
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    checks: dict[str, dict[str, Any]] = {}
    work = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    started = time.monotonic()
    with targets_up(selected, work, conns, args.profile) as up:
        for repeat in range(repeats):
            for phase in phases:
                for name in selected:
                    if phase.vigie_only and name == "pysiaalarm":
                        continue
                    plan = Plan(
                        port=up[name]["port"],
                        accounts=tuple(accounts(phase.connections)),
                        window=phase.window,
                        rate=phase.rate,
                        warmup=warmup,
                        duration=duration,
                        workers=args.workers,
                    )
                    tally = run_plan(plan)
                    result = summarise(tally, duration, phase)
                    runs.setdefault((name, phase.name), []).append(result)
                    if "acks" in up[name]:
                        up[name]["acks"] += tally.acks
                    print(
                        f"  [{repeat + 1}/{repeats}] {name:15} {phase.name:13} "
                        f"{result['signals_per_s']:8.1f}/s p50 {result['p50_ms']} ms "
                        f"p99 {result['p99_ms']} ms max {result['max_ms']} ms "
                        f"errors {result['errors']}",
                        flush=True,
                    )
        for name, info in up.items():
            if "db_url" in info:
                rows, acked = journal_counts(info["db_url"])
                checks[name] = {
                    "journal_rows": rows,
                    "journal_acked_rows": acked,
                    "acks_received": info["acks"],
                    "ok": rows >= info["acks"],
                }
    if not args.profile:  # keep the server logs next to the profiles
        shutil.rmtree(work, ignore_errors=True)
    return build_report(
        runs, checks, phases, selected, args, repeats, warmup, duration, time.monotonic() - started
    )


def build_report(
    runs: dict[tuple[str, str], list[dict[str, Any]]],
    checks: dict[str, Any],
    phases: list[Phase],
    selected: list[str],
    args: argparse.Namespace,
    repeats: int,
    warmup: float,
    duration: float,
    elapsed: float,
) -> dict[str, Any]:
    medians = {
        name: {
            p.name: median_run(runs[(name, p.name)], p) for p in phases if (name, p.name) in runs
        }
        for name in selected
    }
    ratios: dict[str, Any] = {}
    verdict: dict[str, Any] = {}
    base = medians.get("pysiaalarm", {})
    for name in selected:
        if name == "pysiaalarm":
            continue
        mine = medians[name]
        ratios[name] = {
            f"{ph}_{metric}": round(mine[ph][key] / base[ph][key], 2)
            for ph in ("sustained-w1", "paced-1000")
            for metric, key in (("throughput", "signals_per_s"), ("p99", "p99_ms"))
            if ph in mine and ph in base and mine[ph][key] and base[ph][key]
        }
        sustained = max(
            (mine[p]["signals_per_s"] for p in mine if p.startswith("sustained")), default=None
        )
        paced = mine.get("paced-1000")
        verdict[name] = {
            "throughput_signals_per_s": sustained,
            "throughput_pass": sustained is not None and sustained >= TARGET_RATE,
            "p99_at_1000_ms": paced["p99_ms"] if paced else None,
            "p99_pass": bool(
                paced
                and paced["p99_ms"] is not None
                and paced["p99_ms"] < TARGET_P99 * 1000
                and paced["rate_achieved"]
                and paced["errors"] == 0
            ),
            "journal_check_pass": checks.get(name, {}).get("ok"),
        }
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine.describe(),
        "versions": {p: version(p) for p in ("vigie", "pysiaalarm", "sqlalchemy", "psycopg")},
        "settings": {
            "repeats": repeats,
            "warmup_s": warmup,
            "duration_s": duration,
            "generator_processes": args.workers,
            "elapsed_s": round(elapsed, 1),
            "phases": {p.name: p.describe() for p in phases},
            "targets": {"signals_per_s": TARGET_RATE, "p99_ms_at_1000": TARGET_P99 * 1000},
        },
        "median": medians,
        "runs": {f"{n}/{p}": r for (n, p), r in runs.items()},
        "ratios_vigie_over_pysiaalarm": ratios,
        "journal_check": checks,
        "verdict": verdict,
    }


def print_report(report: dict[str, Any]) -> None:
    s = report["settings"]
    print(
        f"\nReceiver benchmark — {report['date']}, {report['machine']['cpus']} CPUs, "
        f"median of {s['repeats']} run(s), {s['duration_s']} s measured after "
        f"{s['warmup_s']} s warm-up, load from {s['generator_processes']} processes"
    )
    for name, desc in s["phases"].items():
        print(f"  {name:13} {desc}")
    head = (
        f"{'target':15} {'mode':13} {'signals/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'errors':>7}"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for name, phases in report["median"].items():
        for phase, r in phases.items():
            extra = ""
            if "offered_per_s" in r:
                met = "met" if r["rate_achieved"] else "MISSED"
                extra = f"  offered {r['offered_per_s']}/s, rate {met}"
            print(
                f"{name:15} {phase:13} {r['signals_per_s']:>10.1f} {r['p50_ms']!s:>8} "
                f"{r['p99_ms']!s:>8} {r['max_ms']!s:>8} {r['errors']:>7}{extra}"
            )
    if report["ratios_vigie_over_pysiaalarm"]:
        print("\nvigie / pysiaalarm (same load, same run):")
        for name, ratios in report["ratios_vigie_over_pysiaalarm"].items():
            print(f"  {name:15} " + "  ".join(f"{k} x{v}" for k, v in ratios.items()))
    if report["journal_check"]:
        print("\njournal check (rows in signals >= ACKs received):")
        for name, c in report["journal_check"].items():
            print(
                f"  {name:15} rows {c['journal_rows']} (ACK rows {c['journal_acked_rows']}) "
                f">= ACKs {c['acks_received']}: {'PASS' if c['ok'] else 'FAIL'}"
            )
    if report["verdict"]:
        print(
            f"\ntargets: >= {TARGET_RATE:.0f} signals/s sustained; "
            f"p99 < {TARGET_P99 * 1000:.0f} ms at {PACED_RATE:.0f} signals/s"
        )
        for name, v in report["verdict"].items():
            print(
                f"  {name:15} throughput {v['throughput_signals_per_s']}/s "
                f"{'PASS' if v['throughput_pass'] else 'FAIL'}; "
                f"p99 {v['p99_at_1000_ms']} ms {'PASS' if v['p99_pass'] else 'FAIL'}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.receiver", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds per target, one run")
    parser.add_argument("--only", choices=("sqlite", "postgres", "pysiaalarm"))
    parser.add_argument("--phase", action="append", choices=[p.name for p in PHASES])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--profile", type=Path, help="profile the Vigie servers into this folder")
    parser.add_argument(
        "--out",
        type=Path,
        help="JSON output (default: results/latest.json "
        "for a full run, results/partial.json otherwise)",
    )
    args = parser.parse_args(argv)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    report = run(args)
    print_report(report)
    full = not (args.quick or args.only or args.phase or args.profile)
    out = args.out or RESULTS / ("latest.json" if full else "partial.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {out}")
    ok = all(
        v["throughput_pass"] and v["p99_pass"] and v["journal_check_pass"] is not False
        for v in report["verdict"].values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
