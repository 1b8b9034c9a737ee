"""Retention of recordings (CSI L252-5: destroyed within one month) and legal holds.

``VideoRetention.purge(now)`` deletes, camera by camera, the segments and the incident
media whose *end* is older than the camera's ``retention_days`` (1 to 30; 30 for a
camera no longer in the register), file and index row. Decisions:

* Kept: what overlaps an **active legal hold** of its camera (an evidence lock placed by
  a supervisor with the judicial reference). An open incident does *not* keep its media:
  the law's exception is the judicial procedure, not the station's own follow-up; a
  supervisor who needs the images places a hold or makes an export.
* Never touched: exports (the extraction register). They left the station's custody.
* Logged: one main-courante entry per camera for which something was deleted or found
  missing (counts and bytes). A sweep that found nothing writes nothing: an hourly sweep
  would otherwise bury the logbook.
* A file already gone is reported and its row removed; a file that cannot be deleted
  (permissions) is reported and its row kept, so the next sweep tries again.

``LegalHolds`` places and releases holds; each is a main-courante entry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from vigie.domain.errors import InvalidValue, NotFound
from vigie.domain.logbook import LogDraft, LogKind
from vigie.domain.video import MAX_RETENTION_DAYS, Camera, Segment
from vigie.domain.video_media import IncidentMedia, LegalHold
from vigie.services.logbook import Actor, Logbook
from vigie.services.periodic import run_every

__all__ = ["CameraPurge", "LegalHolds", "PurgeReport", "VideoRetention", "run_daily"]

log = logging.getLogger(__name__)
_PARIS = ZoneInfo("Europe/Paris")


class _Cameras(Protocol):
    def cameras(self) -> list[Camera]: ...


class _Segments(Protocol):
    def older_than(self, camera_id: str, before: datetime) -> list[Segment]: ...
    def camera_ids(self) -> list[str]: ...
    def delete(self, ids: list[int]) -> int: ...


class _Media(Protocol):
    def older_than(self, camera_id: str, before: datetime) -> list[IncidentMedia]: ...
    def camera_ids(self) -> list[str]: ...
    def delete(self, ids: list[int]) -> int: ...


class _Holds(Protocol):
    def active_holds(self, camera_id: str | None = None) -> list[LegalHold]: ...
    def add(self, hold: LegalHold, log: list[LogDraft]) -> LegalHold: ...
    def release(self, hold_id: int, at: datetime, user: str, log: list[LogDraft]) -> LegalHold: ...
    def get(self, hold_id: int) -> LegalHold: ...
    def all(self, camera_id: str | None = None) -> list[LegalHold]: ...


@dataclass(slots=True)
class CameraPurge:
    camera_id: str
    limit: datetime  # what ended before this was due
    segments: int = 0
    media: int = 0
    bytes: int = 0
    kept_by_hold: int = 0
    missing: list[str] = field(default_factory=list)  # already gone: reported, row removed
    failed: list[str] = field(default_factory=list)  # could not delete: kept for next time

    @property
    def worth_logging(self) -> bool:
        return bool(self.segments or self.media or self.missing or self.failed)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    at: datetime
    cameras: tuple[CameraPurge, ...]

    @property
    def segments(self) -> int:
        return sum(c.segments for c in self.cameras)

    @property
    def media(self) -> int:
        return sum(c.media for c in self.cameras)

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.cameras)


class VideoRetention:
    def __init__(
        self,
        cameras: _Cameras,
        segments: _Segments,
        media: _Media,
        holds: _Holds,
        logbook: Logbook,
    ) -> None:
        self._cameras = cameras
        self._segments = segments
        self._media = media
        self._holds = holds
        self._logbook = logbook

    def purge(self, now: datetime) -> PurgeReport:
        known = {c.id: c for c in self._cameras.cameras()}
        ids = sorted(set(known) | set(self._segments.camera_ids()) | set(self._media.camera_ids()))
        results = []
        for camera_id in ids:
            camera = known.get(camera_id)
            days = camera.retention_days if camera is not None else MAX_RETENTION_DAYS
            result = self._purge_camera(
                camera_id, now - timedelta(days=min(days, MAX_RETENTION_DAYS))
            )
            if result.worth_logging:
                self._log(result, camera)
            results.append(result)
        report = PurgeReport(now, tuple(results))
        log.info(
            "retention sweep: %d segment(s), %d media, %d bytes deleted",
            report.segments,
            report.media,
            report.bytes,
        )
        return report

    def _purge_camera(self, camera_id: str, limit: datetime) -> CameraPurge:
        result = CameraPurge(camera_id, limit)
        holds = self._holds.active_holds(camera_id)
        gone_segments: list[int] = []
        for segment in self._segments.older_than(camera_id, limit):
            if any(h.covers(segment.start, segment.end) for h in holds):
                result.kept_by_hold += 1
            elif segment.id is not None and _remove(segment.path, result):
                gone_segments.append(segment.id)
                result.bytes += segment.size
        result.segments = self._segments.delete(gone_segments)
        gone_media: list[int] = []
        for media in self._media.older_than(camera_id, limit):
            if any(h.covers(media.start, media.end) for h in holds):
                result.kept_by_hold += 1
            elif media.id is not None and _remove(media.path, result):
                gone_media.append(media.id)
                result.bytes += media.size
        result.media = self._media.delete(gone_media)
        return result

    def _log(self, result: CameraPurge, camera: Camera | None) -> None:
        limit = result.limit.astimezone(_PARIS).strftime("%d/%m/%Y %H:%M")
        text = (
            f"Purge des enregistrements de la caméra {result.camera_id} antérieurs au {limit} : "
            f"{result.segments} segment(s), {result.media} média(s) d'incident, "
            f"{result.bytes / 1_000_000:.1f} Mo supprimés"
        )
        if result.kept_by_hold:
            text += f" ; {result.kept_by_hold} conservé(s) sous gel judiciaire"
        if result.missing:
            text += f" ; {len(result.missing)} fichier(s) déjà absent(s)"
        if result.failed:
            text += f" ; {len(result.failed)} fichier(s) impossible(s) à supprimer"
        self._logbook.record(
            LogKind.VIDEO,
            text,
            site_id=camera.site_id if camera is not None else None,
            data={
                "action": "video_purge",
                "camera_id": result.camera_id,
                "before": result.limit.isoformat(),
                "segments": result.segments,
                "media": result.media,
                "bytes": result.bytes,
                "kept_by_hold": result.kept_by_hold,
                "missing": result.missing[:50],
                "failed": result.failed[:50],
            },
        )


def _remove(path: str, result: CameraPurge) -> bool:
    """Delete one file; True when its row may go (deleted, or already gone)."""
    try:
        Path(path).unlink()
    except FileNotFoundError:
        log.warning("retention: %s was already gone", path)
        result.missing.append(path)
    except OSError as exc:
        log.error("retention: cannot delete %s: %s", path, exc)
        result.failed.append(path)
        return False
    return True


class LegalHolds:
    """Evidence locks: placing and releasing one is written in the main courante."""

    def __init__(self, holds: _Holds, logbook: Logbook) -> None:
        self._holds = holds
        self._logbook = logbook

    def hold(
        self,
        camera_id: str,
        start: datetime,
        end: datetime,
        reason: str,
        reference: str,
        actor: Actor,
        *,
        site_id: str | None = None,
    ) -> LegalHold:
        if not reason.strip():
            raise InvalidValue("reason", "the reason of the hold (mandatory)")
        if not reference.strip():
            raise InvalidValue("reference", "the requisition or case reference (mandatory)")
        hold = LegalHold(
            camera_id=camera_id,
            start=start,
            end=end,
            reason=reason.strip(),
            reference=reference.strip(),
            user=actor.user,
            created_at=self._logbook.now(),
            released_by="",
        )
        text = (
            f"Gel judiciaire des enregistrements de la caméra {camera_id} du "
            f"{_paris(start)} au {_paris(end)} (réf. {hold.reference}). Motif : {hold.reason}"
        )
        draft = self._logbook.draft(
            LogKind.VIDEO,
            text,
            actor=actor,
            site_id=site_id,
            data={
                "action": "video_hold",
                "camera_id": camera_id,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "reference": hold.reference,
            },
        )
        return self._holds.add(hold, [draft])

    def release(self, hold_id: int, actor: Actor, *, note: str = "") -> LegalHold:
        hold = self._holds.get(hold_id)
        if not hold.active:
            raise NotFound(f"le gel {hold_id} est déjà levé")
        text = (
            f"Levée du gel judiciaire n° {hold_id} (caméra {hold.camera_id}, réf. "
            f"{hold.reference})" + (f" : {note}" if note else "")
        )
        draft = self._logbook.draft(
            LogKind.VIDEO,
            text,
            actor=actor,
            data={"action": "video_hold_release", "hold_id": hold_id},
        )
        return self._holds.release(hold_id, self._logbook.now(), actor.user, [draft])

    def active_holds(self, camera_id: str | None = None) -> list[LegalHold]:
        return self._holds.active_holds(camera_id)

    def history(self, camera_id: str | None = None) -> list[LegalHold]:
        """Every hold, active and released, in the order they were placed."""
        return self._holds.all(camera_id)


def _paris(at: datetime) -> str:
    return at.astimezone(_PARIS).strftime("%d/%m/%Y %H:%M")


async def run_daily(
    retention: VideoRetention,
    now: Callable[[], datetime],
    *,
    every: timedelta = timedelta(hours=1),
    stop: asyncio.Event | None = None,
) -> None:
    """Sweep at once, then every ``every`` (1 h by default: nothing outlives its limit by
    more than an hour) until ``stop`` is set. A failed sweep is logged and retried."""
    await run_every("retention sweep", retention.purge, now, every, stop)
