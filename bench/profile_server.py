"""Run ``vigie`` under cProfile on every thread (CPU time); write the stats at exit.

``python -O -m bench.profile_server OUT.prof serve ...`` — the event loop thread and the
journal writer thread are profiled separately (``OUT.prof.<thread name>``), with
``time.thread_time`` so a thread waiting for the GIL or for fsync is not charged.
"""

from __future__ import annotations

import cProfile
import signal
import sys
import threading
import time

from vigie.entrypoints.cli import app


def main() -> None:
    out = sys.argv[1]
    original_run = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        try:
            original_run(self)
        finally:
            profiler.disable()
            profiler.dump_stats(f"{out}.{self.name}")

    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    # uvicorn re-raises the SIGTERM it caught once it has shut down: make that an exit
    # that unwinds (and dumps the statistics) rather than the default instant death.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    try:
        app(sys.argv[2:], standalone_mode=False)
    finally:
        profiler.disable()
        profiler.dump_stats(f"{out}.main")


if __name__ == "__main__":
    main()
