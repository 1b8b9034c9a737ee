"""Camera faults: each starts after its persistence, restores after being healthy a while.

The clock overlay keeps ticking on a frozen or black camera, as on real cameras.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vigie.analytics import HealthSettings
from vigie.domain.video import VideoCode

from .pictures import Feed, background, camera, with_noise, with_person

BG = background()
CLOCK_MASK = ((0.0, 0.0), (0.45, 0.0), (0.45, 0.1), (0.0, 0.1))


def normal(t: float) -> np.ndarray:
    return BG


@pytest.mark.parametrize("osd_masks", [(), (CLOCK_MASK,)], ids=["auto-bands", "osd-mask"])
def test_frozen_picture_with_a_live_clock_is_frozen(osd_masks: tuple) -> None:
    feed = Feed(camera(osd_masks=osd_masks))
    feed.run(15, normal)
    still = with_noise(BG, 3)
    feed.run(20, lambda t: still, noise=False)
    assert feed.times(VideoCode.FROZEN) == [pytest.approx(25.0, abs=0.5)]
    assert feed.analyzer.active_health() == frozenset({VideoCode.FROZEN})
    feed.run(10, normal)
    assert feed.times(VideoCode.FROZEN, restore=True) == [pytest.approx(40.0, abs=0.5)]
    assert feed.analyzer.active_health() == frozenset()
    assert VideoCode.MOTION not in feed.codes()


def test_a_short_freeze_is_not_reported() -> None:
    feed = Feed(camera())
    feed.run(10, normal)
    still = with_noise(BG, 3)
    feed.run(6, lambda t: still, noise=False)
    feed.run(10, normal)
    assert VideoCode.FROZEN not in feed.codes()


def test_black_with_a_clock_starts_and_restores_and_is_not_motion() -> None:
    feed = Feed(camera())
    feed.run(10, normal)
    feed.run(15, lambda t: np.full_like(BG, 16))
    assert feed.times(VideoCode.BLACK) == [pytest.approx(15.0, abs=0.5)]
    assert VideoCode.FROZEN not in feed.codes()  # black, not frozen
    feed.run(10, normal)
    assert feed.times(VideoCode.BLACK, restore=True) == [pytest.approx(30.0, abs=0.5)]
    assert VideoCode.MOTION not in feed.codes()


def test_black_clock_not_in_a_band_is_still_black() -> None:
    """A clock printed mid-picture is a few percent of the pixels: still black."""
    feed = Feed(camera())
    feed.run(10, normal)

    def dark(t: float) -> np.ndarray:
        image = np.full_like(BG, 10)
        cv2.putText(image, f"{t:08.1f}", (200, 180), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 255, 2)
        return image

    feed.run(10, dark)
    assert VideoCode.BLACK in feed.analyzer.active_health()


def test_blinded_starts_and_restores() -> None:
    feed = Feed(camera())
    feed.run(10, normal)
    feed.run(10, lambda t: np.full_like(BG, 250))
    assert feed.times(VideoCode.BLINDED) == [pytest.approx(15.0, abs=0.5)]
    feed.run(10, normal)
    assert feed.times(VideoCode.BLINDED, restore=True) == [pytest.approx(25.0, abs=0.5)]
    assert feed.codes() == {VideoCode.BLINDED}


def test_blur_against_the_baseline_starts_and_restores() -> None:
    blurred = cv2.GaussianBlur(BG, (0, 0), 4)
    feed = Feed(camera())
    feed.run(15, normal)
    feed.run(15, lambda t: blurred)
    assert feed.times(VideoCode.BLUR) == [pytest.approx(25.0, abs=0.5)]
    assert VideoCode.MOVED not in feed.codes()
    feed.run(10, normal)
    assert feed.times(VideoCode.BLUR, restore=True) == [pytest.approx(35.0, abs=0.5)]
    assert VideoCode.MOTION not in feed.codes()


def test_no_blur_verdict_before_a_baseline_exists() -> None:
    """A camera that starts defocused has nothing to compare with: no verdict."""
    blurred = cv2.GaussianBlur(BG, (0, 0), 4)
    feed = Feed(camera())
    feed.run(5, lambda t: blurred)
    assert feed.analyzer.active_health() == frozenset()
    feed.run(30, lambda t: blurred)
    assert VideoCode.BLUR not in feed.codes()


def test_moved_camera_starts_and_restores() -> None:
    elsewhere = background(seed=3)
    feed = Feed(camera())
    feed.run(15, normal)
    feed.run(15, lambda t: elsewhere)
    assert feed.times(VideoCode.MOVED) == [pytest.approx(25.0, abs=0.5)]
    feed.run(10, normal)
    assert feed.times(VideoCode.MOVED, restore=True) == [pytest.approx(35.0, abs=0.5)]


def test_knocked_camera_shifted_view_is_moved() -> None:
    shifted = np.roll(BG, 80, axis=1)
    feed = Feed(camera())
    feed.run(15, normal)
    feed.run(15, lambda t: shifted)
    assert VideoCode.MOVED in feed.analyzer.active_health()


@pytest.mark.parametrize("change", ["darker", "brighter"])
def test_global_illumination_change_is_neither_moved_nor_motion(change: str) -> None:
    if change == "darker":
        lit = (BG * 0.5).astype(np.uint8)
    else:
        lit = np.clip(BG.astype(np.int16) + 45, 0, 255).astype(np.uint8)
    feed = Feed(camera())
    feed.run(15, normal)
    feed.run(25, lambda t: lit)
    assert feed.log == []


def test_a_person_walking_is_no_fault() -> None:
    feed = Feed(camera())
    feed.run(40, lambda t: with_person(BG, 0.1 + (t % 20) * 0.04, 0.6))
    assert feed.analyzer.active_health() == frozenset()
    assert {f.code for _, f in feed.log} <= {VideoCode.MOTION}


@pytest.mark.parametrize(
    ("code", "make"),
    [
        (VideoCode.FROZEN, None),
        (VideoCode.BLACK, lambda: np.full_like(BG, 12)),
        (VideoCode.MOVED, lambda: background(seed=5)),
        (VideoCode.BLUR, lambda: cv2.GaussianBlur(BG, (0, 0), 4)),
    ],
)
def test_keyframe_only_cadence_still_detects_faults(code: VideoCode, make: object) -> None:
    feed = Feed(camera(keyframes_only=True), fps=0.5)  # one keyframe every 2 s
    feed.run(20, normal)
    picture = with_noise(BG, 1) if make is None else make()  # type: ignore[operator]
    feed.run(30, lambda t: picture, noise=make is not None)
    starts = feed.times(code)
    assert len(starts) == 1
    assert 20 + 4 <= starts[0] <= 20 + 14
    feed.run(20, normal)
    assert len(feed.times(code, restore=True)) == 1
    assert feed.analyzer.active_health() == frozenset()


def test_persistence_is_configurable() -> None:
    settings = HealthSettings(persist={VideoCode.BLACK: 1.0}, restore_after=1.0, warmup=2.0)
    feed = Feed(camera(), health=settings)
    feed.run(3, normal)
    feed.run(3, lambda t: np.zeros_like(BG))
    assert feed.times(VideoCode.BLACK) == [pytest.approx(4.0, abs=0.3)]
    feed.run(3, normal)
    assert feed.times(VideoCode.BLACK, restore=True) == [pytest.approx(7.0, abs=0.3)]
