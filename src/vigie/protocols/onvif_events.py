"""A camera's own ONVIF events, sans-IO: notification messages in, video alarms and restores out.

An ONVIF camera reports what its firmware detects as ``wsnt:NotificationMessage`` s (pulled
from a PullPoint subscription, or pushed): a *topic* such as
``tns1:RuleEngine/CellMotionDetector/Motion`` and a ``tt:Message`` carrying ``Source``
items (which video source, which rule) and ``Data`` items (``IsMotion``, ``State``,
``IsTamper``...). Most of them are *properties*: ``PropertyOperation`` says whether the
value was ``Initialized`` (the current state, sent after every new subscription),
``Changed`` or ``Deleted``.

``OnvifEventDecoder`` keeps, per camera, the last boolean state of every (topic, source)
it understands and turns a change into an ``OnvifEvent``: false -> true is an alarm,
true -> false a restore, the same state again nothing (cameras repeat themselves, and a
re-subscription re-sends every property). A camera often reports the same motion on two
topics (``VideoSource/MotionAlarm`` and ``RuleEngine/CellMotionDetector/Motion``): the
states of one code are OR-ed, so it raises once and restores when the last one clears.
``LineDetector/Crossed`` has no state: each message is one crossing.

Topics are matched on their path without namespace prefixes (``tns1:``, ``tnsaxis:``,
Avigilon's ``tns1:`` on every level), case-insensitively; a topic not in ``TOPICS``
(processor load, configuration changes, vendor events) is ignored by the caller. Codes
are the values of ``vigie.domain.video.VideoCode`` (this package imports nothing else from
vigie; a test keeps them equal).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "TOPICS",
    "OnvifEvent",
    "OnvifEventDecoder",
    "OnvifEventError",
    "OnvifNotification",
    "TopicRule",
    "notification",
    "parse_message",
    "parse_notifications",
    "topic_path",
    "topic_rule",
]

MAX_XML = 1024 * 1024
MAX_TOPIC = 512
MAX_ITEM = 128  # characters kept of an item's name or value
MAX_ITEMS = 16  # items kept per Source / Data
MAX_STATES = 1024  # (topic, source) pairs remembered per camera


class OnvifEventError(ValueError):
    """A notification that cannot be read (the text says what is wrong)."""


@dataclass(frozen=True, slots=True)
class TopicRule:
    """An ONVIF topic (path without prefixes) and what it means for the station."""

    path: str
    code: str  # a VideoCode value
    items: tuple[str, ...]  # the Data item holding the state, in order of preference
    stateless: bool = False  # each message is one occurrence (no restore)


TOPICS: tuple[TopicRule, ...] = (
    TopicRule("RuleEngine/CellMotionDetector/Motion", "MOTION", ("IsMotion", "State")),
    TopicRule("RuleEngine/MotionRegionDetector/Motion", "MOTION", ("State", "IsMotion")),
    TopicRule("VideoSource/MotionAlarm", "MOTION", ("State", "IsMotion")),
    TopicRule("RuleEngine/FieldDetector/ObjectsInside", "INTRUSION", ("IsInside", "State")),
    TopicRule("RuleEngine/LineDetector/Crossed", "LINE", (), stateless=True),
    TopicRule("RuleEngine/TamperDetector/Tamper", "MOVED", ("IsTamper", "State")),
    TopicRule("VideoSource/GlobalSceneChange", "MOVED", ("State",)),  # /ImagingService...
    TopicRule("VideoSource/ImageTooBlurry", "BLUR", ("State",)),
    TopicRule("VideoSource/ImageTooDark", "BLACK", ("State",)),
    TopicRule("VideoSource/ImageTooBright", "BLINDED", ("State",)),
    TopicRule("VideoSource/SignalLoss", "VIDEO_LOSS", ("State",)),
)
_BY_PATH = {rule.path.lower(): rule for rule in TOPICS}

_TRUE = frozenset({"true", "1", "on", "active"})
_FALSE = frozenset({"false", "0", "off", "inactive"})
_OPERATIONS = frozenset({"", "Initialized", "Changed", "Deleted"})


@dataclass(frozen=True, slots=True)
class OnvifNotification:
    """One notification as the camera sent it (items already cut to a sane size)."""

    topic: str
    utc_time: datetime | None = None
    operation: str = ""  # Initialized | Changed | Deleted; "" for an event, not a property
    source: tuple[tuple[str, str], ...] = ()
    data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class OnvifEvent:
    """An alarm (``restore`` False) or its end, for one camera."""

    code: str  # a VideoCode value
    restore: bool
    at: datetime | None  # the camera's UtcTime (its clock may be wrong)
    topic: str  # path without prefixes
    source: str  # "Name=Value, ..." of the Source items (video source, rule)
    initial: bool = False  # reported by PropertyOperation="Initialized"

    @property
    def detail(self) -> str:
        text = f"ONVIF : {self.topic}"
        return f"{text} ({self.source})" if self.source else text


def _clip(text: object, limit: int = MAX_ITEM) -> str:
    return "".join(c if c.isprintable() else "?" for c in str(text)[:limit])


def _items(items: Iterable[tuple[object, object]]) -> tuple[tuple[str, str], ...]:
    return tuple((_clip(name), _clip(value)) for name, value in list(items)[:MAX_ITEMS])


def notification(
    topic: object,
    utc_time: datetime | str | None = None,
    operation: object = "",
    source: Iterable[tuple[object, object]] = (),
    data: Iterable[tuple[object, object]] = (),
) -> OnvifNotification:
    """Build a notification from already-parsed fields (e.g. a SOAP client's objects)."""
    text = str(topic or "").strip()
    if not text:
        raise OnvifEventError("Topic: empty")
    if len(text) > MAX_TOPIC:
        raise OnvifEventError(f"Topic: longer than {MAX_TOPIC} characters")
    op = str(operation or "").strip()
    if op not in _OPERATIONS:
        raise OnvifEventError(f"PropertyOperation: unknown value {_clip(op, 40)!r}")
    at = _time(utc_time) if isinstance(utc_time, str) else utc_time
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return OnvifNotification(_clip(text, MAX_TOPIC), at, op, _items(source), _items(data))


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None


def topic_path(topic: str) -> str:
    """``tns1:VideoSource/tnsaxis:Foo/`` -> ``VideoSource/Foo`` (prefixes and trailing
    separators removed)."""
    parts = [part.rsplit(":", 1)[-1].strip() for part in topic.strip().rstrip("/.").split("/")]
    return "/".join(part for part in parts if part)


def topic_rule(topic: str) -> TopicRule | None:
    """The rule of a topic, or of its nearest listed parent (``.../ImagingService``)."""
    path = topic_path(topic).lower()
    while path:
        rule = _BY_PATH.get(path)
        if rule is not None:
            return rule
        path = path.rpartition("/")[0]
    return None


# -- XML -------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in node if _local(c.tag) == name), None)


def _simple_items(parent: ET.Element | None) -> list[tuple[str, str]]:
    if parent is None:
        return []
    return [
        (item.get("Name", ""), item.get("Value", ""))
        for item in parent
        if _local(item.tag) == "SimpleItem"
    ]


def _from_message(topic: object, message: ET.Element | None) -> OnvifNotification:
    if message is None:
        return notification(topic)
    return notification(
        topic,
        message.get("UtcTime"),
        message.get("PropertyOperation", ""),
        _simple_items(_child(message, "Source")),
        _simple_items(_child(message, "Data")),
    )


def _root(xml: bytes) -> ET.Element:
    if len(xml) > MAX_XML:
        raise OnvifEventError(f"document larger than {MAX_XML} bytes")
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise OnvifEventError("document type declarations are not accepted")
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise OnvifEventError(f"malformed XML: {exc}") from None


def parse_notifications(xml: bytes) -> list[OnvifNotification]:
    """Every ``NotificationMessage`` in a document (a PullMessagesResponse envelope, a
    Notify, or one message). Raises OnvifEventError on bad XML or a message without topic."""
    found: list[OnvifNotification] = []
    for node in _root(xml).iter():
        if _local(node.tag) != "NotificationMessage":
            continue
        topic = _child(node, "Topic")
        if topic is None:
            raise OnvifEventError("NotificationMessage without a Topic")
        wrapper = _child(node, "Message")
        found.append(
            _from_message(topic.text, _child(wrapper, "Message") if wrapper is not None else None)
        )
    return found


def parse_message(topic: str, xml: bytes) -> OnvifNotification:
    """A topic and its ``tt:Message`` element alone (what a SOAP client hands over when it
    did not map the message to its own objects)."""
    root = _root(xml)
    if _local(root.tag) != "Message":
        raise OnvifEventError(f"expected a tt:Message element, not {_clip(_local(root.tag), 40)}")
    return _from_message(topic, root)


# -- states ----------------------------------------------------------------------------------


def _state(rule: TopicRule, data: tuple[tuple[str, str], ...]) -> bool:
    values = {name.lower(): value.strip().lower() for name, value in data}
    for name in rule.items:
        value = values.get(name.lower())
        if value is not None:
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
            raise OnvifEventError(f"{name}: expected true or false, not {value[:20]!r}")
    # a camera naming its item its own way: the one boolean item it sends
    booleans = [v for v in values.values() if v in _TRUE or v in _FALSE]
    if len(booleans) == 1:
        return booleans[0] in _TRUE
    raise OnvifEventError(f"{rule.path}: no {' / '.join(rule.items)} state in Data")


@dataclass
class OnvifEventDecoder:
    """One camera's ONVIF notifications to alarms and restores (see the module text)."""

    _states: dict[str, dict[tuple[str, str], bool]] = field(default_factory=dict)

    def active(self, code: str) -> bool:
        return any(self._states.get(code, {}).values())

    def feed(self, message: OnvifNotification) -> list[OnvifEvent]:
        """The alarm or restore this message makes (none: same state, or not a topic we
        know). Raises OnvifEventError when a known topic carries no readable state."""
        rule = topic_rule(message.topic)
        if rule is None:
            return []
        source = ", ".join(f"{name}={value}" for name, value in message.source)
        path = topic_path(message.topic)
        initial = message.operation == "Initialized"
        if rule.stateless:
            if message.operation == "Deleted":
                return []
            return [OnvifEvent(rule.code, False, message.utc_time, path, source, initial)]
        key = (rule.path, source)
        before = self.active(rule.code)
        states = self._states.setdefault(rule.code, {})
        if message.operation == "Deleted":
            states.pop(key, None)
        else:
            state = _state(rule, message.data)
            if key not in states and sum(len(s) for s in self._states.values()) >= MAX_STATES:
                raise OnvifEventError(f"more than {MAX_STATES} event sources on one camera")
            states[key] = state
        after = self.active(rule.code)
        if before == after:
            return []
        return [OnvifEvent(rule.code, before, message.utc_time, path, source, initial)]
