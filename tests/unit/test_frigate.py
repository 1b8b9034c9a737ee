"""Frigate's MQTT payloads (shaped as Frigate 0.13-0.17 publishes them) to video events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigie.adapters.mqtt_frigate import FrigateMqtt
from vigie.domain.signals import StoredSignal
from vigie.domain.video import Camera, VideoCode, VideoEvent, VideoSource
from vigie.protocols.frigate import FrigateDecoder, FrigateError
from vigie.services.video_signals import from_frigate

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
CAM = Camera(
    id="CAM-ENTREE", site_id="S1", name="Entrée", main_url="rtsp://h/e", frigate_name="front_door"
)


def tracked(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "1607123955.475377-mxklsc",
        "camera": "front_door",
        "frame_time": 1607123961.837752,
        "snapshot": {"frame_time": 1607123965.975463, "box": [415, 489, 528, 700], "score": 0.77},
        "label": "person",
        "sub_label": None,
        "top_score": 0.958984375,
        "false_positive": False,
        "start_time": 1607123955.475377,
        "end_time": None,
        "score": 0.7890625,
        "box": [424, 500, 536, 712],
        "area": 23744,
        "ratio": 2.113207,
        "region": [264, 450, 667, 853],
        "current_zones": ["driveway"],
        "entered_zones": ["yard", "driveway"],
        "thumbnail": None,
        "has_snapshot": True,
        "has_clip": True,
        "active": True,
        "stationary": False,
        "motionless_count": 0,
        "position_changes": 2,
        "attributes": {},
    }
    obj.update(changes)
    return obj


def message(kind: str, after: dict[str, Any], before: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"type": kind, "before": before or after, "after": after}).encode()


def review(kind: str, severity: str = "alert", **changes: Any) -> bytes:
    after: dict[str, Any] = {
        "id": "1718987129.308396-fqk5ka",
        "camera": "front_door",
        "start_time": 1718987129.308396,
        "end_time": None,
        "severity": severity,
        "thumb_path": "/media/frigate/clips/review/thumb-front_door-1718987129.308396-fqk5ka.webp",
        "data": {
            "detections": ["1718987128.947436-g92ztx", "1718987148.879516-d7oq7r"],
            "objects": ["car", "person-verified"],
            "sub_labels": [],
            "zones": ["driveway"],
            "audio": [],
        },
    }
    after.update(changes)
    return json.dumps({"type": kind, "before": after, "after": after}).encode()


def test_new_raises_once_updates_are_quiet_and_end_restores() -> None:
    decoder = FrigateDecoder()
    (raised,) = decoder.feed("events", message("new", tracked()))
    assert (raised.id, raised.camera, raised.label, raised.restore) == (
        "1607123955.475377-mxklsc", "front_door", "person", False,
    )  # fmt: skip
    assert raised.score == pytest.approx(0.958984375) and raised.zones == ("yard", "driveway")
    assert raised.has_snapshot and raised.has_clip and raised.time == 1607123955.475377
    assert decoder.feed("events", message("update", tracked(score=0.9))) == []
    (ended,) = decoder.feed("events", message("end", tracked(end_time=1607123999.5)))
    assert ended.restore and ended.time == 1607123999.5
    # A redelivered end is read as "never seen": raise + restore, both stored as duplicates
    # of the first ones by the journal (same NVR id, same dedup key).
    again = decoder.feed("events", message("end", tracked(end_time=1607123999.5)))
    assert [d.restore for d in again] == [False, True]


def test_a_false_positive_raises_at_its_first_true_update_only() -> None:
    decoder = FrigateDecoder()
    assert decoder.feed("events", message("new", tracked(false_positive=True))) == []
    assert decoder.feed("events", message("update", tracked(false_positive=True))) == []
    (raised,) = decoder.feed("events", message("update", tracked()))
    assert not raised.restore
    assert decoder.feed("events", message("update", tracked())) == []


def test_a_false_positive_that_ends_raises_nothing() -> None:
    decoder = FrigateDecoder()
    decoder.feed("events", message("new", tracked(false_positive=True)))
    assert decoder.feed("events", message("end", tracked(false_positive=True))) == []


def test_an_end_never_seen_raises_and_restores_so_nothing_is_missed() -> None:
    decoder = FrigateDecoder()
    out = decoder.feed("events", message("end", tracked(end_time=1607124000.0)))
    assert [d.restore for d in out] == [False, True]


def test_reviews_raise_on_alerts_only_and_a_detection_upgraded_to_an_alert_raises() -> None:
    decoder = FrigateDecoder()
    assert decoder.feed("reviews", review("new", "detection")) == []
    (raised,) = decoder.feed("reviews", review("update", "alert"))
    assert (raised.label, raised.labels) == ("person", ("car", "person"))
    assert raised.media_id == "1718987128.947436-g92ztx" and raised.zones == ("driveway",)
    assert decoder.feed("reviews", review("update", "alert")) == []
    (ended,) = decoder.feed("reviews", review("end", "alert", end_time=1718987200.0))
    assert ended.restore
    assert decoder.feed("reviews", review("end", "detection", id="other")) == []


@pytest.mark.parametrize(
    ("topic", "payload", "says"),
    [
        ("events", b"{not json", "not JSON"),
        ("events", b"\xff\xfe", "not JSON"),
        ("events", b"[1, 2]", "JSON object"),
        ("events", b'{"type": "new"}', "after"),
        ("events", b'{"type": "delete", "after": {}}', "type"),
        ("events", message("new", tracked(camera="")), "camera"),
        ("events", message("new", tracked(id=12)), "id"),
        ("events", message("new", tracked(top_score="high")), "top_score"),
        ("reviews", review("new", data=[1]), "data"),
        ("stats", b"{}", "topic"),
    ],
)
def test_malformed_messages_are_refused_with_a_reason(
    topic: str, payload: bytes, says: str
) -> None:
    with pytest.raises(FrigateError, match=says):
        FrigateDecoder().feed(topic, payload)


@given(st.binary(max_size=300))
def test_any_bytes_give_detections_or_a_frigate_error(payload: bytes) -> None:
    with contextlib.suppress(FrigateError):
        FrigateDecoder().feed("events", payload)


_SCALARS = st.none() | st.booleans() | st.floats() | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_JSON)
def test_any_json_after_gives_detections_or_a_frigate_error(after: object) -> None:
    for topic in ("events", "reviews"):
        for kind in ("new", "end"):
            payload = json.dumps({"type": kind, "after": after}).encode()
            with contextlib.suppress(FrigateError):
                FrigateDecoder().feed(topic, payload)


def test_a_detection_maps_to_a_video_event_with_frigates_api_urls() -> None:
    (d,) = FrigateDecoder().feed("events", message("new", tracked()))
    ev = from_frigate(d, CAM, "http://frigate.local:5000/", NOW)
    assert (ev.camera_id, ev.code, ev.source, ev.restore) == (
        "CAM-ENTREE", VideoCode.PERSON, VideoSource.FRIGATE, False,
    )  # fmt: skip
    assert ev.at == datetime.fromtimestamp(1607123955.475377, UTC)
    assert ev.external_id == "1607123955.475377-mxklsc"
    base = "http://frigate.local:5000/api/events/1607123955.475377-mxklsc"
    assert (ev.snapshot_url, ev.clip_url) == (f"{base}/snapshot.jpg", f"{base}/clip.mp4")
    assert "person" in ev.detail and "96%" in ev.detail and "driveway" in ev.detail
    (car,) = FrigateDecoder().feed("events", message("new", tracked(label="car", id="c1")))
    unknown = from_frigate(car, None, "", NOW)
    assert (unknown.camera_id, unknown.code, unknown.snapshot_url) == (
        "front_door", VideoCode.OBJECT, "",
    )  # fmt: skip


class FakeSignals:
    def __init__(self) -> None:
        self.events: list[VideoEvent] = []

    async def receive(self, event: VideoEvent) -> StoredSignal:
        self.events.append(event)
        return StoredSignal(len(self.events))

    def resolve_camera(self, name: str) -> Camera | None:
        return CAM if name in ("front_door", CAM.id) else None


def test_the_subscriber_logs_bad_messages_with_their_topic_and_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    signals = FakeSignals()
    mqtt = FrigateMqtt(signals, lambda: NOW, topic_prefix="site7/frigate")

    async def run() -> None:
        with caplog.at_level(logging.WARNING, logger="vigie.adapters.mqtt_frigate"):
            assert await mqtt.handle("site7/frigate/events", b"{oops") == []
            assert await mqtt.handle("site7/frigate/events", message("new", tracked())) != []
            await mqtt.handle(
                "site7/frigate/events", message("new", tracked(camera="garage", id="g1"))
            )

    asyncio.run(run())
    assert "site7/frigate/events" in caplog.text and "not JSON" in caplog.text
    assert "'garage' is not in the camera register" in caplog.text
    assert [e.camera_id for e in signals.events] == ["CAM-ENTREE", "garage"]
    assert (mqtt.received, mqtt.rejected) == (3, 1)


def test_the_broker_url_gives_host_port_and_credentials() -> None:
    mqtt = FrigateMqtt.from_url("mqtt://vigie:s%40cret@10.0.0.9:1884", FakeSignals(), lambda: NOW)
    assert (mqtt._host, mqtt._port, mqtt._username, mqtt._password) == (
        "10.0.0.9", 1884, "vigie", "s@cret",
    )  # fmt: skip
    with pytest.raises(ValueError, match="mqtt_url"):
        FrigateMqtt.from_url("http://x", FakeSignals(), lambda: NOW)
