"""Camera faults from cheap statistics of the analysis frame (reference video §3.4).

Lessons applied: an OSD clock keeps changing on a frozen or black camera, so every
measure ignores the OSD masks (or, without any, the top and bottom bands) and uses
fractions of pixels rather than means; sharpness and the scene are compared with a
baseline learnt on this camera while healthy, never with absolute thresholds; every
fault has a persistence and a hysteresis (``Persistence`` plus start/restore thresholds);
a global brightness change keeps the scene's normalised correlation, so it is not MOVED.

* FROZEN: (almost) no pixel changed since the previous frame.
* BLACK / BLINDED: most pixels very dark / saturated.
* BLUR: Laplacian contrast relative to the picture's own contrast far below the baseline.
* MOVED: normalised cross-correlation of a coarse picture with the reference is low.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from vigie.analytics.findings import Finding, Persistence
from vigie.analytics.frames import Gray
from vigie.domain.video import VideoCode

__all__ = ["HealthMonitor", "HealthSettings"]

logger = logging.getLogger(__name__)

_CHECKED = (
    VideoCode.FROZEN,
    VideoCode.BLACK,
    VideoCode.BLINDED,
    VideoCode.BLUR,
    VideoCode.MOVED,
)
_LABELS = {
    VideoCode.FROZEN: "image figée",
    VideoCode.BLACK: "image noire",
    VideoCode.BLINDED: "image éblouie",
    VideoCode.BLUR: "image floue",
    VideoCode.MOVED: "scène changée (caméra déplacée ou masquée)",
}


def _default_persist() -> dict[VideoCode, float]:
    return {
        VideoCode.FROZEN: 10.0,
        VideoCode.BLACK: 5.0,
        VideoCode.BLINDED: 5.0,
        VideoCode.BLUR: 10.0,
        VideoCode.MOVED: 10.0,
    }


@dataclass(frozen=True, slots=True)
class HealthSettings:
    persist: dict[VideoCode, float] = field(default_factory=_default_persist)
    restore_after: float = 5.0  # seconds healthy before a fault restores
    osd_band: float = 0.10  # top and bottom bands ignored when the camera has no OSD mask
    frozen_level: int = 2  # grey levels of change that count as "changed"
    frozen_fraction: float = 0.005  # below this fraction of changed pixels: frozen
    dark_level: int = 32  # Y at or below this is "black" (limited range black is 16)
    dark_start: float = 0.95
    dark_restore: float = 0.85
    bright_level: int = 225  # Y at or above this is "dazzled" (limited range white is 235)
    bright_start: float = 0.85
    bright_restore: float = 0.70
    blur_start: float = 0.40  # sharpness below this fraction of the baseline
    blur_restore: float = 0.60
    moved_start: float = 0.45  # correlation with the reference below this
    moved_restore: float = 0.65
    min_contrast: float = 6.0  # grey-level std below which sharpness/scene are not judged
    slow_interval: float = 0.5  # seconds between sharpness/scene measures (the costly ones)
    warmup: float = 10.0  # seconds of healthy pictures before the baselines exist
    baseline_tau: float = 600.0  # seconds: how slowly the baselines follow a healthy scene


@dataclass(slots=True)
class _Stats:
    dark: float
    bright: float
    changed: float | None  # None: no previous frame
    fresh: bool = False  # sharpness and scene measured on this frame
    sharpness: float | None = None  # None: not enough contrast to judge
    coarse: NDArray[np.float32] | None = None  # normalised coarse picture (valid pixels)


class HealthMonitor:
    """Fault detectors of one camera; feed it analysis frames in time order."""

    def __init__(self, settings: HealthSettings | None = None) -> None:
        self.settings = settings or HealthSettings()
        s = self.settings
        self._faults = {
            code: Persistence(s.persist.get(code, 10.0), s.restore_after) for code in _CHECKED
        }
        self._reset_baselines()
        self._previous: Gray | None = None
        self._coarse_index: NDArray[np.bool_] | None = None
        self._slow_at: float | None = None
        self._slow = {VideoCode.BLUR: False, VideoCode.MOVED: False}
        self._last_sharpness: float | None = None

    def _reset_baselines(self) -> None:
        self._warm_start: float | None = None
        self._warm_sharpness: list[float] = []
        self._warm_coarse: list[NDArray[np.float32]] = []
        self.sharpness_baseline: float | None = None
        self.reference: NDArray[np.float32] | None = None
        self._last_at: float | None = None
        self.last_correlation: float | None = None

    # -- public ---------------------------------------------------------------------------

    def active(self) -> frozenset[VideoCode]:
        return frozenset(code for code, p in self._faults.items() if p.active)

    @property
    def suppress_motion(self) -> bool:
        """Motion from this picture is not to be believed (fault active or starting)."""
        if any(p.active for p in self._faults.values()):
            return True
        return any(
            self._faults[code].pending
            for code in (VideoCode.BLACK, VideoCode.BLINDED, VideoCode.BLUR)
        )

    def update(self, small: Gray, valid: Gray, at: float) -> list[Finding]:
        """Judge one frame; ``valid`` = 255 where the picture is judged (OSD excluded)."""
        if self._previous is not None and self._previous.shape != small.shape:
            logger.info("analysis size changed to %s: relearning baselines", small.shape)
            self._previous = None
            self._coarse_index = None
            self._reset_baselines()
        stats = self._measure(small, valid, at)
        self._previous = small.copy()
        conditions = self._conditions(stats)
        findings: list[Finding] = []
        for code, condition in conditions.items():
            change = self._faults[code].update(condition, at)
            if change is not None:
                findings.append(self._finding(code, not change, stats))
                logger.info("health %s %s", code.value, "started" if change else "restored")
        self._learn(stats, conditions, at)
        return findings

    # -- measures -------------------------------------------------------------------------

    def _measure(self, small: Gray, valid: Gray, at: float) -> _Stats:
        s = self.settings
        total = float(cv2.countNonZero(valid)) or 1.0
        below = cv2.threshold(small, s.dark_level, 255, cv2.THRESH_BINARY_INV)[1]
        dark = cv2.countNonZero(cv2.bitwise_and(below, valid)) / total
        above = cv2.threshold(small, s.bright_level - 1, 255, cv2.THRESH_BINARY)[1]
        bright = cv2.countNonZero(cv2.bitwise_and(above, valid)) / total
        changed = None
        if self._previous is not None:
            diff = cv2.bitwise_and(cv2.absdiff(small, self._previous), valid)
            moved_px = cv2.countNonZero(cv2.threshold(diff, s.frozen_level, 255, 0)[1])
            changed = moved_px / total
        stats = _Stats(dark, bright, changed)
        due = self._slow_at is None or not 0 <= at - self._slow_at < s.slow_interval
        if due or (changed is not None and changed > 0.3):  # a sudden change: judge now
            self._slow_at = at
            stats.fresh = True
            _, std = cv2.meanStdDev(small, mask=valid)
            contrast = float(std[0, 0])
            if contrast >= s.min_contrast:
                lap = cv2.Laplacian(small, cv2.CV_16S, ksize=1)
                lap_std = float(cv2.meanStdDev(lap, mask=valid)[1][0, 0])
                stats.sharpness = lap_std / (contrast + 1.0)
                stats.coarse = self._coarse(small, valid)
            self._last_sharpness = stats.sharpness
        return stats

    def _coarse(self, small: Gray, valid: Gray) -> NDArray[np.float32] | None:
        h, w = small.shape
        size = (max(1, w // 4), max(1, h // 4))
        tiny = cv2.resize(small, size, interpolation=cv2.INTER_AREA)
        if self._coarse_index is None or self._coarse_index.shape != tiny.shape:
            self._coarse_index = cv2.resize(valid, size, interpolation=cv2.INTER_NEAREST) > 0
        values = tiny[self._coarse_index].astype(np.float32)
        if values.size < 16:
            return None
        std = float(values.std())
        if std < 1.0:
            return None
        normalised: NDArray[np.float32] = (values - values.mean()) / std
        return normalised

    # -- verdicts -------------------------------------------------------------------------

    def _conditions(self, st: _Stats) -> dict[VideoCode, bool]:
        s = self.settings
        f = self._faults
        black = st.dark >= (s.dark_restore if f[VideoCode.BLACK].active else s.dark_start)
        blinded = st.bright >= (s.bright_restore if f[VideoCode.BLINDED].active else s.bright_start)
        judged = not (black or blinded)
        frozen = judged and st.changed is not None and st.changed < s.frozen_fraction
        if not st.fresh:  # sharpness and scene as last measured
            blur = judged and self._slow[VideoCode.BLUR]
            moved = judged and self._slow[VideoCode.MOVED]
            return {
                VideoCode.FROZEN: frozen,
                VideoCode.BLACK: black,
                VideoCode.BLINDED: blinded,
                VideoCode.BLUR: blur,
                VideoCode.MOVED: moved,
            }
        blur = False
        if judged and self.sharpness_baseline and st.sharpness is not None:
            limit = s.blur_restore if f[VideoCode.BLUR].active else s.blur_start
            blur = st.sharpness < limit * self.sharpness_baseline
        moved = False
        self.last_correlation = None
        ref = self.reference
        if judged and ref is not None and st.coarse is not None and st.coarse.shape == ref.shape:
            self.last_correlation = float(np.dot(st.coarse, ref)) / st.coarse.size
            limit = s.moved_restore if f[VideoCode.MOVED].active else s.moved_start
            moved = self.last_correlation < limit
        self._slow = {VideoCode.BLUR: blur, VideoCode.MOVED: moved}
        return {
            VideoCode.FROZEN: frozen,
            VideoCode.BLACK: black,
            VideoCode.BLINDED: blinded,
            VideoCode.BLUR: blur,
            VideoCode.MOVED: moved,
        }

    def _finding(self, code: VideoCode, restore: bool, st: _Stats) -> Finding:
        score: float | None = None
        if code is VideoCode.BLACK:
            score = st.dark
        elif code is VideoCode.BLINDED:
            score = st.bright
        elif code is VideoCode.BLUR and self._last_sharpness and self.sharpness_baseline:
            score = self._last_sharpness / self.sharpness_baseline
        elif code is VideoCode.MOVED:
            score = self.last_correlation
        detail = _LABELS[code] + (" : rétablie" if restore else "")
        return Finding(code, restore, detail, score)

    # -- baselines ------------------------------------------------------------------------

    def _learn(self, st: _Stats, conditions: dict[VideoCode, bool], at: float) -> None:
        if not st.fresh:
            return
        s = self.settings
        last = self._last_at
        self._last_at = at
        healthy = not any(conditions.values()) and not any(p.active for p in self._faults.values())
        if not healthy or st.sharpness is None or st.coarse is None:
            return
        if self.sharpness_baseline is None or self.reference is None:
            if self._warm_start is None:
                self._warm_start = at
            self._warm_sharpness.append(st.sharpness)
            if not self._warm_coarse or self._warm_coarse[0].shape == st.coarse.shape:
                self._warm_coarse.append(st.coarse)
            if at - self._warm_start >= s.warmup and len(self._warm_sharpness) >= 3:
                self.sharpness_baseline = float(np.median(self._warm_sharpness))
                self.reference = _normalise(np.mean(self._warm_coarse, axis=0))
                self._warm_sharpness.clear()
                self._warm_coarse.clear()
                logger.info("baselines learnt (sharpness %.3f)", self.sharpness_baseline)
            return
        dt = 0.0 if last is None else max(0.0, at - last)
        rate = min(1.0, dt / s.baseline_tau)
        if rate <= 0.0:
            return
        if st.sharpness >= s.blur_restore * self.sharpness_baseline:
            self.sharpness_baseline += (st.sharpness - self.sharpness_baseline) * rate
        # The scene drifts (shadows, parked cars): follow it whenever it is not a candidate.
        if st.coarse.shape == self.reference.shape:
            self.reference = _normalise(self.reference * (1.0 - rate) + st.coarse * rate)


def _normalise(values: NDArray[np.floating]) -> NDArray[np.float32]:
    values = values.astype(np.float32)
    std = float(values.std()) or 1.0
    out: NDArray[np.float32] = (values - values.mean()) / std
    return out
