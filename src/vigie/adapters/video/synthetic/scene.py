"""A synthetic camera picture: people walking in front of a building, a live clock, faults.

Tests and ``make demo`` need pictures whose content is known: where people walk (a normalised
region, so motion can be put inside or outside a detection zone), and every camera fault an
operator must be told about (frozen picture, black, blinded, defocused, knocked camera). As on a
real camera, the clock overlay keeps ticking whatever happens to the picture, so fault detection
has to cope with it. Everything but the clock is deterministic given the seed and frame index.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

__all__ = ["Mode", "Region", "Scene", "write_clip"]

logger = logging.getLogger(__name__)

Region = tuple[float, float, float, float]
"""A normalised rectangle (x0, y0, x1, y1), 0..1 from the top-left corner."""


class Mode(StrEnum):
    NORMAL = "normal"
    FROZEN = "frozen"
    BLACK = "black"
    BLINDED = "blinded"
    BLUR = "blur"
    MOVED = "moved"
    NOBODY = "nobody"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Scene:
    """Draws BGR frames (``height`` x ``width`` x 3, uint8). ``scene.mode`` switches live.

    ``walk_region`` is where the people's feet and bodies stay; ``people`` how many walk.
    ``frame(index)`` is safe to call from one thread while another changes ``mode``.
    """

    def __init__(
        self,
        *,
        width: int = 640,
        height: int = 360,
        fps: float = 15.0,
        people: int = 1,
        walk_region: Region = (0.1, 0.35, 0.9, 0.95),
        seed: int = 0,
        mode: Mode = Mode.NORMAL,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        x0, y0, x1, y1 = walk_region
        if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
            raise ValueError(f"walk_region must be inside 0..1 with x0<x1, y0<y1: {walk_region}")
        if width < 64 or height < 48 or fps <= 0 or people < 0:
            raise ValueError("scene too small, fps <= 0 or negative people")
        self.width = width
        self.height = height
        self.fps = fps
        self.people = people
        self.walk_region = walk_region
        self.seed = seed
        self._clock = clock
        self._lock = threading.Lock()
        self._mode = mode
        self._last_index = 0
        self._frozen_index = 0
        street = _street(width, height, seed)
        self._background = _view(street, width, height)
        self._moved_background = _knocked(street, width, height)
        self._paths = self._make_paths()
        # A real sensor is never still: a few grey levels of noise change from frame to
        # frame (a frozen camera repeats its last picture, noise included).
        noise_rng = np.random.default_rng(seed + 1)
        self._noise = [
            noise_rng.integers(-3, 4, size=(height, width, 1), dtype=np.int16) for _ in range(7)
        ]

    # -- live control ------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        with self._lock:
            if mode is Mode.FROZEN and self._mode is not Mode.FROZEN:
                self._frozen_index = self._last_index
            self._mode = Mode(mode)
        logger.debug("synthetic scene mode: %s", mode)

    @property
    def clock_box(self) -> Region:
        """The normalised (x0, y0, x1, y1) area covered by the clock overlay."""
        w, h = self._clock_size()
        return (0.0, 0.0, w / self.width, h / self.height)

    # -- drawing -----------------------------------------------------------------------------

    def frame(self, index: int, at: datetime | None = None) -> np.ndarray:
        """The picture number ``index`` (time = index / fps), clock showing ``at`` (or now)."""
        with self._lock:
            mode = self._mode
            frozen = self._frozen_index
            self._last_index = index
        picture = self.picture(index if mode is not Mode.FROZEN else frozen, mode)
        self._draw_clock(picture, at if at is not None else self._clock())
        return picture

    def picture(self, index: int, mode: Mode | None = None) -> np.ndarray:
        """The picture without the clock overlay (``mode`` defaults to the current one)."""
        mode = self._mode if mode is None else mode
        if mode is Mode.BLACK:
            return np.zeros((self.height, self.width, 3), np.uint8)
        if mode is Mode.BLINDED:
            return np.full((self.height, self.width, 3), 252, np.uint8)
        base = self._moved_background if mode is Mode.MOVED else self._background
        image = base.copy()
        if mode is not Mode.NOBODY:
            for path in self._paths:
                _draw_person(image, *path.at(index / self.fps))
        noise = self._noise[index % len(self._noise)]
        noisy: np.ndarray = np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        image = noisy
        if mode is Mode.BLUR:
            small = cv2.resize(
                image, (self.width // 12, self.height // 12), interpolation=cv2.INTER_AREA
            )
            image = cv2.GaussianBlur(
                cv2.resize(small, (self.width, self.height), interpolation=cv2.INTER_LINEAR),
                (0, 0),
                3.0,
            )
        return image

    def person_boxes(self, index: int) -> list[Region]:
        """Where the people are in frame ``index`` (normalised x0, y0, x1, y1), for tests."""
        boxes: list[Region] = []
        for path in self._paths:
            cx, feet, height, _ = path.at(index / self.fps)
            half = height * 0.2
            boxes.append(
                (
                    (cx - half) / self.width,
                    (feet - height) / self.height,
                    (cx + half) / self.width,
                    feet / self.height,
                )
            )
        return boxes

    # -- internals ---------------------------------------------------------------------------

    def _make_paths(self) -> list[_Path]:
        rng = np.random.default_rng(self.seed + 1)
        x0, y0, x1, y1 = self.walk_region
        person_h = self.height / 4.0
        # The whole body stays inside the region: feet between top+height and bottom.
        height = min(person_h, (y1 - y0) * self.height)
        half_w = height * 0.2
        left = x0 * self.width + half_w
        right = max(left, x1 * self.width - half_w)
        top = min(y0 * self.height + height, y1 * self.height)
        bottom = y1 * self.height
        paths: list[_Path] = []
        for _ in range(self.people):
            start = (float(rng.uniform(left, right)), float(rng.uniform(top, bottom)))
            end = (float(rng.uniform(left, right)), float(rng.uniform(top, bottom)))
            if abs(end[0] - start[0]) < (right - left) / 3:  # walk across, not on the spot
                end = (right if start[0] < (left + right) / 2 else left, end[1])
            speed = float(rng.uniform(0.10, 0.18)) * self.width  # pixels per second
            phase = float(rng.uniform(0.0, 1.0))
            shade = int(rng.integers(20, 70))
            paths.append(_Path(start, end, speed, phase, height, shade))
        return paths

    def _clock_size(self) -> tuple[int, int]:
        scale = self.height / 360.0
        return round(270 * scale), round(30 * scale)

    def _draw_clock(self, image: np.ndarray, at: datetime) -> None:
        w, h = self._clock_size()
        image[:h, :w] = 0
        scale = self.height / 360.0
        text = at.strftime("%Y-%m-%d %H:%M:%S")
        cv2.putText(
            image,
            text,
            (int(6 * scale), int(22 * scale)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6 * scale,
            (255, 255, 255),
            max(1, round(1.5 * scale)),
            cv2.LINE_AA,
        )


class _Path:
    """One walker going back and forth between two points, legs swinging."""

    def __init__(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        speed: float,
        phase: float,
        height: float,
        shade: int,
    ) -> None:
        self.start = start
        self.end = end
        self.length = max(1.0, math.dist(start, end))
        self.speed = speed
        self.phase = phase
        self.height = height
        self.shade = shade

    def at(self, seconds: float) -> tuple[float, float, float, float]:
        """(centre x, feet y, height, stride -1..1) at ``seconds``."""
        travelled = seconds * self.speed + self.phase * 2 * self.length
        leg = travelled % (2 * self.length)
        f = leg / self.length if leg <= self.length else 2 - leg / self.length
        x = self.start[0] + (self.end[0] - self.start[0]) * f
        y = self.start[1] + (self.end[1] - self.start[1]) * f
        stride = math.sin(travelled / (self.height * 0.25))
        return x, y, self.height, stride


def _draw_person(image: np.ndarray, cx: float, feet: float, height: float, stride: float) -> None:
    """A dark silhouette: head, torso, arms, two legs. Contrasts with the light background."""
    colour = (40, 30, 25)
    h = height
    head_r = max(2, int(h * 0.09))
    head_c = (int(cx), int(feet - h + head_r))
    cv2.circle(image, head_c, head_r, (70, 90, 150), -1, cv2.LINE_AA)
    top = feet - h + 2 * head_r
    hip = feet - h * 0.45
    body = np.array(
        [
            [cx - h * 0.12, top],
            [cx + h * 0.12, top],
            [cx + h * 0.10, hip],
            [cx - h * 0.10, hip],
        ],
        np.int32,
    )
    cv2.fillConvexPoly(image, body, colour, cv2.LINE_AA)
    thick = max(2, int(h * 0.07))
    swing = stride * h * 0.15
    for sign in (-1.0, 1.0):
        cv2.line(
            image,
            (int(cx + sign * h * 0.05), int(hip)),
            (int(cx + sign * swing), int(feet)),
            (60, 45, 35),
            thick,
            cv2.LINE_AA,
        )
        cv2.line(
            image,
            (int(cx + sign * h * 0.12), int(top + h * 0.03)),
            (int(cx - sign * swing * 0.7 + sign * h * 0.1), int(hip - h * 0.02)),
            colour,
            max(2, thick - 2),
            cv2.LINE_AA,
        )


def _street(width: int, height: int, seed: int) -> np.ndarray:
    """A street: sky, buildings with window grids, pavement with tiles: many sharp edges.

    Drawn 1.5 times larger than the view so the "knocked camera" can look elsewhere.
    """
    big_w, big_h = int(width * 1.5), int(height * 1.5)
    rng = np.random.default_rng(seed)
    image = np.empty((big_h, big_w, 3), np.uint8)
    sky = np.linspace(235, 175, big_h // 3).astype(np.uint8)
    image[: big_h // 3] = np.stack([sky, sky - 10, sky - 40], axis=1)[:, None, :]
    image[big_h // 3 :] = (150, 160, 165)
    x = 0
    while x < big_w:
        bw = int(rng.integers(big_w // 12, big_w // 5))
        top = int(rng.integers(big_h // 12, big_h // 3))
        wall = tuple(int(c) for c in rng.integers(110, 220, size=3))
        cv2.rectangle(image, (x, top), (x + bw, big_h * 6 // 10), wall, -1)
        cv2.rectangle(image, (x, top), (x + bw, big_h * 6 // 10), (60, 60, 60), 2)
        step = max(8, bw // 5)
        for wy in range(top + step // 2, big_h * 6 // 10 - step, step):
            for wx in range(x + step // 3, x + bw - step // 2, step):
                lit = rng.random() < 0.3
                colour = (120, 220, 240) if lit else (90, 70, 50)
                cv2.rectangle(image, (wx, wy), (wx + step // 2, wy + step // 2), colour, -1)
        x += bw + int(rng.integers(0, big_w // 40 + 1))
    ground = big_h * 6 // 10
    image[ground:] = (170, 175, 180)
    tile = max(10, big_w // 40)
    for gy in range(ground, big_h, tile):
        cv2.line(image, (0, gy), (big_w, gy), (110, 110, 115), 1)
    for gx in range(0, big_w, tile * 2):
        cv2.line(image, (gx, ground), (gx + (gx - big_w // 2) // 3, big_h), (110, 110, 115), 1)
    noise = rng.integers(-5, 6, size=(big_h, big_w, 1), dtype=np.int16)
    street: np.ndarray = np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    return street


def _view(street: np.ndarray, width: int, height: int) -> np.ndarray:
    """What the camera sees when it is where it was installed: the middle of the street."""
    big_h, big_w = street.shape[:2]
    x0, y0 = (big_w - width) // 2, (big_h - height) // 2
    return np.ascontiguousarray(street[y0 : y0 + height, x0 : x0 + width])


def _knocked(street: np.ndarray, width: int, height: int) -> np.ndarray:
    """The same street seen after the camera was knocked: shifted up-left and tilted 8°."""
    big_h, big_w = street.shape[:2]
    centre = (big_w * 0.32, big_h * 0.36)
    matrix = cv2.getRotationMatrix2D(centre, 8.0, 1.0)
    matrix[0, 2] -= centre[0] - width / 2
    matrix[1, 2] -= centre[1] - height / 2
    moved: np.ndarray = cv2.warpAffine(
        street, matrix, (width, height), borderMode=cv2.BORDER_REFLECT
    )
    return moved


def write_clip(path: Path, scene: Scene, frames: int, options: dict[str, str]) -> None:
    """An H.264 file of the scene's first ``frames`` pictures at its own size and rate,
    encoded with libx264 and ``options`` (preset, GOP, bitrate...): tests and benchmarks."""
    with av.open(str(path), "w") as out:
        rate = Fraction(scene.fps).limit_denominator(1001)
        stream = out.add_stream("libx264", rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = scene.width, scene.height, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(scene.frame(i), format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
