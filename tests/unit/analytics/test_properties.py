"""Whatever a decoder hands over, the analysis answers without raising; the API is locked."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import vigie.analytics as analytics
from vigie.analytics import CameraAnalyzer
from vigie.domain.video import HEALTH_CODES, LineRule, VideoCode, ZoneRule

from .pictures import T0, camera

unit = st.floats(0.0, 1.0, allow_nan=False)
point = st.tuples(unit, unit)
polygon = st.lists(point, min_size=3, max_size=6).map(tuple)


@st.composite
def frames(draw: st.DrawFn) -> np.ndarray:
    h = draw(st.integers(1, 200))
    w = draw(st.integers(1, 360))
    kind = draw(st.sampled_from(["zeros", "full", "random", "view"]))
    if kind == "zeros":
        return np.zeros((h, w), np.uint8)
    if kind == "full":
        return np.full((h, w), draw(st.integers(0, 255)), np.uint8)
    seed = draw(st.integers(0, 2**16))
    data = np.random.default_rng(seed).integers(0, 256, (h, w + 7), dtype=np.uint8)
    return data[:, :w] if kind == "view" else np.ascontiguousarray(data[:, :w])


@settings(max_examples=60)
@given(
    sequence=st.lists(
        st.tuples(frames(), st.floats(-1.0, 5.0, allow_nan=False)), min_size=1, max_size=8
    ),
    zone=polygon,
    mask=polygon,
    osd=st.lists(polygon, max_size=1),
    line=st.tuples(point, point).filter(lambda ab: ab[0] != ab[1]),
)
def test_analyze_never_raises_on_random_frames_of_random_sizes(
    sequence: list[tuple[np.ndarray, float]],
    zone: tuple,
    mask: tuple,
    osd: list,
    line: tuple,
) -> None:
    cam = camera(
        zone_rules=(ZoneRule("z", zone, min_duration=0.0),),
        line_rules=(LineRule("l", line[0], line[1]),),
        motion_masks=(mask,),
        osd_masks=tuple(osd),
    )
    analyzer = CameraAnalyzer(cam)
    at = T0
    started: set[VideoCode] = set()
    for frame, step in sequence:
        at += timedelta(seconds=step)
        for finding in analyzer.analyze(frame, at):
            if finding.restore:
                assert finding.code in started  # a restore always follows its start
                started.discard(finding.code)
            elif finding.code is not VideoCode.LINE_CROSSING:
                started.add(finding.code)
            for x, y, w, h in finding.boxes:
                assert 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 and w >= 0 and h >= 0
        assert analyzer.active_health() <= HEALTH_CODES
        assert analyzer.active_health() == frozenset(started & HEALTH_CODES)


def test_public_api_is_locked() -> None:
    assert sorted(analytics.__all__) == [
        "CameraAnalyzer",
        "DnnPersonDetector",
        "Finding",
        "HealthSettings",
        "HogPersonDetector",
        "ModelFileMissing",
        "MotionSettings",
        "PersonDetector",
        "burn_masks",
    ]
