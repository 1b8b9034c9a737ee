"""ONVIF notification messages (shaped as Hikvision, Axis, Dahua and Avigilon send them) to
video alarms and restores."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigie.domain.video import VideoCode
from vigie.protocols import onvif_events
from vigie.protocols.codes.video import VIDEO_CODES
from vigie.protocols.onvif_events import (
    TOPICS,
    OnvifEvent,
    OnvifEventDecoder,
    OnvifEventError,
    notification,
    parse_message,
    parse_notifications,
    topic_path,
    topic_rule,
)

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsa="http://www.w3.org/2005/08/addressing"
 xmlns:tev="http://www.onvif.org/ver10/events/wsdl"
 xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"
 xmlns:tns1="http://www.onvif.org/ver10/topics"
 xmlns:tt="http://www.onvif.org/ver10/schema">
<env:Header><wsa:Action>http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse</wsa:Action></env:Header>
<env:Body><tev:PullMessagesResponse>
<tev:CurrentTime>2026-11-28T22:00:05Z</tev:CurrentTime>
<tev:TerminationTime>2026-11-28T22:01:05Z</tev:TerminationTime>
{messages}
</tev:PullMessagesResponse></env:Body></env:Envelope>"""


def message(
    topic: str,
    data: str = "State",
    value: str = "true",
    *,
    operation: str = "Changed",
    at: str = "2026-11-28T22:00:04Z",
    source: str = '<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSource_1"/>',
) -> str:
    op = f' PropertyOperation="{operation}"' if operation else ""
    return (
        "<wsnt:NotificationMessage>"
        f'<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">{topic}'
        "</wsnt:Topic><wsnt:Message>"
        f'<tt:Message UtcTime="{at}"{op}>'
        f"<tt:Source>{source}</tt:Source>"
        f'<tt:Data><tt:SimpleItem Name="{data}" Value="{value}"/></tt:Data>'
        "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"
    )


def pulled(*messages: str) -> bytes:
    return ENVELOPE.format(messages="\n".join(messages)).encode()


HIK_SOURCE = (
    '<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceToken"/>'
    '<tt:SimpleItem Name="VideoAnalyticsConfigurationToken" Value="VideoAnalyticsToken"/>'
    '<tt:SimpleItem Name="Rule" Value="MyMotionDetectorRule"/>'
)


def hik_motion(value: str, operation: str = "Changed", at: str = "2026-11-28T22:00:04Z") -> str:
    return message(
        "tns1:RuleEngine/CellMotionDetector/Motion",
        "IsMotion",
        value,
        operation=operation,
        at=at,
        source=HIK_SOURCE,
    )


def decode(decoder: OnvifEventDecoder, xml: bytes) -> list[tuple[str, bool]]:
    return [(e.code, e.restore) for m in parse_notifications(xml) for e in decoder.feed(m)]


def test_cell_motion_raises_then_restores() -> None:
    decoder = OnvifEventDecoder()
    [start] = [e for m in parse_notifications(pulled(hik_motion("true"))) for e in decoder.feed(m)]
    assert start == OnvifEvent(
        code="MOTION",
        restore=False,
        at=datetime(2026, 11, 28, 22, 0, 4, tzinfo=UTC),
        topic="RuleEngine/CellMotionDetector/Motion",
        source="VideoSourceConfigurationToken=VideoSourceToken, "
        "VideoAnalyticsConfigurationToken=VideoAnalyticsToken, Rule=MyMotionDetectorRule",
    )
    assert start.detail.startswith("ONVIF : RuleEngine/CellMotionDetector/Motion (")
    assert "Rule=MyMotionDetectorRule" in start.detail
    assert decoder.active("MOTION")
    assert decode(decoder, pulled(hik_motion("false"))) == [("MOTION", True)]
    assert not decoder.active("MOTION")


def test_the_same_state_repeated_raises_once() -> None:
    decoder = OnvifEventDecoder()
    xml = pulled(hik_motion("true"), hik_motion("true"), hik_motion("true"))
    assert decode(decoder, xml) == [("MOTION", False)]
    assert decode(decoder, pulled(hik_motion("true"))) == []
    assert decode(decoder, pulled(hik_motion("false"), hik_motion("false"))) == [("MOTION", True)]
    assert decode(decoder, pulled(hik_motion("false"))) == []


def test_initialized_state_after_a_subscription() -> None:
    """A new subscription re-sends every property: quiet ones say nothing, an ongoing alarm
    raises once, and is not raised again when the camera re-sends it after a re-subscribe."""
    decoder = OnvifEventDecoder()
    quiet = pulled(
        hik_motion("false", "Initialized"),
        message("tns1:VideoSource/ImageTooDark/ImagingService", operation="Initialized",
                value="false"),
    )  # fmt: skip
    assert decode(decoder, quiet) == []
    ongoing = pulled(message("tns1:VideoSource/SignalLoss", operation="Initialized"))
    events = [e for m in parse_notifications(ongoing) for e in decoder.feed(m)]
    assert [(e.code, e.restore, e.initial) for e in events] == [("VIDEO_LOSS", False, True)]
    assert decode(decoder, ongoing) == []  # re-subscribed: same state, nothing new
    gone = message("tns1:VideoSource/SignalLoss", value="false", operation="Initialized")
    restored = pulled(gone)
    assert decode(decoder, restored) == [("VIDEO_LOSS", True)]  # ended while we were away


def test_two_topics_for_one_motion_raise_once_and_restore_when_both_end() -> None:
    decoder = OnvifEventDecoder()
    alarm = message("tns1:VideoSource/MotionAlarm")
    alarm_end = message("tns1:VideoSource/MotionAlarm", value="false")
    assert decode(decoder, pulled(hik_motion("true"), alarm)) == [("MOTION", False)]
    assert decode(decoder, pulled(alarm_end)) == []  # the cell detector still sees motion
    assert decode(decoder, pulled(hik_motion("false"))) == [("MOTION", True)]


def test_two_rules_of_one_camera_are_tracked_apart() -> None:
    decoder = OnvifEventDecoder()
    rule = '<tt:SimpleItem Name="Rule" Value="{}"/>'
    parking = message("tns1:RuleEngine/FieldDetector/ObjectsInside", "IsInside",
                      source=rule.format("Parking"))  # fmt: skip
    quai = message("tns1:RuleEngine/FieldDetector/ObjectsInside", "IsInside",
                   source=rule.format("Quai"))  # fmt: skip
    quai_end = quai.replace('Value="true"', 'Value="false"')
    parking_end = parking.replace('Value="true"', 'Value="false"')
    assert decode(decoder, pulled(parking, quai)) == [("INTRUSION", False)]
    assert decode(decoder, pulled(quai_end)) == []
    assert decode(decoder, pulled(parking_end)) == [("INTRUSION", True)]


@pytest.mark.parametrize(
    ("topic", "item", "code"),
    [
        ("tns1:RuleEngine/CellMotionDetector/Motion", "IsMotion", "MOTION"),
        ("tns1:RuleEngine/MotionRegionDetector/Motion", "State", "MOTION"),
        ("tns1:VideoSource/MotionAlarm", "State", "MOTION"),
        ("tns1:RuleEngine/TamperDetector/Tamper", "IsTamper", "MOVED"),
        ("tns1:VideoSource/GlobalSceneChange/ImagingService", "State", "MOVED"),
        ("tns1:VideoSource/GlobalSceneChange/AnalyticsService", "State", "MOVED"),
        ("tns1:VideoSource/ImageTooBlurry/ImagingService", "State", "BLUR"),
        ("tns1:VideoSource/ImageTooBlurry/AnalyticsService", "State", "BLUR"),
        ("tns1:VideoSource/ImageTooDark/ImagingService", "State", "BLACK"),
        ("tns1:VideoSource/ImageTooBright/RecordingService", "State", "BLINDED"),
        ("tns1:VideoSource/SignalLoss", "State", "VIDEO_LOSS"),
        ("tns1:RuleEngine/FieldDetector/ObjectsInside", "IsInside", "INTRUSION"),
        # Avigilon prefixes every level; a trailing separator is seen too
        ("tns1:RuleEngine/tns1:CellMotionDetector/tns1:Motion", "IsMotion", "MOTION"),
        ("tns1:VideoSource/MotionAlarm/", "State", "MOTION"),
    ],
)
def test_topics_to_codes(topic: str, item: str, code: str) -> None:
    decoder = OnvifEventDecoder()
    assert decode(decoder, pulled(message(topic, item, "true"))) == [(code, False)]
    assert decode(decoder, pulled(message(topic, item, "false"))) == [(code, True)]
    assert VideoCode(code).value == code


def test_health_codes_are_faults_and_motion_an_alarm() -> None:
    assert VIDEO_CODES["MOTION"].category == "video"
    for topic in ("VideoSource/SignalLoss", "VideoSource/ImageTooBlurry/ImagingService",
                  "RuleEngine/TamperDetector/Tamper"):  # fmt: skip
        rule = topic_rule(topic)
        assert rule is not None and VideoCode(rule.code).health


def test_every_code_is_a_video_code_of_the_table() -> None:
    for rule in TOPICS:
        assert VideoCode(rule.code).value in VIDEO_CODES


def test_line_crossing_is_one_alarm_per_message() -> None:
    decoder = OnvifEventDecoder()
    crossed = message(
        "tns1:RuleEngine/LineDetector/Crossed", "ObjectId", "12", operation="",
        source='<tt:SimpleItem Name="Rule" Value="Portail"/>',
    )  # fmt: skip
    assert decode(decoder, pulled(crossed, crossed)) == [("LINE", False), ("LINE", False)]


def test_deleted_property_restores_an_active_alarm() -> None:
    decoder = OnvifEventDecoder()
    assert decode(decoder, pulled(message("tns1:RuleEngine/TamperDetector/Tamper", "IsTamper")))
    deleted = message("tns1:RuleEngine/TamperDetector/Tamper", "IsTamper", operation="Deleted")
    assert decode(decoder, pulled(deleted)) == [("MOVED", True)]
    assert decode(decoder, pulled(deleted)) == []


def test_topics_that_are_not_alarms_are_ignored() -> None:
    decoder = OnvifEventDecoder()
    xml = pulled(
        message("tns1:Monitoring/ProcessorUsage", "Value", "0.42", operation="Changed"),
        message("tns1:Device/tnsaxis:Sensor/PIR", "state", "1"),
        message("tns1:Configuration/Profile", "State", "true"),
    )
    assert len(parse_notifications(xml)) == 3
    assert decode(decoder, xml) == []


def test_state_spelled_otherwise_is_read_when_unambiguous() -> None:
    decoder = OnvifEventDecoder()
    assert decode(decoder, pulled(message("tns1:VideoSource/MotionAlarm", "Active", "1"))) == [
        ("MOTION", False)
    ]
    assert decode(decoder, pulled(message("tns1:VideoSource/MotionAlarm", "Active", "0"))) == [
        ("MOTION", True)
    ]


def test_a_known_topic_without_state_is_an_error_naming_it() -> None:
    decoder = OnvifEventDecoder()
    [bad] = parse_notifications(pulled(message("tns1:VideoSource/SignalLoss", "Level", "high")))
    with pytest.raises(OnvifEventError, match="SignalLoss"):
        decoder.feed(bad)
    [odd] = parse_notifications(pulled(hik_motion("maybe")))
    with pytest.raises(OnvifEventError, match="IsMotion"):
        decoder.feed(odd)
    assert not decoder.active("MOTION")


def test_times_and_operations() -> None:
    [m] = parse_notifications(pulled(hik_motion("true", at="2019-03-12T23:48:26.371215Z")))
    assert m.utc_time == datetime(2019, 3, 12, 23, 48, 26, 371215, tzinfo=UTC)
    assert m.operation == "Changed"
    [naive] = parse_notifications(pulled(hik_motion("true", at="2026-11-28T22:00:04")))
    assert naive.utc_time == datetime(2026, 11, 28, 22, 0, 4, tzinfo=UTC)
    [garbled] = parse_notifications(pulled(hik_motion("true", at="yesterday")))
    assert garbled.utc_time is None
    with pytest.raises(OnvifEventError, match="PropertyOperation"):
        parse_notifications(pulled(hik_motion("true", operation="Exploded")))


def test_bad_documents_are_refused_with_a_reason() -> None:
    with pytest.raises(OnvifEventError, match="malformed XML"):
        parse_notifications(b"<env:Envelope><unclosed>")
    with pytest.raises(OnvifEventError, match="document type"):
        parse_notifications(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(OnvifEventError, match="larger"):
        parse_notifications(b" " * (onvif_events.MAX_XML + 1))
    no_topic = pulled(hik_motion("true")).replace(b"wsnt:Topic", b"wsnt:Subject")
    with pytest.raises(OnvifEventError, match="Topic"):
        parse_notifications(no_topic)
    with pytest.raises(OnvifEventError, match="Topic: empty"):
        notification("  ")


def test_one_message_element_alone() -> None:
    xml = (
        b'<tt:Message xmlns:tt="http://www.onvif.org/ver10/schema" UtcTime="2026-11-28T22:00:04Z"'
        b' PropertyOperation="Changed"><tt:Source><tt:SimpleItem Name="Source" Value="0"/>'
        b'</tt:Source><tt:Data><tt:SimpleItem Name="State" Value="true"/></tt:Data></tt:Message>'
    )
    parsed = parse_message("tns1:VideoSource/ImageTooBlurry/ImagingService", xml)
    assert parsed.data == (("State", "true"),)
    assert OnvifEventDecoder().feed(parsed)[0].code == "BLUR"
    with pytest.raises(OnvifEventError, match="tt:Message"):
        parse_message("tns1:VideoSource/MotionAlarm", b"<Other/>")


def test_values_from_the_camera_are_cut_and_made_printable() -> None:
    long_rule = "R\x1b[31m" + "x" * 500
    made = notification("tns1:VideoSource/MotionAlarm", None, "Changed",
                        [("Rule", long_rule)], [("State", "true")])  # fmt: skip
    name, value = made.source[0]
    assert name == "Rule" and len(value) == onvif_events.MAX_ITEM and "\x1b" not in value


def test_topic_paths() -> None:
    assert topic_path("tns1:VideoSource/tnsaxis:Foo/") == "VideoSource/Foo"
    assert topic_path("tns1:RuleEngine//.") == "RuleEngine"
    assert topic_rule("tns1:videosource/signalloss") is not None
    assert topic_rule("tns1:VideoSource") is None


def test_public_api() -> None:
    assert sorted(onvif_events.__all__) == [
        "OnvifEvent",
        "OnvifEventDecoder",
        "OnvifEventError",
        "OnvifNotification",
        "TOPICS",
        "TopicRule",
        "notification",
        "parse_message",
        "parse_notifications",
        "topic_path",
        "topic_rule",
    ]


@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_fail_cleanly(data: bytes) -> None:
    with contextlib.suppress(OnvifEventError):
        parse_notifications(data)


MOTION_TOPICS = ("tns1:VideoSource/MotionAlarm", "tns1:RuleEngine/CellMotionDetector/Motion")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(MOTION_TOPICS),
            st.sampled_from(("VideoSource_1", "VideoSource_2")),
            st.booleans(),
            st.sampled_from(("Initialized", "Changed", "Deleted", "")),
        ),
        max_size=40,
    )
)
def test_alarms_and_restores_alternate_and_follow_the_states(
    steps: list[tuple[str, str, bool, str]],
) -> None:
    decoder = OnvifEventDecoder()
    states: dict[tuple[str, str], bool] = {}
    active = False
    for topic, token, state, operation in steps:
        made = notification(
            topic, None, operation, [("VideoSourceConfigurationToken", token)],
            [("IsMotion" if "Cell" in topic else "State", "true" if state else "false")],
        )  # fmt: skip
        events = decoder.feed(made)
        if operation == "Deleted":
            states.pop((topic, token), None)
        else:
            states[(topic, token)] = state
        now_active = any(states.values())
        assert decoder.active("MOTION") == now_active
        expected = [] if now_active == active else [("MOTION", active)]
        assert [(e.code, e.restore) for e in events] == expected
        active = now_active
