"""The ONVIF events adapter without a camera: SOAP client objects to notifications, events to
the station's video events, camera addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from vigie.adapters.video.onvif_events import (
    OnvifEventSubscriber,
    PullPointTiming,
    from_zeep,
    video_event,
)
from vigie.domain.video import Camera, VideoCode, VideoEvent, VideoSource
from vigie.protocols.onvif_events import OnvifEvent, OnvifEventDecoder

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)


def zeep_message(topic: str, state: str, operation: str = "Changed") -> Any:
    """Shaped like onvif-zeep-async's objects for one NotificationMessage."""
    item = SimpleNamespace
    body = SimpleNamespace(
        Source=SimpleNamespace(SimpleItem=[item(Name="VideoSourceConfigurationToken",
                                                Value="VideoSource_1")]),
        Data=SimpleNamespace(SimpleItem=[item(Name="State", Value=state)]),
        UtcTime=NOW - timedelta(seconds=2),
        PropertyOperation=operation,
    )  # fmt: skip
    return SimpleNamespace(
        Topic=SimpleNamespace(_value_1=topic), Message=SimpleNamespace(_value_1=body)
    )


def test_zeep_objects_become_notifications() -> None:
    made = from_zeep(zeep_message("tns1:VideoSource/MotionAlarm", "true"))
    assert made.topic == "tns1:VideoSource/MotionAlarm"
    assert made.utc_time == NOW - timedelta(seconds=2)
    assert made.operation == "Changed"
    assert made.source == (("VideoSourceConfigurationToken", "VideoSource_1"),)
    assert made.data == (("State", "true"),)
    [event] = OnvifEventDecoder().feed(made)
    assert (event.code, event.restore) == ("MOTION", False)


def test_an_unmapped_message_element_is_read_as_xml() -> None:
    element = etree.fromstring(
        b'<tt:Message xmlns:tt="http://www.onvif.org/ver10/schema" UtcTime="2026-11-28T21:59:58Z"'
        b' PropertyOperation="Initialized"><tt:Source/><tt:Data>'
        b'<tt:SimpleItem Name="IsTamper" Value="true"/></tt:Data></tt:Message>'
    )
    message = SimpleNamespace(
        Topic=SimpleNamespace(_value_1="tns1:RuleEngine/TamperDetector/Tamper"),
        Message=SimpleNamespace(_value_1=element),
    )
    made = from_zeep(message)
    assert made.operation == "Initialized" and made.data == (("IsTamper", "true"),)
    assert OnvifEventDecoder().feed(made)[0].code == "MOVED"


def test_a_message_without_body_keeps_its_topic() -> None:
    message = SimpleNamespace(Topic=SimpleNamespace(_value_1="tns1:Monitoring/ProcessorUsage"),
                              Message=None)  # fmt: skip
    assert from_zeep(message).topic == "tns1:Monitoring/ProcessorUsage"


def test_video_event_keeps_the_camera_time_unless_its_clock_is_off() -> None:
    event = OnvifEvent("MOTION", True, NOW - timedelta(seconds=3), "VideoSource/MotionAlarm",
                       "VideoSourceConfigurationToken=VideoSource_1")  # fmt: skip
    made = video_event("CAM-QUAI", event, NOW, max_skew=30)
    assert made == VideoEvent(
        camera_id="CAM-QUAI",
        code=VideoCode.MOTION,
        at=NOW - timedelta(seconds=3),
        source=VideoSource.ONVIF,
        restore=True,
        detail="ONVIF : VideoSource/MotionAlarm (VideoSourceConfigurationToken=VideoSource_1)",
    )
    skewed = OnvifEvent("BLUR", False, NOW - timedelta(hours=5), "VideoSource/ImageTooBlurry", "")
    assert video_event("CAM-QUAI", skewed, NOW, max_skew=30).at == NOW
    untimed = OnvifEvent("BLUR", False, None, "VideoSource/ImageTooBlurry", "")
    assert video_event("CAM-QUAI", untimed, NOW, max_skew=30).at == NOW


async def _ignore(event: VideoEvent) -> None:
    return None


def camera(onvif_url: str, **changes: Any) -> Camera:
    return Camera(id="CAM-QUAI", site_id="S1", name="Quai", main_url="rtsp://10.0.0.9/live",
                  onvif_url=onvif_url, **changes)  # fmt: skip


def test_subscriber_address_from_the_camera() -> None:
    plain = OnvifEventSubscriber.for_camera(
        camera("http://10.0.0.9:8080/onvif/device_service", username="admin", password="s3cret"),
        _ignore,
        lambda: NOW,
    )
    assert (plain.host, plain.port) == ("10.0.0.9", 8080)
    assert "s3cret" not in repr(plain)
    secure = OnvifEventSubscriber.for_camera(camera("https://cam.example/onvif"), _ignore,
                                             lambda: NOW)  # fmt: skip
    assert (secure.host, secure.port) == ("https://cam.example", 443)
    default = OnvifEventSubscriber.for_camera(camera("http://10.0.0.9/onvif"), _ignore, lambda: NOW)
    assert default.port == 80
    with pytest.raises(ValueError, match="onvif_url"):
        OnvifEventSubscriber.for_camera(camera("rtsp://10.0.0.9/"), _ignore, lambda: NOW)


def test_timing_is_checked() -> None:
    with pytest.raises(ValueError, match="backoff"):
        PullPointTiming(backoff=(5.0, 1.0))
    with pytest.raises(ValueError, match="lifetime"):
        PullPointTiming(lifetime=0.5)
