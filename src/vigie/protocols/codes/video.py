"""Video event codes as a table: category and French / English descriptions.

The same shape as the SIA and Contact ID tables, so a video event is journalled like a
panel's: analytics codes (category ``video``) are alarms to verify on the image; health
codes (category ``camera_fault``) are faults of the camera, which open a level-1
maintenance ticket. The codes are the values of ``vigie.domain.video.VideoCode`` (this
package imports nothing else from vigie; a test keeps both lists equal).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VIDEO_CODES", "VideoCodeInfo", "video_code"]

ANALYTICS = "video"
FAULT = "camera_fault"


@dataclass(frozen=True, slots=True)
class VideoCodeInfo:
    code: str
    category: str
    description_fr: str
    description_en: str
    restore_fr: str
    restore_en: str


_ROWS = (
    ("MOTION", ANALYTICS, "Mouvement détecté", "Motion detected", "Fin de mouvement",
     "Motion ended"),
    ("PERSON", ANALYTICS, "Personne détectée", "Person detected", "Fin de présence",
     "Person gone"),
    ("INTRUSION", ANALYTICS, "Intrusion vidéo dans une zone surveillée",
     "Video intrusion in a watched zone", "Fin d'intrusion vidéo", "Video intrusion ended"),
    ("LINE", ANALYTICS, "Franchissement de ligne", "Line crossed", "Fin de franchissement",
     "Line crossing ended"),
    ("OBJECT", ANALYTICS, "Objet détecté", "Object detected", "Fin de détection d'objet",
     "Object gone"),
    ("VIDEO_LOSS", FAULT, "Perte vidéo", "Video loss", "Retour vidéo", "Video back"),
    ("FROZEN", FAULT, "Image figée", "Frozen image", "Image de nouveau animée",
     "Image moving again"),
    ("BLACK", FAULT, "Image noire", "Black image", "Fin d'image noire", "Image no longer black"),
    ("BLINDED", FAULT, "Caméra éblouie ou aveuglée", "Camera blinded or dazzled",
     "Fin d'éblouissement", "No longer blinded"),
    ("BLUR", FAULT, "Image floue (mise au point)", "Blurred image (focus)",
     "Image de nouveau nette", "Image sharp again"),
    ("MOVED", FAULT, "Caméra déplacée ou masquée", "Camera moved or masked",
     "Vue de référence retrouvée", "Reference view back"),
)  # fmt: skip

VIDEO_CODES: dict[str, VideoCodeInfo] = {row[0]: VideoCodeInfo(*row) for row in _ROWS}


def video_code(code: str) -> VideoCodeInfo | None:
    return VIDEO_CODES.get(code.strip().upper())
