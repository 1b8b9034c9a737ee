"""Synthetic luma frames for the analytics tests: a textured scene, movers, a live clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np

from vigie.analytics import CameraAnalyzer, Finding
from vigie.domain.video import Camera, VideoCode

W, H = 640, 360
T0 = datetime(2026, 11, 30, 10, 0, 0, tzinfo=UTC)  # a Monday, 11:00 in Paris


def background(seed: int = 1, width: int = W, height: int = H) -> np.ndarray:
    """A street-like texture: rectangles of many greys with sharp edges."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width), 120, np.uint8)
    for _ in range(220):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(6, width // 6)), int(rng.integers(6, height // 6))
        cv2.rectangle(image, (x, y), (x + w, y + h), int(rng.integers(60, 230)), -1)
    return image


def with_clock(image: np.ndarray, at: datetime) -> np.ndarray:
    """The camera's OSD: a live clock burned in at the top-left."""
    out = image.copy()
    out[:28, :260] = 0
    cv2.putText(
        out, at.strftime("%Y-%m-%d %H:%M:%S"), (6, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1
    )
    return out


_NOISE: dict[tuple[int, ...], list[np.ndarray]] = {}


def with_noise(image: np.ndarray, index: int, sigma: float = 2.0) -> np.ndarray:
    """Sensor noise: a live camera never gives two identical pictures (``index`` = frame)."""
    patterns = _NOISE.get(image.shape)
    if patterns is None:
        rng = np.random.default_rng(11)
        patterns = [rng.normal(0.0, sigma, image.shape).astype(np.int16) for _ in range(5)]
        _NOISE[image.shape] = patterns
    noisy = image.astype(np.int16) + patterns[index % len(patterns)]
    return np.clip(noisy, 0, 255).astype(np.uint8)


def with_person(image: np.ndarray, cx: float, cy: float, size: float = 0.22) -> np.ndarray:
    """A dark upright ellipse (a walker) centred at the normalised point (cx, cy)."""
    out = image.copy()
    h, w = out.shape
    axes = (max(2, int(size * h * 0.22)), max(4, int(size * h * 0.5)))
    cv2.ellipse(out, (int(cx * w), int(cy * h)), axes, 0, 0, 360, 25, -1)
    return out


class Feed:
    """Feeds an analyzer frames at a cadence and collects its findings with their times."""

    def __init__(self, camera: Camera, fps: float = 5.0, **kwargs: object) -> None:
        self.analyzer = CameraAnalyzer(camera, **kwargs)  # type: ignore[arg-type]
        self.period = 1.0 / fps
        self.at = T0
        self.frames = 0
        self.log: list[tuple[float, Finding]] = []

    @property
    def elapsed(self) -> float:
        return (self.at - T0).total_seconds()

    def run(
        self, seconds: float, draw: Callable[[float], np.ndarray], *, noise: bool = True
    ) -> list[Finding]:
        """Feed ``seconds`` of frames; ``draw(t)`` gives the picture (without clock) at t."""
        found: list[Finding] = []
        end = self.elapsed + seconds
        while self.elapsed < end - 1e-9:
            picture = draw(self.elapsed)
            if noise:
                picture = with_noise(picture, self.frames)
            frame = with_clock(picture, self.at)
            new = self.analyzer.analyze(frame, self.at)
            self.log.extend((self.elapsed, f) for f in new)
            found.extend(new)
            self.at += timedelta(seconds=self.period)
            self.frames += 1
        return found

    def times(self, code: VideoCode, restore: bool = False) -> list[float]:
        """When findings of ``code`` (starts, or restores) came, seconds from the start."""
        return [t for t, f in self.log if f.code == code and f.restore == restore]

    def codes(self) -> set[VideoCode]:
        return {f.code for _, f in self.log}


def camera(**kwargs: object) -> Camera:
    fields: dict[str, object] = {
        "id": "cam1",
        "site_id": "site1",
        "name": "Entrée",
        "main_url": "rtsp://127.0.0.1/x",
    }
    fields.update(kwargs)
    return Camera(**fields)  # type: ignore[arg-type]
