"""Cameras and what is learnt from their images: the video side of the register.

A camera belongs to a site and may be linked to zones of that site (``Zone.cameras``
holds camera ids). Geometry is in *normalised* coordinates (0..1 of the width and height)
so a rule drawn on the main stream holds on the sub stream. Retention can never exceed
30 days (CSI L252-5: images are destroyed within at most one month).

Video events (a rule that fired, a health fault and its restore, an NVR's event) become
signals in the same journal as panel frames: ``VideoEvent`` is what a camera worker or an
outside source (Frigate over MQTT, a webhook, ONVIF events) hands to the station.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from vigie.domain.errors import InvalidValue

__all__ = [
    "HEALTH_CODES",
    "MAX_RETENTION_DAYS",
    "Camera",
    "CameraHealth",
    "LineRule",
    "Point",
    "Polygon",
    "RuleSchedule",
    "Segment",
    "StreamKind",
    "VideoCode",
    "VideoEvent",
    "VideoSource",
    "ZoneRule",
]

MAX_RETENTION_DAYS = 30

Point = tuple[float, float]  # (x, y), each 0..1
Polygon = tuple[Point, ...]


class StreamKind(StrEnum):
    RTSP = "rtsp"  # H.264 over RTSP (TCP)
    MJPEG = "mjpeg"  # multipart JPEG over HTTP


class VideoCode(StrEnum):
    """What a video event reports. Analytics are alarms; health codes are faults."""

    MOTION = "MOTION"
    PERSON = "PERSON"
    INTRUSION = "INTRUSION"  # a person/motion inside a zone rule while it is active
    LINE_CROSSING = "LINE"
    OBJECT = "OBJECT"  # an NVR's detection of another label (car, animal...)
    VIDEO_LOSS = "VIDEO_LOSS"
    FROZEN = "FROZEN"
    BLACK = "BLACK"
    BLINDED = "BLINDED"  # saturated / dazzled
    BLUR = "BLUR"  # defocused
    MOVED = "MOVED"  # scene changed against the reference: moved or masked

    @property
    def health(self) -> bool:
        return self in HEALTH_CODES


HEALTH_CODES = frozenset(
    {
        VideoCode.VIDEO_LOSS,
        VideoCode.FROZEN,
        VideoCode.BLACK,
        VideoCode.BLINDED,
        VideoCode.BLUR,
        VideoCode.MOVED,
    }
)


class VideoSource(StrEnum):
    ANALYTICS = "analytics"  # our own camera worker
    FRIGATE = "frigate"  # MQTT frigate/events or frigate/reviews
    WEBHOOK = "webhook"
    ONVIF = "onvif"


class CameraHealth(StrEnum):
    """The state shown on a wall tile."""

    OK = "ok"
    STARTING = "starting"
    RECONNECTING = "reconnecting"  # lost, not yet for long enough to raise VIDEO_LOSS
    FAULT = "fault"  # a health code is active
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class RuleSchedule:
    """When a rule is armed, in the site's time zone. ``start > end`` spans midnight."""

    start: time
    end: time
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0

    def active(self, local: datetime) -> bool:
        if local.weekday() not in self.weekdays and not (
            self.start > self.end and local.time() < self.end
        ):
            return False
        now = local.time()
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end


@dataclass(frozen=True, slots=True)
class ZoneRule:
    """Motion (and, if ``person`` is set, a person) inside ``polygon`` raises an alarm."""

    name: str
    polygon: Polygon
    min_area: float = 0.005  # fraction of the frame a moving blob must cover
    min_duration: float = 1.0  # seconds the motion must last
    person: bool = False  # require a detected person, not only motion
    schedules: tuple[RuleSchedule, ...] = ()  # none = always armed

    def __post_init__(self) -> None:
        _polygon("polygon", self.polygon)


@dataclass(frozen=True, slots=True)
class LineRule:
    """Something crossing the line from ``a`` to ``b`` raises an alarm.

    ``direction``: "both", "left_to_right" or "right_to_left" seen from ``a`` towards ``b``.
    """

    name: str
    a: Point
    b: Point
    direction: str = "both"
    schedules: tuple[RuleSchedule, ...] = ()

    def __post_init__(self) -> None:
        _polygon("line", (self.a, self.b), minimum=2)
        if self.direction not in ("both", "left_to_right", "right_to_left"):
            raise InvalidValue("direction", "both, left_to_right or right_to_left")


@dataclass(frozen=True, slots=True)
class Camera:
    id: str
    site_id: str
    name: str
    kind: StreamKind = StreamKind.RTSP
    main_url: str = ""
    sub_url: str = ""  # analysed stream; the main one when empty
    username: str = ""
    password: str = ""  # clear in memory only; stored encrypted
    onvif_url: str = ""  # http://host:port/onvif/device_service
    zones: tuple[str, ...] = ()  # zone numbers of the site this camera looks at
    analysis_fps: float = 5.0
    keyframes_only: bool = False  # supervision only: decode I-frames
    retention_days: int = MAX_RETENTION_DAYS
    privacy_masks: tuple[Polygon, ...] = ()  # burned into what is shown and exported
    osd_masks: tuple[Polygon, ...] = ()  # clock / text overlays ignored by health checks
    motion_masks: tuple[Polygon, ...] = ()  # ignored by motion (trees, road...)
    zone_rules: tuple[ZoneRule, ...] = ()
    line_rules: tuple[LineRule, ...] = ()
    person_detection: bool = False
    frigate_name: str = ""  # the camera's name in an NVR sending events
    pre_alarm_seconds: int = 10
    post_alarm_seconds: int = 10
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise InvalidValue("id", "a non-empty identifier")
        if not self.site_id.strip():
            raise InvalidValue("site_id", "a site identifier")
        if not self.name.strip():
            raise InvalidValue("name", "a name")
        if not (self.main_url or self.sub_url):
            raise InvalidValue("main_url", "an rtsp:// or http:// address")
        for field_name, url in (("main_url", self.main_url), ("sub_url", self.sub_url)):
            if url and not url.startswith(("rtsp://", "rtsps://", "http://", "https://")):
                raise InvalidValue(field_name, "an rtsp:// or http:// address")
        if not 0.1 <= self.analysis_fps <= 30:
            raise InvalidValue("analysis_fps", "0.1 to 30 frames per second")
        if not 1 <= self.retention_days <= MAX_RETENTION_DAYS:
            raise InvalidValue("retention_days", f"1 to {MAX_RETENTION_DAYS} days (CSI L252-5)")
        if not 0 <= self.pre_alarm_seconds <= 60:
            raise InvalidValue("pre_alarm_seconds", "0 to 60 seconds")
        if not 0 <= self.post_alarm_seconds <= 120:
            raise InvalidValue("post_alarm_seconds", "0 to 120 seconds")
        for name, polygons in (
            ("privacy_masks", self.privacy_masks),
            ("osd_masks", self.osd_masks),
            ("motion_masks", self.motion_masks),
        ):
            for polygon in polygons:
                _polygon(name, polygon)

    @property
    def analysis_url(self) -> str:
        return self.sub_url or self.main_url

    @property
    def record_url(self) -> str:
        return self.main_url or self.sub_url


@dataclass(frozen=True, slots=True)
class VideoEvent:
    """One thing a video source reports; becomes a signal in the journal."""

    camera_id: str
    code: VideoCode
    at: datetime  # UTC
    source: VideoSource = VideoSource.ANALYTICS
    restore: bool = False
    detail: str = ""  # rule name, label, score... (shown to the operator)
    score: float | None = None
    snapshot_jpeg: bytes | None = None  # privacy masks already burned in
    snapshot_url: str = ""  # an NVR's own snapshot / clip
    clip_url: str = ""
    external_id: str = ""  # the NVR's event id: a repeated message is the same event


@dataclass(frozen=True, slots=True)
class Segment:
    """One recorded file of a camera, written without re-encoding."""

    camera_id: str
    start: datetime  # UTC, first packet
    end: datetime  # UTC, last packet
    path: str
    size: int
    id: int | None = None


def _polygon(name: str, points: tuple[Point, ...], minimum: int = 3) -> None:
    if len(points) < minimum:
        raise InvalidValue(name, f"at least {minimum} points")
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise InvalidValue(name, "points with x and y between 0 and 1")
