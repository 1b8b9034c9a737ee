"""The low-disk guard's decisions: how much to free, and which recordings go first.

Cameras record without pause; a full disk silently stops every recording at once. So
when the free space of the video disk falls below ``VIGIE_VIDEO_MIN_FREE`` (a share of
the disk, ``5%``, or a size, ``2G``) the oldest recordings are deleted before their
retention limit, oldest first across cameras, until the free space is back above the
threshold plus a margin (so that one sweep buys some minutes, not one segment). A
segment overlapping an active legal hold of its camera is never chosen: the law's
exception to destruction outranks the recordings to come. When nothing deletable is
left, the guard says so (recording is at risk).

Pure: sizes, free bytes and holds come in as arguments. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vigie.domain.video import Segment
from vigie.domain.video_media import LegalHold

__all__ = [
    "MARGIN_CAP",
    "MARGIN_FRACTION",
    "DiskPlan",
    "MinFree",
    "bytes_to_free",
    "held",
    "parse_min_free",
    "plan_deletions",
]

MARGIN_FRACTION = 0.01  # freed beyond the threshold: 1 % of the disk ...
MARGIN_CAP = 5 * 1024**3  # ... at most 5 GiB
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$")
EXPECTED = "a share of the disk like 5% or a size like 2G (K, M, G, T: powers of 1024)"


@dataclass(frozen=True, slots=True)
class MinFree:
    """The free space to keep: ``percent`` of the disk, or ``size`` bytes."""

    percent: float | None = None
    size: int | None = None

    def threshold(self, total: int) -> int:
        if self.percent is not None:
            return int(total * self.percent / 100)
        return min(self.size or 0, total)

    def __str__(self) -> str:
        if self.percent is not None:
            return f"{self.percent:g}%"
        return f"{self.size} bytes"


def parse_min_free(text: str) -> MinFree:
    """``5%``, ``2.5%``, ``2G``, ``500M``, ``2GiB``, ``1073741824``; ValueError otherwise
    (its message says what is expected, for the setting's one-line error)."""
    value = text.strip().lower()
    if value.endswith("%"):
        try:
            percent = float(value[:-1].strip())
        except ValueError:
            raise ValueError(EXPECTED) from None
        if not 0 <= percent < 100:
            raise ValueError("a share of the disk from 0% to below 100%")
        return MinFree(percent=percent)
    found = _SIZE.match(value)
    if found is None:
        raise ValueError(EXPECTED)
    return MinFree(size=int(float(found.group(1)) * _UNITS[found.group(2)]))


def bytes_to_free(
    total: int,
    free: int,
    min_free: MinFree,
    *,
    margin_fraction: float = MARGIN_FRACTION,
    margin_cap: int = MARGIN_CAP,
) -> int:
    """0 while ``free`` is at or above the threshold; else what brings it back to the
    threshold plus the margin."""
    threshold = min_free.threshold(total)
    if free >= threshold:
        return 0
    margin = min(int(total * margin_fraction), margin_cap)
    return threshold + margin - free


@dataclass(frozen=True, slots=True)
class DiskPlan:
    delete: tuple[Segment, ...]  # oldest first
    frees: int  # bytes the deletions give back
    kept_by_hold: int  # candidates passed over because a legal hold covers them
    short_by: int  # bytes still missing once all of ``delete`` is gone (0: enough)


def held(segment: Segment, holds: Sequence[LegalHold]) -> bool:
    return any(
        h.camera_id == segment.camera_id and h.covers(segment.start, segment.end) for h in holds
    )


def plan_deletions(
    candidates: Iterable[Segment], need: int, holds: Sequence[LegalHold]
) -> DiskPlan:
    """The oldest unheld segments (by start, across cameras) whose sizes add up to
    ``need`` bytes, or all of them when they do not suffice."""
    chosen: list[Segment] = []
    frees = kept = 0
    if need <= 0:
        return DiskPlan((), 0, 0, 0)
    for segment in sorted(candidates, key=lambda s: (s.start, s.end, s.id or 0)):
        if frees >= need:
            break
        if held(segment, holds):
            kept += 1
            continue
        chosen.append(segment)
        frees += segment.size
    return DiskPlan(tuple(chosen), frees, kept, max(0, need - frees))
