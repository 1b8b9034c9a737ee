"""Frigate NVR's MQTT messages, sans-IO: topic and payload bytes in, detections out.

Two topics (under Frigate's ``topic_prefix``, "frigate" by default):

* ``events``: one tracked object, ``{"type": "new" | "update" | "end", "before": {...},
  "after": {id, camera, label, score, top_score, current_zones / entered_zones,
  has_snapshot, has_clip, start_time, end_time, false_positive}}``. Frigate publishes
  "new" once the object is no longer a false positive, then "update"s (better snapshot,
  zone change), then "end".
* ``reviews`` (Frigate 0.14+): one review item grouping objects, ``after: {id, camera,
  severity: "alert" | "detection", start_time, end_time, data: {objects, zones,
  detections}}``. Only an *alert* is an alarm; a detection that becomes one raises then.

The decoder remembers which ids raised (bounded), so an item raises once: on "new", or on
the first "update" that is a true positive (an alert); "end" restores it. An "end" for an
id never seen (the subscriber was down) yields a raise and its restore: the journal then
keeps the raise as a duplicate if it had been stored before. Imports nothing from vigie.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["FrigateDecoder", "FrigateDetection", "FrigateError", "api_paths"]

MAX_PAYLOAD = 256 * 1024


class FrigateError(ValueError):
    """A message that is not a Frigate event or review (the text says what is wrong)."""


@dataclass(frozen=True, slots=True)
class FrigateDetection:
    """One raise (``restore`` False) or end of a Frigate event or review."""

    topic: str  # "events" or "reviews"
    id: str
    camera: str  # Frigate's camera name
    label: str  # "person", "car"... (a review: person if any, else its first object)
    labels: tuple[str, ...]
    restore: bool
    score: float | None
    zones: tuple[str, ...]
    start_time: float | None  # Unix seconds
    end_time: float | None
    has_snapshot: bool
    has_clip: bool
    media_id: str  # the event id whose snapshot / clip show this detection
    severity: str = ""

    @property
    def time(self) -> float | None:
        return (self.end_time or self.start_time) if self.restore else self.start_time


def api_paths(event_id: str) -> tuple[str, str]:
    """Frigate API paths of an event's snapshot and clip."""
    return f"/api/events/{event_id}/snapshot.jpg", f"/api/events/{event_id}/clip.mp4"


class FrigateDecoder:
    def __init__(self, max_tracked: int = 10_000) -> None:
        self._raised: OrderedDict[str, None] = OrderedDict()
        self._max = max_tracked

    def feed(self, topic: str, payload: bytes) -> list[FrigateDetection]:
        """``topic`` relative to the prefix ("events" / "reviews"); raises FrigateError."""
        if topic not in ("events", "reviews"):
            raise FrigateError(f"topic {topic!r}: expected events or reviews")
        message = _load(payload)
        kind = message.get("type")
        if kind not in ("new", "update", "end"):
            raise FrigateError(f"type: expected new, update or end, not {str(kind)[:20]!r}")
        after = message.get("after")
        if not isinstance(after, dict):
            raise FrigateError("after: expected an object")
        if topic == "events":
            base = _event(after)
            alarming = not bool(after.get("false_positive", False))
        else:
            base = _review(after)
            alarming = after.get("severity") == "alert"
        key = f"{topic}:{base.id}"
        raised = key in self._raised
        if kind == "end":
            self._raised.pop(key, None)
            if raised:
                return [_with(base, restore=True)]
            if alarming:
                return [base, _with(base, restore=True)]
            return []
        if raised or not alarming:
            return []
        self._remember(key)
        return [base]

    def _remember(self, key: str) -> None:
        self._raised[key] = None
        while len(self._raised) > self._max:
            self._raised.popitem(last=False)


def _load(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD:
        raise FrigateError(f"payload of {len(payload)} bytes, more than {MAX_PAYLOAD}")
    try:
        message = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrigateError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise FrigateError("expected a JSON object")
    return message


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise FrigateError(f"{name}: expected a non-empty string")
    return value.strip()


def _number(data: dict[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FrigateError(f"{name}: expected a number")
    return float(value)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str))


def _event(after: dict[str, Any]) -> FrigateDetection:
    event_id = _text(after, "id")
    label = _text(after, "label")
    score = _number(after, "top_score")
    if score is None:
        score = _number(after, "score")
    zones = _names(after.get("entered_zones")) or _names(after.get("current_zones"))
    zones = zones or _names(after.get("zones"))
    return FrigateDetection(
        topic="events",
        id=event_id,
        camera=_text(after, "camera"),
        label=label,
        labels=(label,),
        restore=False,
        score=score,
        zones=zones,
        start_time=_number(after, "start_time"),
        end_time=_number(after, "end_time"),
        has_snapshot=bool(after.get("has_snapshot", False)),
        has_clip=bool(after.get("has_clip", False)),
        media_id=event_id,
    )


def _review(after: dict[str, Any]) -> FrigateDetection:
    data = after.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrigateError("data: expected an object")
    objects = tuple(o.removesuffix("-verified") for o in _names(data.get("objects")))
    label = "person" if "person" in objects else (objects[0] if objects else "")
    detections = _names(data.get("detections"))
    severity = after.get("severity")
    return FrigateDetection(
        topic="reviews",
        id=_text(after, "id"),
        camera=_text(after, "camera"),
        label=label,
        labels=objects,
        restore=False,
        score=None,
        zones=_names(data.get("zones")),
        start_time=_number(after, "start_time"),
        end_time=_number(after, "end_time"),
        has_snapshot=bool(detections),
        has_clip=bool(detections),
        media_id=detections[0] if detections else "",
        severity=severity if isinstance(severity, str) else "",
    )


def _with(detection: FrigateDetection, *, restore: bool) -> FrigateDetection:
    return replace(detection, restore=restore)
