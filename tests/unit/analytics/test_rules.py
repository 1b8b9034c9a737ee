"""Alarm rules: zones with duration and schedules, masks, lines, plain motion, persons."""

from __future__ import annotations

from datetime import time

import numpy as np
import pytest

from vigie.analytics.frames import Box, Gray
from vigie.analytics.rules import Episode
from vigie.domain.video import LineRule, RuleSchedule, VideoCode, ZoneRule

from .pictures import Feed, background, camera, with_person

BG = background()
RIGHT_HALF = ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0))
LEFT_HALF = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))


def pacing(x0: float, x1: float, start: float = 0.0, stop: float = 1e9):
    """A walker going between x0 and x1 (2 s per leg) while start <= t < stop."""

    def draw(t: float) -> np.ndarray:
        if not start <= t < stop:
            return BG
        leg = ((t - start) / 2.0) % 2.0
        f = leg if leg <= 1.0 else 2.0 - leg
        return with_person(BG, x0 + (x1 - x0) * f, 0.6)

    return draw


def zone_camera(**rule_fields: object):
    fields: dict[str, object] = {"name": "cour", "polygon": RIGHT_HALF, "min_duration": 2.0}
    fields.update(rule_fields)
    return camera(zone_rules=(ZoneRule(**fields),))  # type: ignore[arg-type]


def test_motion_inside_a_zone_fires_intrusion_after_min_duration_then_restores() -> None:
    feed = Feed(zone_camera())
    feed.run(3, lambda t: BG)
    feed.run(10, pacing(0.6, 0.9, start=3.0))
    starts = feed.times(VideoCode.INTRUSION)
    assert len(starts) == 1  # one alarm for the whole episode
    assert 5.0 <= starts[0] <= 6.0
    alarm = next(f for _, f in feed.log if f.code is VideoCode.INTRUSION)
    assert alarm.detail == "cour" and alarm.boxes and alarm.score
    assert all(b[0] + b[2] > 0.5 for b in alarm.boxes)
    feed.run(12, lambda t: BG)
    restores = feed.times(VideoCode.INTRUSION, restore=True)
    assert len(restores) == 1 and 17.0 <= restores[0] <= 21.0
    assert VideoCode.MOTION not in feed.codes()  # zone rules replace plain motion


def test_motion_outside_the_zone_does_not_fire() -> None:
    feed = Feed(zone_camera())
    feed.run(15, pacing(0.1, 0.35))
    assert feed.log == []


def test_motion_in_a_masked_area_does_not_fire() -> None:
    mask = ((0.55, 0.3), (0.95, 0.3), (0.95, 0.9), (0.55, 0.9))
    rule = ZoneRule("cour", RIGHT_HALF, min_duration=1.0)
    feed = Feed(camera(zone_rules=(rule,), motion_masks=(mask,)))
    feed.run(15, pacing(0.6, 0.9))
    assert feed.log == []
    assert feed.analyzer.last_motion_boxes == ()


def test_a_blip_shorter_than_min_duration_does_not_fire() -> None:
    feed = Feed(zone_camera(min_duration=3.0))
    feed.run(3, lambda t: BG)
    feed.run(15, pacing(0.6, 0.9, start=3.0, stop=4.0))
    assert VideoCode.INTRUSION not in feed.codes()


def test_small_blobs_below_the_rule_min_area_do_not_fire() -> None:
    feed = Feed(zone_camera(min_area=0.2))
    feed.run(10, pacing(0.6, 0.9))
    assert feed.log == []


def test_rule_outside_its_schedule_does_not_fire() -> None:
    # T0 is Monday 11:00 in Paris.
    night = RuleSchedule(time(20, 0), time(6, 0))
    feed = Feed(zone_camera(schedules=(night,)))
    feed.run(10, pacing(0.6, 0.9))
    assert feed.log == []
    day = RuleSchedule(time(8, 0), time(18, 0), weekdays=(0,))
    feed = Feed(zone_camera(schedules=(night, day)))
    feed.run(10, pacing(0.6, 0.9))
    assert VideoCode.INTRUSION in feed.codes()


def test_schedule_uses_the_camera_time_zone() -> None:
    # T0 is 10:00 UTC: 05:00 in New York, 10:00 in London.
    morning = RuleSchedule(time(6, 0), time(7, 0))
    feed = Feed(zone_camera(schedules=(morning,)), timezone="America/New_York")
    feed.run(8, pacing(0.6, 0.9))
    assert feed.log == []
    feed = Feed(zone_camera(schedules=(morning,)), timezone="Europe/London")
    feed.run(8, pacing(0.6, 0.9))
    assert feed.log == []
    dawn = RuleSchedule(time(5, 0), time(6, 0))
    feed = Feed(zone_camera(schedules=(dawn,)), timezone="America/New_York")
    feed.run(8, pacing(0.6, 0.9))
    assert VideoCode.INTRUSION in feed.codes()


def crossing(x0: float, x1: float, speed: float = 0.05):
    def draw(t: float) -> np.ndarray:
        x = x0 + (x1 - x0) * min(1.0, t * speed / abs(x1 - x0))
        return with_person(BG, x, 0.6) if t >= 2 else BG

    return draw


@pytest.mark.parametrize(
    ("direction", "x0", "x1", "fires"),
    [
        ("left_to_right", 0.2, 0.8, False),
        ("left_to_right", 0.8, 0.2, True),
        ("right_to_left", 0.2, 0.8, True),
        ("right_to_left", 0.8, 0.2, False),
        ("both", 0.2, 0.8, True),
        ("both", 0.8, 0.2, True),
    ],
)
def test_line_crossing_only_in_the_configured_direction(
    direction: str, x0: float, x1: float, fires: bool
) -> None:
    # a -> b points down the picture: its left (as seen walking from a to b) is the
    # picture's right, so a walker going right-to-left on screen crosses left-to-right.
    rule = LineRule("portail", (0.5, 0.05), (0.5, 0.95), direction=direction)
    feed = Feed(camera(line_rules=(rule,)))
    feed.run(20, crossing(x0, x1))
    lines = [f for _, f in feed.log if f.code is VideoCode.LINE_CROSSING]
    assert len(lines) == (1 if fires else 0)
    if fires:
        assert lines[0].detail == "portail" and not lines[0].restore and lines[0].boxes


def test_a_line_away_from_the_walk_is_not_crossed() -> None:
    rule = LineRule("haut", (0.5, 0.0), (0.5, 0.2))  # the segment, not its extension
    feed = Feed(camera(line_rules=(rule,)))
    feed.run(20, crossing(0.2, 0.8))
    assert VideoCode.LINE_CROSSING not in feed.codes()


def test_plain_motion_without_zone_rules_is_motion_once_per_episode() -> None:
    feed = Feed(camera())
    feed.run(2, lambda t: BG)
    feed.run(10, pacing(0.2, 0.8, start=2.0, stop=8.0))
    feed.run(10, lambda t: BG)
    assert len(feed.times(VideoCode.MOTION)) == 1
    assert 3.0 <= feed.times(VideoCode.MOTION)[0] <= 3.6
    assert len(feed.times(VideoCode.MOTION, restore=True)) == 1


class FakeDetector:
    """A person detector that sees a person wherever there is motion (records its calls)."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[int, ...], Box | None]] = []

    def detect(self, gray: Gray, roi: Box | None) -> list[tuple[Box, float]]:
        self.calls.append((gray.shape, roi))
        return [] if roi is None else [(roi, 0.9)]


class BlindDetector:
    def detect(self, gray: Gray, roi: Box | None) -> list[tuple[Box, float]]:
        return []


def test_person_detection_is_motion_gated_and_rate_limited() -> None:
    detector = FakeDetector()
    feed = Feed(camera(person_detection=True), detector=detector)
    feed.run(5, lambda t: BG)
    assert detector.calls == []  # no motion, no inference
    feed.run(10, pacing(0.2, 0.8, start=5.0))
    assert 10 <= len(detector.calls) <= 21  # at most 2 per second
    assert all(shape[1] <= 640 for shape, _ in detector.calls)
    assert feed.times(VideoCode.PERSON) and feed.times(VideoCode.MOTION)
    person = next(f for _, f in feed.log if f.code is VideoCode.PERSON)
    assert person.score == pytest.approx(0.9) and person.boxes


def test_no_person_no_person_alarm() -> None:
    feed = Feed(camera(person_detection=True), detector=BlindDetector())
    feed.run(10, pacing(0.2, 0.8))
    assert VideoCode.PERSON not in feed.codes()
    assert VideoCode.MOTION in feed.codes()


@pytest.mark.parametrize(("detector", "fires"), [(FakeDetector, True), (BlindDetector, False)])
def test_zone_rule_requiring_a_person(detector: type, fires: bool) -> None:
    feed = Feed(zone_camera(person=True, min_duration=1.0), detector=detector())
    feed.run(10, pacing(0.6, 0.9))
    assert (VideoCode.INTRUSION in feed.codes()) is fires


def test_episode_holds_over_keyframe_gaps_and_restores_after_quiet() -> None:
    episode = Episode(min_duration=1.0, quiet=5.0)
    assert episode.update(True, 0.0) is None
    assert episode.update(True, 2.0) is True
    assert episode.update(True, 4.0) is None  # debounced: one alarm per episode
    assert episode.update(False, 6.0) is None
    assert episode.update(False, 9.0) is False
    assert episode.update(True, 20.0) is None
    assert episode.update(False, 30.0) is None  # the blip never lasted: nothing to restore


def test_keyframe_cadence_still_raises_an_intrusion() -> None:
    feed = Feed(zone_camera(min_duration=1.0), fps=0.5)
    feed.run(10, lambda t: BG)
    feed.run(12, lambda t: with_person(BG, 0.55 + 0.05 * ((t / 2) % 6), 0.6))
    assert len(feed.times(VideoCode.INTRUSION)) == 1
    feed.run(12, lambda t: BG)
    assert len(feed.times(VideoCode.INTRUSION, restore=True)) == 1
