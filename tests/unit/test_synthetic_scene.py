"""The synthetic scene shows each camera fault in a way a detector can measure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from vigie.adapters.video.synthetic.scene import Mode, Scene

AT = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def gray(image: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))


def outside_clock(scene: Scene, image: np.ndarray) -> np.ndarray:
    """The picture with the clock band cut off (the band is the clock's height)."""
    _, _, _, y1 = scene.clock_box
    return gray(image)[int(np.ceil(y1 * scene.height)) + 1 :]


def sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(image, cv2.CV_64F).var())


def frame_in(scene: Scene, mode: Mode, index: int = 30) -> np.ndarray:
    scene.mode = mode
    return outside_clock(scene, scene.frame(index, AT))


def test_default_frame_is_640x360_bgr_and_deterministic() -> None:
    a = Scene(seed=3).frame(17, AT)
    b = Scene(seed=3).frame(17, AT)
    assert a.shape == (360, 640, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, Scene(seed=4).frame(17, AT))


def test_size_is_configurable() -> None:
    assert Scene(width=320, height=180).frame(0, AT).shape == (180, 320, 3)


def test_people_move_and_stay_in_their_region() -> None:
    region = (0.55, 0.5, 0.95, 0.95)
    scene = Scene(people=1, walk_region=region, fps=10)
    before, after = (
        outside_clock(scene, scene.frame(0, AT)),
        outside_clock(scene, scene.frame(10, AT)),
    )
    moved = cv2.absdiff(before, after) > 40
    ys, xs = np.nonzero(moved)
    assert xs.size > 200, "the walker should visibly move in one second"
    offset = scene.height - before.shape[0]
    assert xs.min() >= region[0] * scene.width - 2
    assert (ys + offset).min() >= region[1] * scene.height - 2
    x0, y0, x1, y1 = scene.person_boxes(10)[0]
    assert region[0] <= x0 < x1 <= region[2] and region[1] <= y0 < y1 <= region[3]
    assert 0.2 <= (y1 - y0) <= 0.3, "a person is about a quarter of the frame height"


def test_nobody_and_zero_people_show_the_empty_street() -> None:
    nobody = Scene(people=2)
    empty = Scene(people=0)
    # the same street, only the sensor's noise (a few grey levels) differs
    for a, b in (
        (frame_in(nobody, Mode.NOBODY, 5), frame_in(nobody, Mode.NOBODY, 25)),
        (frame_in(empty, Mode.NORMAL, 5), frame_in(empty, Mode.NORMAL, 25)),
    ):
        difference = np.abs(a.astype(np.int16) - b.astype(np.int16))
        assert difference.max() <= 6
        assert difference.mean() > 0.5  # a live sensor is never bit-identical


def test_a_frozen_picture_repeats_itself_noise_included() -> None:
    scene = Scene()
    assert np.array_equal(scene.picture(7, Mode.FROZEN), scene.picture(7, Mode.FROZEN))


def test_black_and_blinded() -> None:
    scene = Scene()
    assert frame_in(scene, Mode.BLACK).mean() < 20
    assert frame_in(scene, Mode.BLINDED).mean() > 235


def test_frozen_picture_stops_but_the_clock_keeps_ticking() -> None:
    scene = Scene(people=2)
    scene.frame(40, AT)
    scene.mode = Mode.FROZEN
    first = scene.frame(41, AT)
    later = scene.frame(80, AT + timedelta(seconds=3))
    assert np.array_equal(outside_clock(scene, first), outside_clock(scene, later))
    assert not np.array_equal(first, later), "the clock overlay must still change"
    scene.mode = Mode.NORMAL
    assert not np.array_equal(
        outside_clock(scene, scene.frame(81, AT)), outside_clock(scene, first)
    )


def test_clock_is_drawn_in_every_mode() -> None:
    scene = Scene()
    x0, y0, x1, y1 = scene.clock_box
    band = (slice(int(y0 * 360), int(y1 * 360)), slice(int(x0 * 640), int(x1 * 640)))
    for mode in Mode:
        scene.mode = mode
        clock = gray(scene.frame(0, AT))[band]
        assert (clock > 200).sum() > 100, mode  # white digits on a black box
        assert (clock < 30).sum() > clock.size // 2, mode


def test_blur_is_much_less_sharp() -> None:
    scene = Scene()
    normal = sharpness(frame_in(scene, Mode.NORMAL))
    blurred = sharpness(frame_in(scene, Mode.BLUR))
    assert normal > 500
    assert blurred < normal / 20


def test_moved_camera_sees_another_part_of_the_street() -> None:
    scene = Scene(people=0)
    normal = frame_in(scene, Mode.NORMAL)
    moved = frame_in(scene, Mode.MOVED)
    edges_normal = cv2.Canny(normal, 80, 160) > 0
    edges_moved = cv2.Canny(moved, 80, 160) > 0
    overlap = (edges_normal & edges_moved).sum() / max(1, edges_normal.sum())
    assert overlap < 0.3
    assert sharpness(moved) > 300, "still a sharp picture, just of the wrong place"


def test_bad_region_is_refused() -> None:
    with pytest.raises(ValueError):
        Scene(walk_region=(0.5, 0.5, 0.4, 0.9))
