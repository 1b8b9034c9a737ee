"""Cheap picture preparation: the analysis-size luma frame and rasterised polygons.

Every analysis runs on a small grey picture (about 320 px wide): resizing by an integer
factor with ``INTER_AREA`` is several times cheaper than an arbitrary one (reference video
§3.3), so the source is cropped by at most a few pixels to a multiple of the factor. Polygons
are normalised (0..1), so a mask is rasterised once per (size, polygons) and cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from vigie.domain.video import Polygon

__all__ = [
    "ANALYSIS_WIDTH",
    "Box",
    "Gray",
    "band_mask",
    "burn_masks",
    "downscale",
    "polygon_mask",
]

ANALYSIS_WIDTH = 320
Box = tuple[float, float, float, float]  # normalised x, y, w, h
Gray = NDArray[Any]  # uint8 H x W (OpenCV's stubs type results loosely)
_SHIFT = 4  # fractional bits given to cv2.fillPoly: sub-pixel polygon corners


def as_gray(y: np.ndarray) -> Gray:
    """Check the luma plane: 2-D uint8; a view whose columns are not adjacent is copied."""
    if y.ndim != 2 or y.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 luma plane, got {y.dtype} {y.shape}")
    if y.strides[1] != 1 or y.strides[0] < 0:
        y = np.ascontiguousarray(y)
    return y


def downscale(y: Gray, width: int = ANALYSIS_WIDTH) -> Gray:
    """The frame reduced by an integer factor to about ``width`` pixels wide (aspect kept)."""
    h, w = y.shape
    factor = max(1, round(w / width))
    while factor > 1 and (h // factor < 8 or w // factor < 8):
        factor -= 1
    if factor == 1:
        return y
    h2, w2 = h // factor, w // factor
    src = y[: h2 * factor, : w2 * factor]
    small: Gray = cv2.resize(src, (w2, h2), interpolation=cv2.INTER_AREA)
    return small


def _points(polygon: Polygon, width: int, height: int) -> NDArray[np.int32]:
    scale = np.array([width, height], np.float64) * (1 << _SHIFT)
    return np.round(np.asarray(polygon, np.float64) * scale).astype(np.int32)


def _fill(image: np.ndarray, polygons: Sequence[Polygon], colour: int | tuple[int, ...]) -> None:
    h, w = image.shape[:2]
    pts = [_points(p, w, h) for p in polygons]
    cv2.fillPoly(image, pts, colour, lineType=cv2.LINE_8, shift=_SHIFT)


@lru_cache(maxsize=256)
def polygon_mask(size: tuple[int, int], polygons: tuple[Polygon, ...]) -> Gray:
    """uint8 mask (255 inside any polygon) for a (width, height) frame; cached, read-only."""
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    if polygons:
        _fill(mask, polygons, 255)
    mask.setflags(write=False)
    return mask


@lru_cache(maxsize=64)
def band_mask(size: tuple[int, int], band: float) -> Gray:
    """uint8 mask of the top and bottom ``band`` fractions (where cameras print their OSD)."""
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    rows = round(h * band)
    if rows:
        mask[:rows] = 255
        mask[h - rows :] = 255
    mask.setflags(write=False)
    return mask


def burn_masks(image: np.ndarray, polygons: Sequence[Polygon]) -> np.ndarray:
    """A copy of ``image`` (grey or BGR) with the privacy polygons filled in black."""
    out = image.copy()
    if polygons:
        colour: int | tuple[int, ...] = 0 if out.ndim == 2 else (0,) * out.shape[2]
        _fill(out, polygons, colour)
    return out
