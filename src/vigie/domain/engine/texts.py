"""Words of the main courante, French first, English alongside."""

from __future__ import annotations

from vigie.domain.register import AlarmKind

__all__ = ["KIND_EN", "KIND_FR", "where"]

KIND_FR: dict[AlarmKind, str] = {
    AlarmKind.HOLDUP: "agression",
    AlarmKind.FIRE: "incendie",
    AlarmKind.MEDICAL: "médicale",
    AlarmKind.INTRUSION: "intrusion",
    AlarmKind.TECHNICAL: "technique",
    AlarmKind.TAMPER: "autoprotection",
    AlarmKind.TROUBLE: "défaut",
    AlarmKind.SUPERVISION: "supervision",
    AlarmKind.SCHEDULE: "horaires",
    AlarmKind.UNKNOWN_TRANSMITTER: "transmetteur inconnu",
    AlarmKind.VIDEO: "vidéo",
    AlarmKind.CAMERA_FAULT: "défaut caméra",
    AlarmKind.OTHER: "autre",
}

KIND_EN: dict[AlarmKind, str] = {
    AlarmKind.HOLDUP: "hold-up",
    AlarmKind.FIRE: "fire",
    AlarmKind.MEDICAL: "medical",
    AlarmKind.INTRUSION: "intrusion",
    AlarmKind.TECHNICAL: "technical",
    AlarmKind.TAMPER: "tamper",
    AlarmKind.TROUBLE: "trouble",
    AlarmKind.SUPERVISION: "supervision",
    AlarmKind.SCHEDULE: "schedule",
    AlarmKind.UNKNOWN_TRANSMITTER: "unknown transmitter",
    AlarmKind.VIDEO: "video",
    AlarmKind.CAMERA_FAULT: "camera fault",
    AlarmKind.OTHER: "other",
}


def where(zone: str | None, zone_label: str, user: str | None, user_name: str) -> tuple[str, str]:
    """ " — zone 3 (Réserve), utilisateur 5 (M. Martin)" in French and English."""
    fr: list[str] = []
    en: list[str] = []
    if zone is not None:
        label = f" ({zone_label})" if zone_label else ""
        fr.append(f"zone {zone}{label}")
        en.append(f"zone {zone}{label}")
    if user is not None:
        name = f" ({user_name})" if user_name else ""
        fr.append(f"utilisateur {user}{name}")
        en.append(f"user {user}{name}")
    if not fr:
        return "", ""
    return " — " + ", ".join(fr), " — " + ", ".join(en)
