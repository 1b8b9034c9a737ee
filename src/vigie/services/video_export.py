"""Exporting video as evidence: one MP4, its SHA-256, the extraction register, the logbook.

An export is the act of handing recordings to someone outside the station (most often an
OPJ on a requisition). The law asks for a trace: who extracted which period of which
camera, why and for whom. So an export needs a reason and a recipient; the file is cut
from the segments (privacy masks burned in), hashed here on the file as written (and
checked against what the cutter reported), then the register row and the main-courante
entry are written in one transaction. The file is stored as ``<root>/<YYYY>/<id>.mp4``.
Exports left the station's custody: retention never deletes them.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from vigie.domain.errors import DomainError, InvalidValue
from vigie.domain.logbook import LogDraft, LogKind
from vigie.domain.video import Camera, Polygon, Segment
from vigie.domain.video_media import Extraction
from vigie.services.logbook import Actor, Logbook
from vigie.services.ports import Clip

__all__ = [
    "ClipMaker",
    "ExportCheck",
    "ExportError",
    "VideoExports",
    "sha256_of",
]

log = logging.getLogger(__name__)
_PARIS = ZoneInfo("Europe/Paris")
_MAX_SPAN_HOURS = 24


class ExportError(DomainError):
    """The export could not be made (no recording, unreadable file, hash mismatch)."""


class ClipMaker(Protocol):
    """``vigie.adapters.video.clips.extract_clip``."""

    def __call__(
        self,
        segments: Sequence[Segment],
        start: datetime,
        end: datetime,
        out_path: Path,
        *,
        privacy_masks: Sequence[Polygon] = (),
    ) -> Clip: ...


class _Cameras(Protocol):
    def camera(self, camera_id: str) -> Camera: ...


class _Segments(Protocol):
    def between(self, camera_id: str, start: datetime, end: datetime) -> list[Segment]: ...


class _Register(Protocol):
    def add(
        self,
        extraction: Extraction,
        place: Callable[[int], str],
        log: Callable[[Extraction], Sequence[LogDraft]],
    ) -> Extraction: ...

    def get(self, extraction_id: int) -> Extraction: ...

    def latest(
        self,
        *,
        camera_id: str | None = None,
        limit: int = 100,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Extraction]: ...


@dataclass(frozen=True, slots=True)
class ExportCheck:
    """The result of ``verify``: the register's hash against the file's, now."""

    extraction: Extraction
    actual_sha256: str | None  # None: the file is missing

    @property
    def ok(self) -> bool:
        return self.actual_sha256 == self.extraction.sha256


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def _paris(at: datetime) -> str:
    return at.astimezone(_PARIS).strftime("%d/%m/%Y %H:%M:%S")


class VideoExports:
    def __init__(
        self,
        cameras: _Cameras,
        segments: _Segments,
        register: _Register,
        logbook: Logbook,
        export_root: Path,
        extract_clip: ClipMaker,
    ) -> None:
        self._cameras = cameras
        self._segments = segments
        self._register = register
        self._logbook = logbook
        self._root = export_root
        self._extract = extract_clip

    def export(
        self,
        camera_id: str,
        start: datetime,
        end: datetime,
        actor: Actor,
        reason: str,
        recipient: str,
        requisition: str = "",
    ) -> Extraction:
        """Cut, hash, register and log one export. ``NotFound``: no such camera;
        ``InvalidValue``: a missing reason/recipient or a bad period; ``ExportError``:
        nothing recorded or the file could not be made."""
        reason, recipient, requisition = reason.strip(), recipient.strip(), requisition.strip()
        if not reason:
            raise InvalidValue("reason", "the reason of the extraction (mandatory)")
        if not recipient:
            raise InvalidValue("recipient", "who receives the images (mandatory)")
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidValue("start", "timezone-aware times")
        if end <= start:
            raise InvalidValue("end", "a time after the start")
        if (end - start).total_seconds() > _MAX_SPAN_HOURS * 3600:
            raise InvalidValue("end", f"a period of at most {_MAX_SPAN_HOURS} hours")
        camera = self._cameras.camera(camera_id)
        segments = self._segments.between(camera_id, start, end)
        if not segments:
            raise ExportError(f"aucun enregistrement de {camera_id} sur cette période")
        now = self._logbook.now()
        folder = self._root / f"{now:%Y}"
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".export-{uuid.uuid4().hex}.mp4"
        try:
            clip = self._extract(
                segments, start, end, temporary, privacy_masks=camera.privacy_masks
            )
        except (RuntimeError, OSError, ValueError) as exc:
            temporary.unlink(missing_ok=True)
            raise ExportError(f"extraction impossible : {exc}") from exc
        digest = sha256_of(temporary)
        if digest != clip.sha256.lower():
            temporary.unlink(missing_ok=True)
            raise ExportError("l'empreinte SHA-256 du fichier écrit ne correspond pas")
        extraction = Extraction(
            camera_id=camera_id,
            start=start,
            end=end,
            actual_start=clip.start,
            actual_end=clip.end,
            path=str(temporary),
            size=temporary.stat().st_size,
            sha256=digest,
            requested_by=actor.user,
            role=actor.role,
            card_number=actor.card_number,
            reason=reason,
            recipient=recipient,
            requisition=requisition,
            created_at=now,
        )
        final: list[Path] = []

        def place(extraction_id: int) -> str:
            target = folder / f"{extraction_id}.mp4"
            temporary.replace(target)
            final.append(target)
            return str(target)

        def entries(stored: Extraction) -> list[LogDraft]:
            return [self._draft(stored, camera, actor)]

        try:
            stored = self._register.add(extraction, place, entries)
        except BaseException:
            for path in (temporary, *final):
                path.unlink(missing_ok=True)
            raise
        log.info("export %s of camera %s by %s", stored.id, camera_id, actor.user)
        return stored

    def _draft(self, e: Extraction, camera: Camera, actor: Actor) -> LogDraft:
        requisition = f", réquisition {e.requisition}" if e.requisition else ""
        text = (
            f"Extraction vidéo n° {e.id} : caméra {camera.name} ({e.camera_id}), "
            f"du {_paris(e.actual_start)} au {_paris(e.actual_end)}, remise à {e.recipient}"
            f"{requisition}. Motif : {e.reason}. SHA-256 {e.sha256}"
        )
        return self._logbook.draft(
            LogKind.VIDEO,
            text,
            actor=actor,
            site_id=camera.site_id,
            data={
                "action": "video_export",
                "extraction_id": e.id,
                "camera_id": e.camera_id,
                "start": e.actual_start.isoformat(),
                "end": e.actual_end.isoformat(),
                "recipient": e.recipient,
                "requisition": e.requisition,
                "reason": e.reason,
                "sha256": e.sha256,
                "size": e.size,
            },
        )

    def get(self, extraction_id: int) -> Extraction:
        return self._register.get(extraction_id)

    def latest(
        self,
        *,
        camera_id: str | None = None,
        limit: int = 100,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Extraction]:
        """The extraction register, newest first; ``since``/``until`` bound the time of
        the extraction (``until`` excluded)."""
        return self._register.latest(camera_id=camera_id, limit=limit, since=since, until=until)

    def verify(self, extraction_id: int) -> ExportCheck:
        """Recompute the file's SHA-256 and compare it with the register's."""
        extraction = self._register.get(extraction_id)
        path = Path(extraction.path)
        actual = sha256_of(path) if path.is_file() else None
        return ExportCheck(extraction, actual)

    def download(self, extraction_id: int, actor: Actor) -> Extraction:
        """The extraction whose file is about to be handed out; logs who took it."""
        extraction = self._register.get(extraction_id)
        if not Path(extraction.path).is_file():
            raise ExportError(f"le fichier de l'extraction {extraction_id} est introuvable")
        self._logbook.record(
            LogKind.VIDEO,
            f"Téléchargement de l'extraction vidéo n° {extraction_id} "
            f"({extraction.camera_id}, SHA-256 {extraction.sha256})",
            actor=actor,
            data={"action": "video_download", "extraction_id": extraction_id},
        )
        return extraction
