"""RTSP test server: relays H.264 RTP arriving on local UDP ports to RTSP mounts.

Run with Debian's ``/usr/bin/python3`` (where ``gi`` and GstRtspServer live), never imported by
Vigie: it uses only the standard library and ``gi``. One shared media per mount, bound to
127.0.0.1. RTP + rtpjitterbuffer + in-band SPS/PPS is the variant that survives clients leaving
and coming back (an MPEG-TS relay hung on the second DESCRIBE).

    /usr/bin/python3 gst_rtsp_server.py 8554 cam1=5004 cam2=5006

PORT 0 picks a free port. Prints ``READY <port>`` on stdout once serving. More mounts can be
added while running by writing ``ADD name udp_port`` lines on stdin (answered ``ADDED name``).
Stops on SIGTERM/SIGINT or when stdin closes (the parent died).
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading
from typing import Any

CAPS = "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96"


def _pipeline(udp_port: int) -> str:
    return (
        f'( udpsrc address=127.0.0.1 port={udp_port} buffer-size=4194304 caps="{CAPS}" '
        "! rtpjitterbuffer latency=100 ! rtph264depay ! h264parse config-interval=-1 "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        sys.stderr.write("usage: gst_rtsp_server.py PORT [NAME=UDP_PORT...]\n")
        return 2
    gi: Any = importlib.import_module("gi")
    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    gst: Any = importlib.import_module("gi.repository.Gst")
    rtsp: Any = importlib.import_module("gi.repository.GstRtspServer")
    glib: Any = importlib.import_module("gi.repository.GLib")
    gst.init(None)

    server = rtsp.RTSPServer.new()
    server.set_address("127.0.0.1")
    server.set_service(argv[0])
    mounts = server.get_mount_points()

    def add_mount(name: str, udp_port: int) -> bool:
        factory = rtsp.RTSPMediaFactory.new()
        factory.set_launch(_pipeline(udp_port))
        factory.set_shared(True)
        mounts.add_factory(f"/{name}", factory)
        return False

    for pair in argv[1:]:
        name, _, port = pair.partition("=")
        add_mount(name, int(port))
    if server.attach(None) == 0:
        sys.stderr.write(f"cannot listen on 127.0.0.1:{argv[0]}\n")
        return 1

    loop = glib.MainLoop()

    def quit_loop(*_args: Any) -> bool:
        loop.quit()
        return False

    glib.unix_signal_add(glib.PRIORITY_DEFAULT, signal.SIGTERM, quit_loop, None)
    glib.unix_signal_add(glib.PRIORITY_DEFAULT, signal.SIGINT, quit_loop, None)

    def added(name: str, udp_port: int) -> bool:
        add_mount(name, udp_port)
        sys.stdout.write(f"ADDED {name}\n")
        sys.stdout.flush()
        return False

    def read_commands() -> None:
        # The parent holds our stdin: EOF means it is gone (or closing us), so we stop.
        for line in sys.stdin:
            words = line.split()
            if len(words) == 3 and words[0] == "ADD":
                glib.idle_add(added, words[1], int(words[2]))
            elif words:
                sys.stderr.write(f"unknown command: {line!r}\n")
        glib.idle_add(quit_loop)

    threading.Thread(target=read_commands, daemon=True).start()
    sys.stdout.write(f"READY {server.get_bound_port()}\n")
    sys.stdout.flush()
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
