"""Person detectors behind one small port, run only on motion (reference video §3.7).

``HogPersonDetector`` is OpenCV's built-in people detector: always available, weak, good
for wiring and tests. ``DnnPersonDetector`` runs a YOLO-style model file the installer
provides (ONNX, or Darknet cfg + weights) through ``cv2.dnn``; nothing is downloaded.
Both take the grey picture and an optional normalised region of interest (the motion), and
return normalised boxes (x, y, w, h) of the whole picture with a score.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from vigie.analytics.frames import Box, Gray

__all__ = [
    "DnnPersonDetector",
    "HogPersonDetector",
    "ModelFileMissing",
    "PersonDetector",
    "parse_yolo",
]

logger = logging.getLogger(__name__)

Detection = tuple[Box, float]


class PersonDetector(Protocol):
    def detect(self, gray: Gray, roi: Box | None) -> list[Detection]: ...


class ModelFileMissing(FileNotFoundError):
    """The person detector's model file is not where the configuration says."""


def _crop(
    gray: Gray, roi: Box | None, min_w: int, min_h: int, margin: float = 0.1
) -> tuple[Gray, int, int] | None:
    """The region (widened by ``margin`` and to at least min_w x min_h) and its origin."""
    h, w = gray.shape[:2]
    if w < min_w or h < min_h:
        return None
    if roi is None:
        return gray, 0, 0
    x, y, bw, bh = roi
    x0, x1 = (x - bw * margin) * w, (x + bw * (1 + margin)) * w
    y0, y1 = (y - bh * margin) * h, (y + bh * (1 + margin)) * h
    if x1 - x0 < min_w:
        centre = (x0 + x1) / 2
        x0, x1 = centre - min_w / 2, centre + min_w / 2
    if y1 - y0 < min_h:
        centre = (y0 + y1) / 2
        y0, y1 = centre - min_h / 2, centre + min_h / 2
    ix0 = int(min(max(0.0, x0), w - min_w))
    iy0 = int(min(max(0.0, y0), h - min_h))
    ix1 = int(max(min(float(w), x1), ix0 + min_w))
    iy1 = int(max(min(float(h), y1), iy0 + min_h))
    return gray[iy0:iy1, ix0:ix1], ix0, iy0


class HogPersonDetector:
    """OpenCV's default HOG people detector, with the fast parameters measured in §3.7."""

    def __init__(
        self, *, win_stride: int = 8, padding: int = 0, scale: float = 1.15, min_score: float = 0.3
    ) -> None:
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(
            np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32)
        )
        self.win_stride = win_stride
        self.padding = padding
        self.scale = scale
        self.min_score = min_score

    def detect(self, gray: Gray, roi: Box | None) -> list[Detection]:
        crop = _crop(gray, roi, 64, 128)
        if crop is None:
            return []
        image, ox, oy = crop
        rects, weights = self._hog.detectMultiScale(
            np.ascontiguousarray(image),
            winStride=(self.win_stride, self.win_stride),
            padding=(self.padding, self.padding),
            scale=self.scale,
        )
        h, w = gray.shape[:2]
        found: list[Detection] = []
        for (x, y, bw, bh), weight in zip(rects, np.ravel(weights), strict=False):
            score = float(weight)
            if score >= self.min_score:
                found.append((((ox + x) / w, (oy + y) / h, bw / w, bh / h), score))
        return found


class DnnPersonDetector:
    """A YOLO-style model (COCO class 0 = person) through OpenCV DNN."""

    def __init__(
        self,
        model_path: str | Path,
        config_path: str | Path | None = None,
        input_size: int = 320,
        threshold: float = 0.5,
        *,
        nms: float = 0.45,
        classes: int = 80,
    ) -> None:
        # OpenCV's Darknet region layer already multiplies class scores by objectness.
        self._multiply = config_path is None
        for path in (model_path, config_path):
            if path is not None and not Path(path).is_file():
                raise ModelFileMissing(
                    f"fichier du modèle de détection de personnes introuvable : {path} "
                    f"(person detector model file not found)"
                )
        self.input_size = input_size
        self.threshold = threshold
        self.nms = nms
        self.classes = classes
        self._net = cv2.dnn.readNet(str(model_path), str(config_path) if config_path else "")
        self._outputs = self._net.getUnconnectedOutLayersNames()
        # one network serves every camera thread; OpenCV's Net is not safe to share
        self._lock = threading.Lock()
        logger.info("person detector loaded from %s", model_path)

    def detect(self, gray: Gray, roi: Box | None) -> list[Detection]:
        crop = _crop(gray, roi, 32, 32)
        if crop is None:
            return []
        image, ox, oy = crop
        ch, cw = image.shape[:2]
        bgr = cv2.merge([image, image, image])
        size = self.input_size
        blob = cv2.dnn.blobFromImage(bgr, 1 / 255.0, (size, size), swapRB=False, crop=False)
        with self._lock:
            self._net.setInput(blob)
            outputs = self._net.forward(self._outputs)
        h, w = gray.shape[:2]
        found: list[Detection] = []
        for (x, y, bw, bh), score in parse_yolo(
            outputs, size, self.threshold, self.nms, self.classes, multiply=self._multiply
        ):
            found.append((((ox + x * cw) / w, (oy + y * ch) / h, bw * cw / w, bh * ch / h), score))
        return found


def parse_yolo(
    outputs: Sequence[np.ndarray],
    input_size: int,
    threshold: float,
    nms: float = 0.45,
    classes: int = 80,
    *,
    multiply: bool = True,
) -> list[Detection]:
    """Person boxes, normalised to the network input, from YOLO outputs.

    Accepts Darknet/YOLOv5 rows ``cx, cy, w, h, objectness, classes...`` and YOLOv8 rows
    ``cx, cy, w, h, classes...`` (transposed or not), coordinates in pixels of the input
    or already normalised. ``multiply``: the class score still has to be multiplied by the
    objectness (YOLOv5 ONNX), which OpenCV's Darknet import has already done.
    """
    boxes: list[list[float]] = []
    scores: list[float] = []
    for output in outputs:
        rows = np.asarray(output, np.float32)
        while rows.ndim > 2:
            rows = rows[0]
        if rows.ndim != 2:
            continue
        if rows.shape[1] not in (4 + classes, 5 + classes) and rows.shape[0] in (
            4 + classes,
            5 + classes,
        ):
            rows = rows.T
        columns = rows.shape[1]
        if columns == 5 + classes:
            person = rows[:, 4] * rows[:, 5] if multiply else rows[:, 5]
        elif columns == 4 + classes:
            person = rows[:, 4]
        else:
            logger.warning("unexpected detector output shape %s", output.shape)
            continue
        keep = person >= threshold
        if not np.any(keep):
            continue
        chosen = rows[keep, :4]
        if float(np.max(chosen)) > 2.0:  # pixels of the network input
            chosen = chosen / float(input_size)
        for (cx, cy, bw, bh), score in zip(chosen, person[keep], strict=True):
            boxes.append([float(cx - bw / 2), float(cy - bh / 2), float(bw), float(bh)])
            scores.append(float(score))
    if not boxes:
        return []
    kept = cv2.dnn.NMSBoxes(boxes, scores, threshold, nms)
    result: list[Detection] = []
    for i in np.ravel(kept):
        x, y, bw, bh = boxes[int(i)]
        x0, y0 = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
        x1, y1 = min(max(x + bw, 0.0), 1.0), min(max(y + bh, 0.0), 1.0)
        result.append(((x0, y0, x1 - x0, y1 - y0), scores[int(i)]))
    return result
