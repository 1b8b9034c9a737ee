"""The analysis of one camera: luma frame in, findings out (interface B).

Pure and single-threaded: the camera worker calls ``analyze`` with each analysed frame's
Y plane and its UTC time. The frame is reduced to about 320 px wide, judged for faults,
then searched for motion (outside the motion masks); motion feeds the person detector
(at most ``person_rate`` inferences per second, on the motion region only) and the rules.
While a fault is active or a picture-quality fault is starting, motion is not reported: a
camera going black is not an intruder.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from vigie.analytics.findings import Finding
from vigie.analytics.frames import Box, Gray, as_gray, band_mask, downscale, polygon_mask
from vigie.analytics.health import HealthMonitor, HealthSettings
from vigie.analytics.motion import NO_MOTION, Motion, MotionDetector, MotionSettings
from vigie.analytics.people import Detection, HogPersonDetector, PersonDetector
from vigie.analytics.rules import RuleEngine
from vigie.domain.video import Camera, VideoCode

__all__ = ["CameraAnalyzer"]

logger = logging.getLogger(__name__)

DETECT_WIDTH = 640  # the person detector sees the frame reduced to about this width
PERSON_MEMORY = 2.0  # seconds a detected person counts for the rules


class CameraAnalyzer:
    """Faults, motion, persons and alarm rules of one camera."""

    def __init__(
        self,
        camera: Camera,
        *,
        timezone: str = "Europe/Paris",
        detector: PersonDetector | None = None,
        health: HealthSettings | None = None,
        motion: MotionSettings | None = None,
        person_rate: float = 2.0,
        quiet: float = 5.0,
    ) -> None:
        self.camera = camera
        self._health = HealthMonitor(health)
        self._motion = MotionDetector(motion)
        self._rules = RuleEngine(camera, ZoneInfo(timezone), quiet=quiet)
        self._detector = detector
        if detector is None and self._rules.wants_person:
            self._detector = HogPersonDetector()
        self._person_interval = 1.0 / person_rate if person_rate > 0 else float("inf")
        self._last_detection: float | None = None
        self._persons: list[Detection] = []
        self._persons_at = 0.0
        self._masks: tuple[tuple[int, int], Gray, Gray | None] | None = None
        self._boxes: tuple[Box, ...] = ()

    @property
    def last_motion_boxes(self) -> tuple[Box, ...]:
        """Normalised (x, y, w, h) boxes of what moved in the last analysed frame."""
        return self._boxes

    def active_health(self) -> frozenset[VideoCode]:
        return self._health.active()

    def analyze(self, y: np.ndarray, at: datetime) -> list[Finding]:
        """Findings (starts and restores) for the luma plane ``y`` taken at ``at`` (UTC)."""
        gray = as_gray(y)
        small = downscale(gray)
        ts = at.timestamp()
        valid, keep = self._masks_for(small)
        findings = self._health.update(small, valid, ts)
        motion = self._motion.detect(small, ts, keep)
        if self._health.suppress_motion:
            motion = NO_MOTION
        elif motion.boxes and not self.camera.osd_masks:
            motion = _outside_bands(motion, self._health.settings.osd_band)
        self._boxes = motion.boxes
        persons = self._people(gray, motion, ts)
        findings.extend(self._rules.update(motion, persons, (small.shape[1], small.shape[0]), at))
        return findings

    def _masks_for(self, small: Gray) -> tuple[Gray, Gray | None]:
        """(health mask: 255 where judged, motion mask: 255 where motion counts)."""
        size = (small.shape[1], small.shape[0])
        if self._masks is None or self._masks[0] != size:
            cam = self.camera
            if cam.osd_masks:
                ignored = polygon_mask(size, cam.osd_masks)
            else:
                ignored = band_mask(size, self._health.settings.osd_band)
            valid = cv2.bitwise_not(ignored)
            if not cv2.countNonZero(valid):
                valid = np.full_like(ignored, 255)
            keep = None
            if cam.motion_masks or cam.osd_masks:
                keep = cv2.bitwise_not(polygon_mask(size, cam.motion_masks + cam.osd_masks))
            self._masks = (size, valid, keep)
        return self._masks[1], self._masks[2]

    def _people(self, gray: Gray, motion: Motion, ts: float) -> list[Detection]:
        """People seen in the last ``PERSON_MEMORY`` s, detecting again when due."""
        if ts - self._persons_at > PERSON_MEMORY:
            self._persons = []
        if self._detector is None or not motion.boxes:
            return self._persons
        if self._last_detection is not None and 0 <= ts - self._last_detection < (
            self._person_interval
        ):
            return self._persons
        self._last_detection = ts
        x0 = min(b[0] for b in motion.boxes)
        y0 = min(b[1] for b in motion.boxes)
        x1 = max(b[0] + b[2] for b in motion.boxes)
        y1 = max(b[1] + b[3] for b in motion.boxes)
        try:
            found = self._detector.detect(downscale(gray, DETECT_WIDTH), (x0, y0, x1 - x0, y1 - y0))
        except Exception:
            logger.exception("person detector failed on camera %s", self.camera.id)
            return self._persons
        if found:
            self._persons = found
            self._persons_at = ts
        return self._persons


def _outside_bands(motion: Motion, band: float) -> Motion:
    """Without OSD masks, a blob wholly inside the top or bottom band is the OSD's text."""
    kept = [
        (box, area)
        for box, area in zip(motion.boxes, motion.areas, strict=True)
        if not (box[1] + box[3] <= band or box[1] >= 1.0 - band)
    ]
    if len(kept) == len(motion.boxes):
        return motion
    return replace(motion, boxes=tuple(b for b, _ in kept), areas=tuple(a for _, a in kept))
