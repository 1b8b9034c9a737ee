"""Start synthetic cameras for ``make demo`` (or by hand) and print where they are.

    python -m vigie.adapters.video.synthetic.demo --cameras 2 --mjpeg --onvif

Prints one JSON object on stdout once everything serves (``{"cam1": "rtsp://...", ...,
"mjpeg": "http://...", "onvif": "127.0.0.1:port"}``), then runs until SIGINT/SIGTERM or
``--duration`` seconds. Everything binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from contextlib import ExitStack

from vigie.adapters.video.synthetic.mjpeg import MjpegCamera
from vigie.adapters.video.synthetic.onvif_sim import OnvifSimulator
from vigie.adapters.video.synthetic.rtsp import SyntheticRtspServer
from vigie.adapters.video.synthetic.scene import Scene

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Caméras de démonstration (synthétiques)")
    parser.add_argument("--cameras", type=int, default=2, help="RTSP cameras (cam1, cam2...)")
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--mjpeg", action="store_true", help="also one MJPEG camera")
    parser.add_argument("--onvif", action="store_true", help="also an ONVIF PTZ camera (cam1)")
    parser.add_argument("--username", default="admin", help="ONVIF user")
    parser.add_argument("--password", default="admin", help="ONVIF password")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds, 0 = until stopped")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    where: dict[str, str] = {}
    with ExitStack() as stack:
        if args.cameras > 0:
            server = stack.enter_context(SyntheticRtspServer())
            for number in range(1, args.cameras + 1):
                scene = Scene(people=1 + number % 2, seed=number, fps=args.fps)
                where[f"cam{number}"] = server.add(f"cam{number}", scene)
        if args.mjpeg:
            mjpeg = stack.enter_context(MjpegCamera(Scene(people=1, seed=99), fps=10.0))
            where["mjpeg"] = mjpeg.url
        if args.onvif:
            onvif = stack.enter_context(
                OnvifSimulator(
                    username=args.username,
                    password=args.password,
                    rtsp_url=where.get("cam1", "rtsp://127.0.0.1:8554/cam1"),
                )
            )
            where["onvif"] = f"{onvif.host}:{onvif.port}"
        sys.stdout.write(json.dumps(where) + "\n")
        sys.stdout.flush()
        stop.wait(args.duration if args.duration > 0 else None)
    logger.info("synthetic cameras stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
