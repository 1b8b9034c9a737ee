"""Image analysis of a camera: faults, motion, persons and alarm rules (numpy + OpenCV).

No I/O and no threads: a camera worker hands each analysed frame's luma plane to a
``CameraAnalyzer`` and turns the returned ``Finding``s into video events.
"""

from vigie.analytics.analyzer import CameraAnalyzer
from vigie.analytics.findings import Finding
from vigie.analytics.frames import burn_masks
from vigie.analytics.health import HealthSettings
from vigie.analytics.motion import MotionSettings
from vigie.analytics.people import (
    DnnPersonDetector,
    HogPersonDetector,
    ModelFileMissing,
    PersonDetector,
)

__all__ = [
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
