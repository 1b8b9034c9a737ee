"""Console push latency and queue render time with many open incidents (issue 4).

``python -m bench.console [--quick] [--profile] [--browser-nice N]``

The 10 Chromium pages run on the station's own two cores, at its priority (in a centre
they run on the operators' workstations); ``--browser-nice 10`` starts them with ``nice``
so that they take the CPU from the station less, their own work still measured.

For each size (the baseline, 10 open incidents, then 1,000), on a fresh SQLite station
(``vigie serve`` in its own process, ``bench.servers.start_vigie``) holding the example
register plus synthetic sites (``bench.engine_workload.build_register``):

1. fill: one burglary alarm (``BA``, priority 4) per synthetic site, so each opens its
   own incident; wait until ``/api/v1/incidents`` lists them all;
2. sign in ``CONSOLES`` users (``vigie user add --password-stdin``), each in its own
   Chromium context on ``/console``; wait for ``body[data-live="connected"]``. The server
   render time (``GET /console``, median) and the browser's (navigation to ``load`` and to
   ``data-live=connected``) are measured here;
3. a ``MutationObserver`` on ``#queue-rows`` in every page notes
   ``performance.timeOrigin + performance.now()`` when a row of a site appears for the
   first time (rows carry ``data-site``, and every measured frame has its own site: no
   API polling that would load the server while it is measured);
4. send ``FRAMES`` fire alarms (``FA``, priority 2: they sort above the filler) one at a
   time, ~300 ms apart, each on a new site; the ACK is stamped with ``time.time()``.
   Latency = row seen in the DOM - ACK, for every frame x console. Each page also notes
   how long applying each push to its DOM took and each message's size
   (``window.vigieLive``, kept by ``console.js``);
5. the tail: one more burglary alarm (priority 4, sorting after the whole filler: the
   last row) - is its row shown? - and the row count in each DOM against the database's.

Then the server-side render costs in process (``bench.console_render``: the queue's
read, a cold rendering of every row, the rebuild after one change, the diff).
Ratios are 1,000 against 10 in the same run; the verdict is p99 < 300 ms at 1,000 with
no row missing. Results: ``bench/results/console.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import func, select
from tests.browser.conftest import CARD_EXPIRY, CHROMIUM, CHROMIUM_ARGS, PASSWORD, VIEWPORT, login

from bench import console_render
from bench.engine_latency import percentile
from bench.engine_workload import build_register, fresh_database, synthetic_account
from bench.servers import start_vigie
from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.incident_store import _OPEN
from vigie.adapters.db.incident_tables import incidents as incident_rows
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.register_repository import SqlRegister
from vigie.protocols.dc09 import ReplyKind, encode_frame, parse_reply

RESULTS = Path(__file__).resolve().parent / "results" / "console.json"
TARGET_P99_MS = 300.0
SPACING = 0.3  # s between two measured frames

# Runs in each page: first time (epoch ms) a row of each site is added to #queue-rows,
# and how many pushes (childList mutations) arrived.
OBSERVER_JS = """
() => {
  const box = document.getElementById("queue-rows");
  window.__seen = {};
  window.__pushes = [];
  new MutationObserver((records) => {
    const t = performance.timeOrigin + performance.now();
    let added = 0;
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1 || !n.dataset) continue;
        added++;
        const site = n.dataset.site;
        if (site && !(site in window.__seen)) window.__seen[site] = t;
      }
    }
    if (added) window.__pushes.push(t);
  }).observe(box, { childList: true });
}
"""


# -- the station ---------------------------------------------------------------------------


class Sender:
    """One persistent DC-09 TCP connection; ``send`` returns the ACK's ``time.time()``."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.counter = 0

    def send(self, account: str, code: str, zone: str = "1") -> tuple[float, float]:
        self.counter = self.counter % 9999 + 1
        sequence = f"{self.counter:04d}"
        frame = encode_frame(
            "SIA-DCS",
            sequence=sequence,
            account=account,
            data=f"#{account}|N{code}{zone}",
            timestamp=datetime.now(UTC),
        )
        sent = time.time()
        self.sock.sendall(frame)
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("the receiver closed the connection")
            self.buffer += chunk
        acked = time.time()
        raw, _, self.buffer = self.buffer.partition(b"\r")
        reply = parse_reply(raw + b"\r")
        if reply.kind is not ReplyKind.ACK or reply.sequence != sequence:
            raise RuntimeError(f"no ACK for {account}: {reply}")
        return sent, acked

    def close(self) -> None:
        self.sock.close()


def add_users(db_url: str, names: list[str]) -> None:
    """``vigie user add`` for each operator, side by side."""
    running = []
    for i, name in enumerate(names):
        card = f"CAR-069-2031-01-01-2019{i + 100:07d}"
        args = [sys.executable, "-m", "vigie.entrypoints.cli", "user", "add", name,
                "--role", "operator", "--card", card, "--card-expiry", CARD_EXPIRY,
                "--password-stdin", "--db", db_url]  # fmt: skip
        process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        running.append((name, process))
    for name, process in running:
        output, _ = process.communicate(PASSWORD + "\n", timeout=120)
        if process.returncode != 0:
            raise RuntimeError(f"vigie user add {name}: {output}")


def open_incidents(context: BrowserContext) -> list[dict[str, Any]]:
    response = context.request.get("/api/v1/incidents")
    if not response.ok:
        raise RuntimeError(f"GET /api/v1/incidents: {response.status} {response.text()[:200]}")
    return list(response.json())


def db_open_count(db_url: str) -> int:
    """Open incidents counted in the database."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            query = (
                select(func.count())
                .select_from(incident_rows)
                .where(incident_rows.c.state.in_(list(_OPEN)))
            )
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def wait_incidents(db_url: str, wanted: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = db_open_count(db_url)
        if count >= wanted:
            return count
        time.sleep(0.5)
    raise RuntimeError(f"only {count} open incidents of {wanted} after {timeout:.0f} s")


# -- one size --------------------------------------------------------------------------------


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


def _median(values: list[int]) -> float:
    return statistics.median(values) if values else 0.0


def run_size(
    browser: Browser, incidents: int, consoles: int, frames: int, gets: int, log_dir: Path,
    profile: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    measured_base = incidents  # synthetic sites [0, incidents) are the filler
    probe_site = incidents + frames
    register = build_register(incidents + frames + 1)
    names = [f"op{i:02d}" for i in range(consoles)]
    with fresh_database("sqlite") as url:
        engine = make_engine(url)
        upgrade(engine)
        SqlRegister(engine).replace_all(register, source="bench")
        engine.dispose()
        add_users(url, names)
        station = start_vigie(url, log_dir / f"console-{incidents}.log", profile=profile)
        contexts: list[BrowserContext] = []
        pages: list[Page] = []
        try:
            sender = Sender(station.dc09_port)
            t0 = time.monotonic()
            for i in range(incidents):
                sender.send(synthetic_account(i), "BA")
            fill_send = time.monotonic() - t0

            def new_context() -> BrowserContext:
                context = browser.new_context(
                    base_url=station.http, viewport=VIEWPORT, locale="fr-FR",
                    timezone_id="Europe/Paris",
                )  # fmt: skip
                context.set_default_timeout(60_000)
                contexts.append(context)
                return context

            # first console: sign in, wait for the filler, time GET /console (quiet server)
            first = new_context()
            page = first.new_page()
            login(page, names[0])
            open_count = wait_incidents(url, incidents)
            api_listed = len(open_incidents(first))
            fill_total = time.monotonic() - t0
            server_get: list[float] = []
            size = 0
            for _ in range(gets):
                start = time.perf_counter()
                response = first.request.get("/console")
                server_get.append((time.perf_counter() - start) * 1000)
                size = len(response.body())
            api_get: list[float] = []
            for _ in range(gets):
                start = time.perf_counter()
                first.request.get("/api/v1/incidents")
                api_get.append((time.perf_counter() - start) * 1000)

            # every console: navigation to load, then to data-live=connected
            nav_load: list[float] = []
            nav_live: list[float] = []
            for i, name in enumerate(names):
                if i:
                    page = new_context().new_page()
                    login(page, name)
                start = time.perf_counter()
                page.goto("/console", wait_until="load")
                nav_load.append((time.perf_counter() - start) * 1000)
                page.wait_for_selector('body[data-live="connected"]', state="attached")
                nav_live.append((time.perf_counter() - start) * 1000)
                pages.append(page)
            dom_rows = [p.evaluate("document.querySelectorAll('#queue-rows tr.incident').length")
                        for p in pages]  # fmt: skip
            for p in pages:
                p.evaluate(OBSERVER_JS)
            time.sleep(2.0)  # the pushes while idle (1 s polling)
            idle_pushes = [p.evaluate("window.__pushes.length") for p in pages]
            idle_html = pages[0].evaluate("document.getElementById('queue-rows').innerHTML.length")

            # the measured frames: a fire alarm on a new site each, ~300 ms apart
            acks: dict[str, float] = {}
            ack_ms: list[float] = []
            started = time.time()
            for k in range(frames):
                index = measured_base + k
                site = f"SYN-{index:05d}"
                sent, acked = sender.send(synthetic_account(index), "FA")
                acks[site] = acked
                ack_ms.append((acked - sent) * 1000)
                time.sleep(SPACING)
            deadline = time.monotonic() + 10
            seen: list[dict[str, float]] = []
            while True:
                seen = [p.evaluate("window.__seen") for p in pages]
                if all(all(s in got for s in acks) for got in seen):
                    break
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            elapsed = time.time() - started
            pushes = [p.evaluate("window.__pushes.length") for p in pages]
            latencies = [got[s] - acks[s] * 1000 for got in seen for s in acks if s in got]
            missing = sum(1 for got in seen for s in acks if s not in got)

            # the tail: a priority-4 alarm sorts after the whole filler (the last row)
            probe = f"SYN-{probe_site:05d}"
            _, probe_ack = sender.send(synthetic_account(probe_site), "BA")
            wait_incidents(url, incidents + frames + 1)
            time.sleep(3.0)
            probe_seen = [p.evaluate(f"window.__seen[{json.dumps(probe)}]") for p in pages]
            api_count = len(open_incidents(first))
            db_count = db_open_count(url)
            dom_after = [p.evaluate("document.querySelectorAll('#queue-rows tr.incident').length")
                         for p in pages]  # fmt: skip
            live = [p.evaluate("window.vigieLive") for p in pages]
            sender.close()
        finally:
            for context in contexts:
                context.close()
            station.stop()
    shown = [t for t in probe_seen if t is not None]
    diff_ms = [ms for stats in live for ms in stats["diffMs"]]
    # each measured row: ACK -> the server sent it -> the page got it -> in the DOM
    split: dict[str, list[float]] = {"server": [], "transit": [], "dom": []}
    for stats, got in zip(live, seen, strict=True):
        for site, ack in acks.items():
            if site in stats["sites"] and site in got:
                sent_at, arrived = stats["sites"][site]
                split["server"].append(sent_at - ack * 1000)
                split["transit"].append(arrived - sent_at)
                split["dom"].append(got[site] - arrived)
    # per frame: when (s after the first ACK), the server's part (the first console's
    # message) and the slowest console: a stall shows as one frame late everywhere
    per_frame = []
    for site, ack in acks.items():
        servers = [st["sites"][site][0] - ack * 1000 for st in live if site in st["sites"]]
        totals = [got[site] - ack * 1000 for got in seen if site in got]
        per_frame.append({
            "at_s": round(ack - started, 3),
            "server_ms": round(min(servers), 1) if servers else None,
            "worst_ms": round(max(totals), 1) if totals else None,
        })  # fmt: skip
    snapshot_ms = [ms for stats in live for ms in stats["snapshotMs"]]
    sizes = [n for stats in live for n in stats["sizes"]]
    return {
        "incidents": incidents,
        "open_incidents_db": open_count,
        "open_incidents_api": api_listed,
        "consoles": consoles,
        "frames": frames,
        "fill": {"send_s": fill_send, "to_api_s": fill_total},
        "latency_ms": _ms(latencies),
        "latency_split_ms": {part: _ms(values) for part, values in split.items()},
        "missing_samples": missing,
        "per_frame": per_frame,
        "ack_ms": _ms(ack_ms),
        "pushes_per_console_per_s": statistics.fmean(pushes) / max(elapsed, 1e-9),
        "idle_pushes_per_console_per_s": statistics.fmean(idle_pushes) / 2.0,
        "rows_html_chars": idle_html,
        "server_get_console_ms": _ms(server_get) | {"median": statistics.median(server_get)},
        "server_get_console_bytes": size,
        "api_incidents_ms": _ms(api_get) | {"median": statistics.median(api_get)},
        "browser_load_ms": _ms(nav_load) | {"median": statistics.median(nav_load)},
        "browser_live_ms": _ms(nav_live) | {"median": statistics.median(nav_live)},
        "dom_rows_at_connect": dom_rows,
        "dom_update_ms": {"push": _ms(diff_ms), "snapshot": _ms(snapshot_ms)},
        "message_chars": {"max": max(sizes, default=0), "median": _median(sizes)},
        "tail": {
            "api_open_after_probe": api_count,
            "db_open_after_probe": db_count,
            "dom_rows_after_probe": dom_after,
            "probe_site": probe,
            "probe_shown_in_consoles": len(shown),
            "probe_latency_ms": (min(shown) - probe_ack * 1000) if shown else None,
        },
    }


# -- profile -----------------------------------------------------------------------------------


def profile_summary(prefix: Path, top: int = 14) -> list[str]:
    lines: list[str] = []
    for path in sorted(prefix.parent.glob(prefix.name + ".*")):
        try:
            stats = pstats.Stats(str(path))
        except (OSError, TypeError, EOFError):
            continue
        total = stats.total_tt  # type: ignore[attr-defined]
        if total < 0.5:
            continue
        lines.append(f"-- {path.name}: {total:.1f} s CPU")
        rows = []
        for (file, line, name), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((cum, f"{Path(file).name}:{line}({name})"))
        rows.sort(reverse=True)
        for cum, where in rows[:top]:
            lines.append(f"   {cum:7.2f} s cum  {where}")
    return lines


# -- main -----------------------------------------------------------------------------------------


def _row(name: str, small: float, big: float) -> str:
    ratio = big / small if small else float("nan")
    return f"{name:<44} {small:>10.1f} {big:>10.1f} {ratio:>8.2f}x"


def niced_chromium(folder: Path, nice: int) -> str:
    """Chromium started through ``nice -n NICE`` (a wrapper script in ``folder``)."""
    if nice <= 0:
        return CHROMIUM
    wrapper = folder / "chromium-niced"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {nice} "{CHROMIUM}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 frames, 3 GETs")
    parser.add_argument("--profile", action="store_true", help="cProfile the 1,000 server")
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--consoles", type=int, default=10)
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        help="nice value of the Chromium processes (e.g. 10: below the station)",
    )
    args = parser.parse_args()
    frames, gets = (10, 3) if args.quick else (50, 10)
    log_dir = Path(tempfile.mkdtemp(prefix="vigie-console-bench-"))
    prof = log_dir / "serve.prof" if args.profile else None
    load_before = os.getloadavg()
    with sync_playwright() as driver:
        executable = niced_chromium(log_dir, args.browser_nice)
        browser = driver.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            base = run_size(browser, args.baseline, args.consoles, frames, gets, log_dir)
            big = run_size(
                browser, args.incidents, args.consoles, frames, gets, log_dir, profile=prof
            )
        finally:
            browser.close()
    render = [console_render.measure(n) for n in (args.baseline, args.incidents)]
    lb, lg = base["latency_ms"], big["latency_ms"]
    print(f"\nconsole bench: {args.consoles} consoles, {frames} frames x consoles, "
          f"{SPACING * 1000:.0f} ms apart (logs: {log_dir})")  # fmt: skip
    print(f"{'metric (ms unless said)':<44} {args.baseline:>10} {args.incidents:>10} {'ratio':>9}")
    print(_row("signal ACK -> row in DOM, p50", lb["p50"], lg["p50"]))
    print(_row("signal ACK -> row in DOM, p90", lb["p90"], lg["p90"]))
    print(_row("signal ACK -> row in DOM, p99", lb["p99"], lg["p99"]))
    print(_row("signal ACK -> row in DOM, max", lb["max"], lg["max"]))
    for part in ("server", "transit", "dom"):
        for q in ("p50", "p99"):
            print(_row(f"  of which {part} (ACK->sent->onmessage->DOM), {q}",
                       base["latency_split_ms"][part].get(q, 0.0),
                       big["latency_split_ms"][part].get(q, 0.0)))  # fmt: skip
    print(_row("ACK latency p50", base["ack_ms"]["p50"], big["ack_ms"]["p50"]))
    print(_row("server GET /console, median", base["server_get_console_ms"]["median"],
               big["server_get_console_ms"]["median"]))  # fmt: skip
    print(_row("server GET /api/v1/incidents, median", base["api_incidents_ms"]["median"],
               big["api_incidents_ms"]["median"]))  # fmt: skip
    print(_row("browser goto /console -> load, median", base["browser_load_ms"]["median"],
               big["browser_load_ms"]["median"]))  # fmt: skip
    print(_row("browser goto -> data-live=connected, median", base["browser_live_ms"]["median"],
               big["browser_live_ms"]["median"]))  # fmt: skip
    print(_row("pushes / console / s (idle)", base["idle_pushes_per_console_per_s"],
               big["idle_pushes_per_console_per_s"]))  # fmt: skip
    print(_row("#queue-rows HTML (chars)", base["rows_html_chars"], big["rows_html_chars"]))
    print(_row("message per push, median (chars)", base["message_chars"]["median"],
               big["message_chars"]["median"]))  # fmt: skip
    for what in ("push", "snapshot"):
        for q in ("p50", "p99"):
            print(_row(f"DOM update per {what}, {q}", base["dom_update_ms"][what].get(q, 0.0),
                       big["dom_update_ms"][what].get(q, 0.0)))  # fmt: skip
    for key in ("queue_rows_load_ms", "whole_incidents_load_ms", "cold_ms", "one_change_ms",
                "one_change_whole_read_ms", "diff_ms"):  # fmt: skip
        print(_row(f"server {key.removesuffix('_ms')}", render[0][key], render[1][key]))
    print(f"samples: {lb['n']} / {lg['n']}, missing {base['missing_samples']} / "
          f"{big['missing_samples']}")  # fmt: skip
    for r in (base, big):
        cap = r["tail"]
        print(f"tail @ {r['incidents']}: open in DB {cap['db_open_after_probe']}, API lists "
              f"{cap['api_open_after_probe']}, DOM rows "
              f"{sorted(set(cap['dom_rows_after_probe']))}, low-priority probe shown in "
              f"{cap['probe_shown_in_consoles']}/{r['consoles']} consoles")  # fmt: skip
    ok = big["missing_samples"] == 0 and lg["p99"] < TARGET_P99_MS
    verdict = "PASS" if ok else "FAIL"
    print(f"{verdict}: p99 {lg['p99']:.1f} ms at {args.incidents} incidents "
          f"(target < {TARGET_P99_MS:.0f} ms)")  # fmt: skip
    profile_lines = profile_summary(prof) if prof is not None else []
    for line in profile_lines:
        print(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "bench": "console",
                "when": datetime.now(UTC).isoformat(),
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "load_before": load_before,
                },
                "quick": args.quick,
                "browser_nice": args.browser_nice,
                "target_p99_ms": TARGET_P99_MS,
                "verdict": verdict,
                "baseline": base,
                "measured": big,
                "server_render": render,
                "ratio_p99": lg["p99"] / lb["p99"] if lb.get("p99") else None,
                "ratio_p50": lg["p50"] / lb["p50"] if lb.get("p50") else None,
                "profile": profile_lines,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
