"""Running-average motion: where it moved, masks, global changes, cadence."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vigie.analytics.frames import downscale
from vigie.analytics.motion import MotionDetector
from vigie.domain.video import VideoCode, ZoneRule

from .pictures import Feed, background, camera, with_noise, with_person

BG = background()


def settle(detector: MotionDetector, seconds: float = 3.0, fps: float = 5.0) -> float:
    t = 0.0
    for i in range(int(seconds * fps)):
        detector.detect(downscale(with_noise(BG, i)), t)
        t += 1.0 / fps
    return t


def test_the_box_is_where_the_walker_is() -> None:
    detector = MotionDetector()
    t = settle(detector)
    result = detector.detect(downscale(with_person(BG, 0.7, 0.5)), t)
    assert not result.recalibrated
    assert len(result.boxes) == 1
    x, y, w, h = result.boxes[0]
    assert x <= 0.7 <= x + w and y <= 0.5 <= y + h
    assert w < 0.1 and h < 0.3
    assert 0.0 < result.areas[0] < 0.05


def test_noise_alone_is_not_motion() -> None:
    detector = MotionDetector()
    t = settle(detector)
    for i in range(10):
        assert detector.detect(downscale(with_noise(BG, i)), t + i * 0.2).boxes == ()


def test_masked_area_is_ignored() -> None:
    detector = MotionDetector()
    t = settle(detector)
    keep = np.full((180, 320), 255, np.uint8)
    keep[:, 160:] = 0
    assert detector.detect(downscale(with_person(BG, 0.7, 0.5)), t, keep).boxes == ()


@pytest.mark.parametrize("factor", [0.5, 1.6])
def test_global_brightness_change_recalibrates_instead_of_motion(factor: float) -> None:
    detector = MotionDetector()
    t = settle(detector)
    changed = cv2.convertScaleAbs(BG, alpha=factor)
    result = detector.detect(downscale(changed), t)
    assert result.recalibrated and result.boxes == ()
    assert detector.detect(downscale(with_noise(changed, 1)), t + 0.2).boxes == ()


def test_most_of_the_picture_changing_recalibrates() -> None:
    detector = MotionDetector()
    t = settle(detector)
    inverted = cv2.bitwise_not(BG)  # same median brightness, every pixel changed
    result = detector.detect(downscale(inverted), t)
    assert result.recalibrated and result.boxes == ()


def test_keyframe_cadence_sees_a_walker() -> None:
    detector = MotionDetector()
    detector.detect(downscale(BG), 0.0)
    detector.detect(downscale(with_noise(BG, 1)), 2.0)
    assert detector.detect(downscale(with_person(BG, 0.3, 0.6)), 4.0).boxes


def test_no_intrusion_from_a_blurred_camera() -> None:
    """A fault's picture is not believed: a walker seen through a defocused lens is no alarm."""
    rule = ZoneRule("cour", ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)), min_duration=1.0)
    feed = Feed(camera(zone_rules=(rule,)))
    feed.run(15, lambda t: BG)

    def blurred_walker(t: float) -> np.ndarray:
        return cv2.GaussianBlur(with_person(BG, 0.2 + (t % 10) * 0.06, 0.6), (0, 0), 4)

    feed.run(20, blurred_walker)
    assert VideoCode.BLUR in feed.analyzer.active_health()
    assert VideoCode.INTRUSION not in feed.codes()
    assert feed.analyzer.last_motion_boxes == ()
