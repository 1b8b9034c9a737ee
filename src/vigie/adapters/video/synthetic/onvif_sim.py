"""An ONVIF camera simulator for tests and the demo: device, media, PTZ and PullPoint events.

No free ONVIF simulator is both installable offline and well-formed (ipycam's PTZ answers break
zeep), so Vigie owns a small one: a stdlib threading HTTP server on 127.0.0.1:<free port>,
fixed SOAP templates, PTZ position and presets kept in memory, and ``push_event`` to make the
camera raise a motion alarm that a PullPoint subscriber will pull.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from xml.etree.ElementTree import ParseError

from vigie.adapters.video.synthetic import onvif_templates as tpl
from vigie.adapters.video.synthetic.onvif_soap import (
    SoapFault,
    SoapRequest,
    check_digest,
    duration_seconds,
    envelope,
    fault,
    parse_request,
)

__all__ = ["OnvifSimulator", "PtzState"]

logger = logging.getLogger(__name__)

MAX_PULL_WAIT = 5.0
AUTHLESS = frozenset({"GetSystemDateAndTime"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _clamp(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


@dataclass
class PtzState:
    """Position in the generic spaces (pan/tilt -1..1, zoom 0..1) and the running move."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    since: float = 0.0
    presets: dict[str, tuple[str, float, float, float]] = field(default_factory=dict)

    def settle(self, now: float) -> None:
        """Fold the running continuous move into the position."""
        vp, vt, vz = self.velocity
        if vp or vt or vz:
            elapsed = now - self.since
            self.pan = _clamp(self.pan + vp * elapsed)
            self.tilt = _clamp(self.tilt + vt * elapsed)
            self.zoom = _clamp(self.zoom + vz * elapsed, 0.0, 1.0)
        self.since = now

    @property
    def moving(self) -> bool:
        return any(self.velocity)


@dataclass
class _Subscription:
    ident: int
    expires: float
    queue: list[str] = field(default_factory=list)


class OnvifSimulator:
    """An ONVIF device on 127.0.0.1:``port``. Context manager.

    ``username``/``password`` None accept any request; otherwise every request but
    GetSystemDateAndTime must carry a valid WS-Security UsernameToken digest.
    """

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        rtsp_url: str = "rtsp://127.0.0.1:8554/cam",
        snapshot_url: str | None = None,
        ptz: bool = True,
        clock: Callable[[], datetime] = _utc_now,
        manufacturer: str = "Vigie",
        model: str = "Synthetic ONVIF camera",
    ) -> None:
        self.username = username
        self.password = password
        self.rtsp_url = rtsp_url
        self.snapshot_url = snapshot_url
        self.has_ptz = ptz
        self.manufacturer = manufacturer
        self.model = model
        self.ptz = PtzState()
        self.requests: list[str] = []
        self._clock = clock
        self._lock = threading.Condition()
        self._subscriptions: dict[int, _Subscription] = {}
        self._ids = itertools.count(1)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.simulator = self
        self.host = "127.0.0.1"
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="onvif-sim", daemon=True
        )
        self._thread.start()
        logger.info("ONVIF simulator on 127.0.0.1:%d", self.port)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- test controls -----------------------------------------------------------------------

    def position(self) -> tuple[float, float, float]:
        with self._lock:
            self.ptz.settle(time.monotonic())
            return self.ptz.pan, self.ptz.tilt, self.ptz.zoom

    def push_event(
        self, topic: str, source_token: str = "VideoSource_1", state: bool = True
    ) -> None:
        """Queue a notification (e.g. ``tns1:VideoSource/MotionAlarm``) for every subscriber."""
        message = tpl.notification(topic, source_token, state, self._clock())
        with self._lock:
            for subscription in self._subscriptions.values():
                subscription.queue.append(message)
            self._lock.notify_all()

    def drop_subscriptions(self) -> int:
        """Forget every PullPoint subscription, as a rebooted camera does; returns how many."""
        with self._lock:
            dropped = len(self._subscriptions)
            self._subscriptions.clear()
            self._lock.notify_all()
        return dropped

    def close(self) -> None:
        with self._lock:
            self._subscriptions.clear()
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)

    def __enter__(self) -> OnvifSimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, path: str, data: bytes) -> tuple[int, bytes]:
        try:
            request = parse_request(data)
        except (ParseError, ValueError) as exc:
            return 400, fault("InvalidArgVal", f"malformed SOAP request: {exc}")
        self.requests.append(request.operation)
        if (
            self.username is not None
            and request.operation not in AUTHLESS
            and not check_digest(request, self.username, self.password or "")
        ):
            logger.info("ONVIF simulator: refused %s (bad credentials)", request.operation)
            return 400, fault("NotAuthorized", "Sender not Authorized")
        handler = getattr(self, f"_op_{request.operation}", None)
        ptz_op = path.startswith("/onvif/ptz")
        if handler is None or (ptz_op and not self.has_ptz):
            return 400, fault("ActionNotSupported", f"{request.operation} not supported")
        body: str = handler(request, path)
        return 200, envelope(body)

    # -- device ------------------------------------------------------------------------------

    def _op_GetSystemDateAndTime(self, _r: SoapRequest, _p: str) -> str:
        return tpl.system_date_and_time(self._clock())

    def _op_GetDeviceInformation(self, _r: SoapRequest, _p: str) -> str:
        return tpl.device_information(self.manufacturer, self.model)

    def _op_GetServices(self, _r: SoapRequest, _p: str) -> str:
        return tpl.services(self.base, self.has_ptz)

    def _op_GetCapabilities(self, _r: SoapRequest, _p: str) -> str:
        return tpl.capabilities(self.base, self.has_ptz)

    # -- media -------------------------------------------------------------------------------

    def _op_GetProfiles(self, _r: SoapRequest, _p: str) -> str:
        return tpl.profiles(self.has_ptz)

    def _op_GetStreamUri(self, _r: SoapRequest, _p: str) -> str:
        return tpl.media_uri("GetStreamUriResponse", self.rtsp_url)

    def _op_GetSnapshotUri(self, _r: SoapRequest, _p: str) -> str:
        uri = self.snapshot_url or f"{self.base}/snapshot.jpg"
        return tpl.media_uri("GetSnapshotUriResponse", uri)

    # -- PTZ ---------------------------------------------------------------------------------

    def _op_GetNodes(self, _r: SoapRequest, _p: str) -> str:
        return tpl.nodes()

    def _op_GetConfigurations(self, _r: SoapRequest, _p: str) -> str:
        return tpl.ptz_configurations()

    def _vector(self, request: SoapRequest, name: str) -> tuple[float, float, float]:
        return (
            float(request.attr(f"{name}/PanTilt", "x", "0") or 0),
            float(request.attr(f"{name}/PanTilt", "y", "0") or 0),
            float(request.attr(f"{name}/Zoom", "x", "0") or 0),
        )

    def _op_ContinuousMove(self, request: SoapRequest, _p: str) -> str:
        velocity = self._vector(request, "Velocity")
        with self._lock:
            self.ptz.settle(time.monotonic())
            self.ptz.velocity = velocity
        return "<tptz:ContinuousMoveResponse/>"

    def _op_Stop(self, _r: SoapRequest, _p: str) -> str:
        with self._lock:
            self.ptz.settle(time.monotonic())
            self.ptz.velocity = (0.0, 0.0, 0.0)
        return "<tptz:StopResponse/>"

    def _op_RelativeMove(self, request: SoapRequest, _p: str) -> str:
        dp, dt, dz = self._vector(request, "Translation")
        with self._lock:
            self._goto(self.ptz.pan + dp, self.ptz.tilt + dt, self.ptz.zoom + dz)
        return "<tptz:RelativeMoveResponse/>"

    def _op_AbsoluteMove(self, request: SoapRequest, _p: str) -> str:
        pan, tilt, zoom = self._vector(request, "Position")
        with self._lock:
            self._goto(pan, tilt, zoom)
        return "<tptz:AbsoluteMoveResponse/>"

    def _op_GotoHomePosition(self, _r: SoapRequest, _p: str) -> str:
        with self._lock:
            self._goto(0.0, 0.0, 0.0)
        return "<tptz:GotoHomePositionResponse/>"

    def _goto(self, pan: float, tilt: float, zoom: float) -> None:
        self.ptz.settle(time.monotonic())
        self.ptz.velocity = (0.0, 0.0, 0.0)
        self.ptz.pan, self.ptz.tilt = _clamp(pan), _clamp(tilt)
        self.ptz.zoom = _clamp(zoom, 0.0, 1.0)

    def _op_GetStatus(self, _r: SoapRequest, _p: str) -> str:
        with self._lock:
            self.ptz.settle(time.monotonic())
            ptz = self.ptz
            return tpl.status(ptz.pan, ptz.tilt, ptz.zoom, ptz.moving, self._clock())

    def _op_GetPresets(self, _r: SoapRequest, _p: str) -> str:
        with self._lock:
            return tpl.presets([(t, *p) for t, p in self.ptz.presets.items()])

    def _op_SetPreset(self, request: SoapRequest, _p: str) -> str:
        name = request.text("PresetName") or "Preset"
        with self._lock:
            self.ptz.settle(time.monotonic())
            token = request.text("PresetToken") or f"Preset_{len(self.ptz.presets) + 1}"
            while token in self.ptz.presets and not request.text("PresetToken"):
                token += "_"
            self.ptz.presets[token] = (name, self.ptz.pan, self.ptz.tilt, self.ptz.zoom)
        return tpl.preset_set(token)

    def _op_GotoPreset(self, request: SoapRequest, _p: str) -> str:
        token = request.text("PresetToken")
        with self._lock:
            if token not in self.ptz.presets:
                return self._no_preset(token)
            _, pan, tilt, zoom = self.ptz.presets[token]
            self._goto(pan, tilt, zoom)
        return "<tptz:GotoPresetResponse/>"

    def _op_RemovePreset(self, request: SoapRequest, _p: str) -> str:
        token = request.text("PresetToken")
        with self._lock:
            if self.ptz.presets.pop(token, None) is None:
                return self._no_preset(token)
        return "<tptz:RemovePresetResponse/>"

    def _no_preset(self, token: str) -> str:
        raise SoapFault("NoToken", f"no such preset: {token}")

    # -- events ------------------------------------------------------------------------------

    def _op_GetEventProperties(self, _r: SoapRequest, _p: str) -> str:
        return tpl.event_properties()

    def _op_CreatePullPointSubscription(self, request: SoapRequest, _p: str) -> str:
        seconds = duration_seconds(request.text("InitialTerminationTime"), 60.0)
        with self._lock:
            ident = next(self._ids)
            self._subscriptions[ident] = _Subscription(ident, time.monotonic() + seconds)
        now = self._clock()
        address = f"{self.base}/onvif/pullpoint/{ident}"
        return tpl.subscription_created(address, now, now + timedelta(seconds=seconds))

    def _subscription(self, path: str) -> _Subscription:
        try:
            ident = int(path.rstrip("/").rsplit("/", 1)[-1])
        except ValueError:
            raise SoapFault("InvalidArgVal", f"not a subscription address: {path}") from None
        subscription = self._subscriptions.get(ident)
        if subscription is None or subscription.expires < time.monotonic():
            self._subscriptions.pop(ident, None)
            raise SoapFault("ResourceUnknownFault", "unknown or expired subscription")
        return subscription

    def _op_PullMessages(self, request: SoapRequest, path: str) -> str:
        wait = min(MAX_PULL_WAIT, duration_seconds(request.text("Timeout"), 1.0))
        limit = int(request.text("MessageLimit") or "100")
        deadline = time.monotonic() + wait
        with self._lock:
            subscription = self._subscription(path)
            while not subscription.queue and subscription.ident in self._subscriptions:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            messages, subscription.queue[:] = subscription.queue[:limit], subscription.queue[limit:]
            expires = subscription.expires
        now = self._clock()
        termination = now + timedelta(seconds=max(0.0, expires - time.monotonic()))
        return tpl.pull_messages(now, termination, messages)

    def _op_Renew(self, request: SoapRequest, path: str) -> str:
        text = request.text("TerminationTime")
        now = self._clock()
        if text.startswith("P"):
            seconds = duration_seconds(text, 60.0)
        else:
            try:
                target = datetime.fromisoformat(text.replace("Z", "+00:00"))
                seconds = max(1.0, (target - now).total_seconds())
            except ValueError:
                seconds = 60.0
        with self._lock:
            self._subscription(path).expires = time.monotonic() + seconds
        return tpl.renewed(now, now + timedelta(seconds=seconds))

    def _op_Unsubscribe(self, _r: SoapRequest, path: str) -> str:
        with self._lock:
            self._subscriptions.pop(self._subscription(path).ident, None)
            self._lock.notify_all()
        return "<wsnt:UnsubscribeResponse/>"

    def _op_SetSynchronizationPoint(self, _r: SoapRequest, _p: str) -> str:
        return "<tev:SetSynchronizationPointResponse/>"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: OnvifSimulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        try:
            status, body = self.server.simulator.handle(self.path, data)
        except SoapFault as exc:
            status, body = 400, fault(exc.subcode, exc.reason)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # a client gave up a long PullMessages
            logger.debug("onvif %s: client gone before the answer", self.address_string())

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("onvif %s " + format, self.address_string(), *args)
