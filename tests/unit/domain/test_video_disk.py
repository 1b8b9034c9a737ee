"""The low-disk guard's pure decisions: the setting, how much to free, which segments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigie.config import ConfigError, load_settings
from vigie.domain.video import Segment
from vigie.domain.video_disk import MinFree, bytes_to_free, parse_min_free, plan_deletions
from vigie.domain.video_media import LegalHold

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GIB = 1024**3


def _segment(camera_id: str, second: int, size: int = 1000, seg_id: int = 0) -> Segment:
    start = T0 + timedelta(seconds=second)
    return Segment(camera_id, start, start + timedelta(seconds=10), f"/{camera_id}/{second}", size,
                   id=seg_id or second + 1)  # fmt: skip


def _hold(camera_id: str, first: int, last: int, released: bool = False) -> LegalHold:
    return LegalHold(
        camera_id, T0 + timedelta(seconds=first), T0 + timedelta(seconds=last), "vol", "PV 1",
        "chef", T0, released_at=T0 if released else None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5%", MinFree(percent=5.0)),
        (" 2.5 % ", MinFree(percent=2.5)),
        ("0%", MinFree(percent=0.0)),
        ("2G", MinFree(size=2 * GIB)),
        ("2GiB", MinFree(size=2 * GIB)),
        ("1.5g", MinFree(size=int(1.5 * GIB))),
        ("500M", MinFree(size=500 * 1024**2)),
        ("1T", MinFree(size=1024**4)),
        ("4096", MinFree(size=4096)),
    ],
)
def test_the_setting_is_a_share_or_a_size(text: str, expected: MinFree) -> None:
    assert parse_min_free(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "5 %%", "100%", "-1%", "-2G", "2X", "G", "2 G B"])
def test_a_bad_setting_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="share of the disk"):
        parse_min_free(text)


def test_a_bad_setting_stops_the_start_naming_it() -> None:
    assert load_settings().video_min_free == "5%"
    assert load_settings(video_min_free="2G").video_min_free == "2G"
    with pytest.raises(ConfigError, match=r"video_min_free \(VIGIE_VIDEO_MIN_FREE\).*'two gigs'"):
        load_settings(video_min_free="two gigs")


def test_thresholds_and_what_to_free() -> None:
    assert MinFree(percent=5).threshold(1000 * GIB) == 50 * GIB
    assert MinFree(size=2 * GIB).threshold(1000 * GIB) == 2 * GIB
    assert MinFree(size=2 * GIB).threshold(GIB) == GIB  # never more than the disk
    total = 100_000
    assert bytes_to_free(total, 20_000, MinFree(percent=20)) == 0  # at the threshold: fine
    # below: back to the threshold plus 1 % of the disk
    assert bytes_to_free(total, 19_999, MinFree(percent=20)) == 1001
    assert bytes_to_free(total, 0, MinFree(size=1000), margin_fraction=0.0) == 1000
    # the margin is capped (5 GiB by default): 1 % of 10 TiB would be 100 GiB
    big = 10 * 1024**4
    assert bytes_to_free(big, 0, MinFree(size=GIB)) == GIB + 5 * GIB


def test_the_oldest_unheld_segments_go_first_across_cameras() -> None:
    segments = [_segment("CAM-B", s) for s in (5, 15, 25)] + [
        _segment("CAM-A", s) for s in (30, 0, 10, 20)
    ]
    holds = [
        _hold("CAM-B", 6, 7),  # keeps CAM-B's first segment (5..15)
        _hold("CAM-A", 0, 1, released=True),  # released: protects nothing
        _hold("CAM-C", 0, 100),  # another camera's hold: not these
    ]
    plan = plan_deletions(segments, 3500, holds)
    chosen = [(s.camera_id, int((s.start - T0).total_seconds())) for s in plan.delete]
    assert chosen == [("CAM-A", 0), ("CAM-A", 10), ("CAM-B", 15), ("CAM-A", 20)]
    assert (plan.frees, plan.kept_by_hold, plan.short_by) == (4000, 1, 0)


def test_sizes_count_and_nothing_is_chosen_when_nothing_is_needed() -> None:
    segments = [_segment("CAM-A", 0, size=5000), _segment("CAM-A", 10, size=10)]
    assert [s.size for s in plan_deletions(segments, 4000, []).delete] == [5000]
    assert plan_deletions(segments, 0, []).delete == ()


def test_when_everything_is_held_nothing_goes_and_the_shortfall_is_told() -> None:
    segments = [_segment("CAM-A", s) for s in (0, 10, 20)]
    plan = plan_deletions(segments, 2500, [_hold("CAM-A", 0, 15)])
    assert [int((s.start - T0).total_seconds()) for s in plan.delete] == [20]
    assert (plan.frees, plan.kept_by_hold, plan.short_by) == (1000, 2, 1500)
    nothing = plan_deletions(segments, 2500, [_hold("CAM-A", 0, 100)])
    assert (nothing.delete, nothing.kept_by_hold, nothing.short_by) == ((), 3, 2500)
