"""Alarm rules of one camera over what moved: zones, lines, plain motion and persons.

An alarm is an *episode*: it starts once its condition has lasted ``min_duration`` (short
gaps between frames tolerated, so keyframe-only cadence works), fires once, and restores
when the condition has been gone for ``quiet`` seconds. Outside its schedules (local time of
the camera's time zone) a rule's condition is false. Line crossings come from a small
nearest-centroid tracker over the motion boxes: one finding per track and rule.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import cv2
from numpy.typing import NDArray

from vigie.analytics.findings import Finding
from vigie.analytics.frames import Box, polygon_mask
from vigie.analytics.motion import Motion
from vigie.analytics.people import Detection
from vigie.domain.video import Camera, LineRule, Point, Polygon, RuleSchedule, VideoCode

__all__ = ["Episode", "RuleEngine", "crossing_side", "merge_boxes"]

logger = logging.getLogger(__name__)

PLAIN_MOTION_AREA = 0.002  # fraction of the frame a blob needs for a plain MOTION alarm
PLAIN_MOTION_DURATION = 1.0
ZONE_OVERLAP = 0.25  # fraction of a box that must lie in the zone


class Episode:
    """Start after ``min_duration`` of condition, once; restore after ``quiet`` without."""

    def __init__(self, min_duration: float, quiet: float = 5.0, gap: float = 2.5) -> None:
        self.min_duration = min_duration
        self.quiet = quiet
        self.gap = gap
        self.fired = False
        self._first: float | None = None
        self._last = 0.0

    def update(self, condition: bool, at: float) -> bool | None:
        """True when the alarm starts now, False when it restores now."""
        if condition:
            if self._first is None or (not self.fired and at - self._last > self.gap):
                self._first = at
            self._last = max(self._last, at)
            if not self.fired and at - self._first >= self.min_duration:
                self.fired = True
                return True
            return None
        if self._first is None:
            return None
        if self.fired and at - self._last >= self.quiet:
            self.reset()
            return False
        if not self.fired and at - self._last > self.gap:
            self.reset()
        return None

    def reset(self) -> None:
        self.fired = False
        self._first = None


def armed(schedules: Sequence[RuleSchedule], local: datetime) -> bool:
    return not schedules or any(s.active(local) for s in schedules)


@lru_cache(maxsize=128)
def _integral(size: tuple[int, int], polygon: Polygon) -> NDArray[Any]:
    table: NDArray[Any] = cv2.integral(polygon_mask(size, (polygon,)) // 255)
    table.setflags(write=False)
    return table


def zone_overlap(box: Box, polygon: Polygon, size: tuple[int, int]) -> float:
    """Fraction of the box (normalised) lying inside the polygon, on a ``size`` raster."""
    w, h = size
    table = _integral(size, polygon)
    x0 = min(max(int(box[0] * w), 0), w)
    y0 = min(max(int(box[1] * h), 0), h)
    x1 = min(max(math.ceil((box[0] + box[2]) * w), x0), w)
    y1 = min(max(math.ceil((box[1] + box[3]) * h), y0), h)
    area = (x1 - x0) * (y1 - y0)
    if area <= 0:
        return 0.0
    inside = int(table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0])
    return inside / area


def merge_boxes(boxes: Sequence[Box], margin: float = 0.02) -> list[Box]:
    """Boxes closer than ``margin`` merged (the limbs of one walker are one object)."""
    merged = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if (
                    a[0] - margin <= b[0] + b[2]
                    and b[0] - margin <= a[0] + a[2]
                    and a[1] - margin <= b[1] + b[3]
                    and b[1] - margin <= a[1] + a[3]
                ):
                    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
                    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
                    merged[i] = [x0, y0, x1 - x0, y1 - y0]
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return [(b[0], b[1], b[2], b[3]) for b in merged]


def crossing_side(a: Point, b: Point, p: Point) -> float:
    """< 0: ``p`` is on the left seen from ``a`` towards ``b`` (image y points down)."""
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])


def _crosses(rule: LineRule, p0: Point, p1: Point) -> str | None:
    """'left_to_right' / 'right_to_left' when p0 -> p1 crosses the segment, else None."""
    s0, s1 = crossing_side(rule.a, rule.b, p0), crossing_side(rule.a, rule.b, p1)
    if s0 == 0 or s1 == 0 or (s0 > 0) == (s1 > 0):
        return None
    t0, t1 = crossing_side(p0, p1, rule.a), crossing_side(p0, p1, rule.b)
    if (t0 > 0) == (t1 > 0):
        return None
    return "left_to_right" if s0 < 0 else "right_to_left"


@dataclass(slots=True)
class _Track:
    centre: Point
    box: Box
    seen: float
    crossed: set[str] = field(default_factory=set)


class _Tracker:
    """Greedy nearest-centroid matching; a track not seen for ``max_age`` s is dropped."""

    def __init__(self, max_age: float = 3.0) -> None:
        self.max_age = max_age
        self.tracks: dict[int, _Track] = {}
        self._next = 0
        self._last_at: float | None = None

    def update(self, boxes: Sequence[Box], at: float) -> list[tuple[_Track, Point]]:
        """Moves of matched tracks as (track after the update, previous centre)."""
        dt = 0.0 if self._last_at is None else max(0.0, at - self._last_at)
        self._last_at = at
        reach = max(0.15, 0.25 * dt)
        centres = [(b[0] + b[2] / 2, b[1] + b[3] / 2) for b in boxes]
        pairs = sorted(
            (math.dist(t.centre, c), tid, ci)
            for tid, t in self.tracks.items()
            for ci, c in enumerate(centres)
        )
        used_t: set[int] = set()
        used_c: set[int] = set()
        moves: list[tuple[_Track, Point]] = []
        for distance, tid, ci in pairs:
            if distance > reach or tid in used_t or ci in used_c:
                continue
            used_t.add(tid)
            used_c.add(ci)
            track = self.tracks[tid]
            previous = track.centre
            track.centre, track.box, track.seen = centres[ci], boxes[ci], at
            moves.append((track, previous))
        for ci, centre in enumerate(centres):
            if ci not in used_c:
                self.tracks[self._next] = _Track(centre, boxes[ci], at)
                self._next += 1
        for tid in [t for t, tr in self.tracks.items() if at - tr.seen > self.max_age]:
            del self.tracks[tid]
        return moves


class RuleEngine:
    """The alarm rules of one camera."""

    def __init__(self, camera: Camera, timezone: ZoneInfo, *, quiet: float = 5.0) -> None:
        self.camera = camera
        self.timezone = timezone
        self._zones = [(rule, Episode(rule.min_duration, quiet)) for rule in camera.zone_rules]
        self._motion = Episode(PLAIN_MOTION_DURATION, quiet)
        self._person = Episode(0.0, quiet)
        self._tracker = _Tracker()

    @property
    def wants_person(self) -> bool:
        if self.camera.zone_rules:
            return any(rule.person for rule in self.camera.zone_rules)
        return self.camera.person_detection

    def update(
        self,
        motion: Motion,
        persons: Sequence[Detection],
        size: tuple[int, int],
        at: datetime,
    ) -> list[Finding]:
        """Findings for one analysed frame; ``persons`` = people seen recently."""
        ts = at.timestamp()
        local = at.astimezone(self.timezone)
        findings: list[Finding] = []
        for rule, episode in self._zones:
            hits: list[Box] = []
            score = 0.0
            if armed(rule.schedules, local):
                if rule.person:
                    for box, person_score in persons:
                        if motion.boxes and zone_overlap(box, rule.polygon, size) >= ZONE_OVERLAP:
                            hits.append(box)
                            score = max(score, person_score)
                else:
                    for box, area in zip(motion.boxes, motion.areas, strict=True):
                        if area < rule.min_area:
                            continue
                        overlap = zone_overlap(box, rule.polygon, size)
                        if overlap >= ZONE_OVERLAP:
                            hits.append(box)
                            score = max(score, overlap)
            change = episode.update(bool(hits), ts)
            if change is not None:
                findings.append(
                    Finding(
                        VideoCode.INTRUSION,
                        not change,
                        rule.name,
                        round(score, 3) if change else None,
                        tuple(hits) if change else (),
                    )
                )
        if not self.camera.zone_rules:
            findings.extend(self._plain(motion, persons, ts))
        findings.extend(self._lines(motion, ts, local))
        return findings

    def _plain(self, motion: Motion, persons: Sequence[Detection], ts: float) -> list[Finding]:
        findings: list[Finding] = []
        boxes = tuple(
            b for b, a in zip(motion.boxes, motion.areas, strict=True) if a >= PLAIN_MOTION_AREA
        )
        change = self._motion.update(bool(boxes), ts)
        if change is not None:
            findings.append(Finding(VideoCode.MOTION, not change, "mouvement", None, boxes))
        if self.camera.person_detection:
            seen = bool(persons) and bool(motion.boxes)
            change = self._person.update(seen, ts)
            if change is not None:
                score = max((s for _, s in persons), default=0.0) if change else None
                findings.append(
                    Finding(
                        VideoCode.PERSON,
                        not change,
                        "personne détectée",
                        None if score is None else round(score, 3),
                        tuple(b for b, _ in persons) if change else (),
                    )
                )
        return findings

    def _lines(self, motion: Motion, ts: float, local: datetime) -> list[Finding]:
        if not self.camera.line_rules:
            return []
        findings: list[Finding] = []
        for track, previous in self._tracker.update(merge_boxes(motion.boxes), ts):
            for rule in self.camera.line_rules:
                if rule.name in track.crossed or not armed(rule.schedules, local):
                    continue
                direction = _crosses(rule, previous, track.centre)
                if direction is None or rule.direction not in ("both", direction):
                    continue
                track.crossed.add(rule.name)
                logger.info("line %r crossed %s", rule.name, direction)
                findings.append(
                    Finding(VideoCode.LINE_CROSSING, False, rule.name, None, (track.box,))
                )
        return findings
