"""Person detectors: HOG runs safely on anything; the DNN one names a missing model file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vigie.analytics import DnnPersonDetector, HogPersonDetector, ModelFileMissing
from vigie.analytics.people import parse_yolo

from .pictures import background


def test_hog_finds_nobody_on_an_empty_textured_frame() -> None:
    hog = HogPersonDetector()
    frame = background()
    assert hog.detect(frame, None) == []
    assert hog.detect(frame, (0.3, 0.4, 0.1, 0.2)) == []  # a small motion ROI is widened


@pytest.mark.parametrize("shape", [(10, 10), (127, 64), (128, 63), (130, 70), (360, 640)])
def test_hog_never_crashes_on_small_frames_or_edge_rois(shape: tuple[int, int]) -> None:
    hog = HogPersonDetector()
    frame = np.zeros(shape, np.uint8)
    assert hog.detect(frame, None) == []
    assert hog.detect(frame, (0.95, 0.95, 0.05, 0.05)) == []
    assert hog.detect(frame, (0.0, 0.0, 1.0, 1.0)) == []


def test_dnn_detector_names_the_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "yolov3-tiny.weights"
    with pytest.raises(ModelFileMissing, match=r"yolov3-tiny\.weights"):
        DnnPersonDetector(missing)
    model = tmp_path / "model.weights"
    model.write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"yolov3-tiny\.cfg"):
        DnnPersonDetector(model, tmp_path / "yolov3-tiny.cfg")


def _row(cx: float, cy: float, w: float, h: float, obj: float, person: float) -> list[float]:
    classes = [0.0] * 80
    classes[0] = person
    classes[2] = 0.95  # a car, never reported
    return [cx, cy, w, h, obj, *classes]


def test_parse_yolov5_style_rows_in_input_pixels() -> None:
    rows = np.array(
        [
            _row(160, 160, 64, 128, 0.9, 0.9),  # a person in the middle
            _row(162, 161, 60, 126, 0.8, 0.9),  # the same person again: suppressed
            _row(40, 40, 20, 40, 0.9, 0.2),  # not a person
        ],
        np.float32,
    )[None]
    found = parse_yolo([rows], 320, 0.5)
    assert len(found) == 1
    (x, y, w, h), score = found[0]
    assert (x, y, w, h) == pytest.approx((0.4, 0.3, 0.2, 0.4), abs=0.01)
    assert score == pytest.approx(0.81)


def test_parse_yolov8_transposed_and_darknet_normalised_outputs() -> None:
    v8 = np.zeros((1, 84, 3), np.float32)
    v8[0, :4, 1] = (320, 320, 100, 200)
    v8[0, 4, 1] = 0.7  # person
    found = parse_yolo([v8], 640, 0.5)
    assert len(found) == 1 and found[0][1] == pytest.approx(0.7)
    assert found[0][0] == pytest.approx((0.421875, 0.34375, 0.15625, 0.3125), abs=1e-4)
    darknet = np.array([_row(0.5, 0.5, 0.2, 0.4, 0.9, 0.6)], np.float32)
    found = parse_yolo([darknet], 416, 0.5, multiply=False)
    assert found[0][1] == pytest.approx(0.6)
    assert found[0][0] == pytest.approx((0.4, 0.3, 0.2, 0.4), abs=1e-4)
    assert parse_yolo([np.zeros((5, 7), np.float32)], 320, 0.5) == []  # unknown layout


_TINY_CFG = """[net]
width=32
height=32
channels=3

[convolutional]
filters=18
size=1
stride=1
pad=0
activation=linear

[yolo]
mask=0,1,2
anchors=8,16, 10,20, 12,24
classes=1
num=3
"""


def _tiny_darknet(folder: Path) -> tuple[Path, Path]:
    """A one-layer Darknet YOLO whose 'person' is any bright pixel: made here, no download."""
    cfg = folder / "tiny.cfg"
    cfg.write_text(_TINY_CFG)
    bias = np.zeros(18, np.float32)
    weights = np.zeros((18, 3), np.float32)
    for anchor in range(3):
        bias[anchor * 6 + 4] = -5.0  # objectness: off on dark pixels...
        weights[anchor * 6 + 4] = 10.0 / 3  # ...on for bright ones
        bias[anchor * 6 + 5] = 5.0  # class 0 (person)
    model = folder / "tiny.weights"
    header = np.array([0, 2, 0], np.int32).tobytes() + np.zeros(1, np.uint64).tobytes()
    model.write_bytes(header + bias.tobytes() + weights.tobytes())
    return model, cfg


def test_dnn_detector_runs_a_darknet_model_on_the_whole_frame_and_on_a_roi(
    tmp_path: Path,
) -> None:
    model, cfg = _tiny_darknet(tmp_path)
    detector = DnnPersonDetector(model, cfg, input_size=32, threshold=0.5, classes=1)
    frame = np.zeros((360, 640), np.uint8)
    assert detector.detect(frame, None) == []
    frame[150:210, 300:340] = 255  # the "person": x 0.47-0.53, y 0.42-0.58
    for roi in (None, (0.4, 0.3, 0.2, 0.4)):
        found = detector.detect(frame, roi)
        assert found
        for (x, y, w, h), score in found:
            assert score > 0.9
            assert 0.42 <= x + w / 2 <= 0.58 and 0.35 <= y + h / 2 <= 0.65
