"""The demo's cameras: synthetic streams on loopback standing in for the register's cameras.

A real RTSP server (Debian's GStreamer RTSP server) serves scenes drawn here; one camera is
MJPEG over HTTP; one has an ONVIF PTZ head (our simulator). Most of the time the scenes
are empty streets; now and then someone walks through (a video alarm), and four cameras
take turns at failing — frozen, black, blurred, knocked — then recover, so the wall and
the queue show what a real centre sees. Cameras without a synthetic stream are disabled.
"""

from __future__ import annotations

import logging
import random
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field, replace

from vigie.adapters.db.camera_store import CameraStore
from vigie.adapters.video.synthetic.mjpeg import MjpegCamera
from vigie.adapters.video.synthetic.onvif_sim import OnvifSimulator
from vigie.adapters.video.synthetic.rtsp import SyntheticRtspServer, gst_rtsp_available
from vigie.adapters.video.synthetic.scene import Mode, Scene
from vigie.domain.video import StreamKind

__all__ = ["DEMO_STREAMS", "DemoCameras", "start_demo_cameras"]

log = logging.getLogger(__name__)

ONVIF_USER = "admin"
ONVIF_PASSWORD = "vigie-demo-onvif"

# camera id -> (mount, seed, people's walking region, the fault it shows now and then)
DEMO_STREAMS: dict[str, tuple[str, int, tuple[float, float, float, float], Mode | None]] = {
    "CAM-BIJOU-1": ("sas", 1, (0.1, 0.35, 0.6, 0.95), None),
    "CAM-BANQUE-1": ("hall", 2, (0.1, 0.35, 0.9, 0.95), None),
    "CAM-ENTREPOT-1": ("quais", 3, (0.2, 0.4, 0.9, 0.95), None),
    "CAM-ENTREPOT-3": ("cloture", 4, (0.3, 0.3, 0.7, 0.95), None),
    "CAM-SUPER-1": ("entree", 5, (0.1, 0.35, 0.9, 0.95), Mode.FROZEN),
    "CAM-GARAGE-3": ("barriere", 6, (0.1, 0.35, 0.9, 0.95), Mode.BLACK),
    "CAM-ECOLE-1": ("informatique", 7, (0.1, 0.35, 0.9, 0.95), Mode.BLUR),
    "CAM-MAIRIE-1": ("accueil", 8, (0.1, 0.35, 0.9, 0.95), Mode.MOVED),
}
MJPEG_CAMERA = "CAM-PHARMA-1"
PTZ_CAMERA = "CAM-BIJOU-1"


@dataclass
class DemoCameras:
    urls: dict[str, str]
    stop: threading.Event = field(default_factory=threading.Event)
    resources: ExitStack = field(default_factory=ExitStack)
    threads: list[threading.Thread] = field(default_factory=list)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=2)
        self.resources.close()


def _life(scene: Scene, fault: Mode | None, stop: threading.Event, seed: int) -> None:
    """Someone walks through every few minutes; a faulty camera fails for a while."""
    chooser = random.Random(seed)
    stop.wait(chooser.uniform(20, 90))
    while not stop.is_set():
        if fault is not None and chooser.random() < 0.5:
            scene.mode = fault
            stop.wait(chooser.uniform(30, 60))
        else:
            scene.mode = Mode.NORMAL
            stop.wait(chooser.uniform(6, 14))
        scene.mode = Mode.NOBODY
        stop.wait(chooser.uniform(90, 240))


def start_demo_cameras(store: CameraStore, *, fps: float = 6.0) -> DemoCameras:
    """Serve the synthetic streams and point the register's cameras at them."""
    demo = DemoCameras(urls={})
    scenes: dict[str, tuple[Scene, Mode | None, int]] = {}
    if gst_rtsp_available():
        server = demo.resources.enter_context(SyntheticRtspServer(max_kbps=500))
        for camera_id, (mount, seed, region, fault) in DEMO_STREAMS.items():
            scene = Scene(fps=fps, seed=seed, walk_region=region, mode=Mode.NOBODY)
            demo.urls[camera_id] = server.add(mount, scene)
            scenes[camera_id] = (scene, fault, seed)
    else:
        log.warning(
            "GStreamer's RTSP server is missing (apt install gir1.2-gst-rtsp-server-1.0 "
            "python3-gi gstreamer1.0-plugins-good gstreamer1.0-plugins-bad): demo RTSP "
            "cameras are disabled"
        )
    pharmacy = Scene(fps=fps, seed=9, mode=Mode.NOBODY)
    mjpeg = demo.resources.enter_context(MjpegCamera(pharmacy, fps=fps))
    demo.urls[MJPEG_CAMERA] = mjpeg.url
    scenes[MJPEG_CAMERA] = (pharmacy, None, 9)
    onvif = None
    if PTZ_CAMERA in demo.urls:
        onvif = demo.resources.enter_context(
            OnvifSimulator(
                username=ONVIF_USER, password=ONVIF_PASSWORD, rtsp_url=demo.urls[PTZ_CAMERA]
            )
        )
    for camera in store.cameras():
        url = demo.urls.get(camera.id)
        if url is None:
            if camera.enabled:
                store.save(replace(camera, enabled=False))
            continue
        changed = replace(
            camera,
            kind=StreamKind.MJPEG if camera.id == MJPEG_CAMERA else StreamKind.RTSP,
            main_url=url,
            sub_url="",
            enabled=True,
        )
        if onvif is not None and camera.id == PTZ_CAMERA:
            changed = replace(
                changed,
                onvif_url=f"http://127.0.0.1:{onvif.port}/onvif/device_service",
                username=ONVIF_USER,
                password=ONVIF_PASSWORD,
            )
        if changed != camera:
            store.save(changed)
    for camera_id, (scene, fault, seed) in scenes.items():
        thread = threading.Thread(
            target=_life, args=(scene, fault, demo.stop, seed), name=f"demo-{camera_id}"
        )
        thread.daemon = True
        thread.start()
        demo.threads.append(thread)
    return demo
