"""The low-disk guard: keeps room on the video disk so that recording never stops.

``DiskGuard.sweep(now)`` measures the free space of the recordings' folder (through the
``DiskSpace`` port: ``shutil.disk_usage`` in production, a fake disk in tests). Below the
threshold (``VIGIE_VIDEO_MIN_FREE``) it deletes the oldest segments across cameras,
never one under an active legal hold (``vigie.domain.video_disk`` decides), until the
free space is back above the threshold plus a margin. Then:

* one main-courante entry per sweep that deleted something (counts, bytes, cameras,
  period), like the retention purge;
* when nothing deletable is left and the disk is still below the threshold, recording is
  at risk: an error log and a main-courante entry (kind ``system``) for the operators,
  repeated every ``realert`` while it lasts, and one entry when the space is back.

Only files of this host are touched: a segment whose file is not under the recordings'
folder here (another worker's disk) is passed over, its row kept. Exports are never
touched (they live beside, not under, the recordings). ``run_disk_guard`` runs a sweep
every minute: a disk fills faster than the hourly retention sweep empties it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from vigie.domain.logbook import LogKind
from vigie.domain.video import Segment
from vigie.domain.video_disk import MinFree, bytes_to_free, plan_deletions
from vigie.domain.video_media import LegalHold
from vigie.services.logbook import Logbook
from vigie.services.periodic import run_every

__all__ = ["DiskGuard", "DiskSpace", "DiskSweep", "DiskUsage", "run_disk_guard"]

log = logging.getLogger(__name__)
_PARIS = ZoneInfo("Europe/Paris")
BATCH = 500  # segments read from the index at a time


@dataclass(frozen=True, slots=True)
class DiskUsage:
    total: int
    free: int


class DiskSpace(Protocol):
    """How big the file system holding ``path`` is and how much of it is free."""

    def usage(self, path: Path) -> DiskUsage: ...


class _Segments(Protocol):
    def oldest(self, limit: int, after: tuple[datetime, int] | None = None) -> list[Segment]: ...
    def delete(self, ids: list[int]) -> int: ...


class _Holds(Protocol):
    def active_holds(self, camera_id: str | None = None) -> list[LegalHold]: ...


@dataclass(slots=True)
class DiskSweep:
    at: datetime
    before: DiskUsage
    after: DiskUsage
    threshold: int
    deleted: list[Segment] = field(default_factory=list)
    bytes: int = 0
    kept_by_hold: int = 0
    missing: list[str] = field(default_factory=list)  # gone meanwhile: row removed
    failed: list[str] = field(default_factory=list)  # could not delete: row kept
    at_risk: bool = False  # below the threshold with nothing left to delete


def _gb(size: int) -> str:
    """A size as people read it on a disk (decimal units, like the retention purge)."""
    if size >= 1_000_000_000:
        return f"{size / 1_000_000_000:.1f} Go"
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} Mo"
    return f"{size / 1000:.1f} ko"


def _paris(at: datetime) -> str:
    return at.astimezone(_PARIS).strftime("%d/%m/%Y %H:%M")


class DiskGuard:
    def __init__(
        self,
        disk: DiskSpace,
        segments: _Segments,
        holds: _Holds,
        logbook: Logbook,
        recordings: Path,
        min_free: MinFree,
        *,
        margin_fraction: float = 0.01,
        margin_cap: int = 5 * 1024**3,
        realert: timedelta = timedelta(hours=1),
    ) -> None:
        self._disk = disk
        self._segments = segments
        self._holds = holds
        self._logbook = logbook
        self._root = recordings
        self._min_free = min_free
        self._margin = (margin_fraction, margin_cap)
        self._realert = realert
        self._alerted: datetime | None = None  # last "at risk" entry; None: not at risk

    def sweep(self, now: datetime) -> DiskSweep:
        before = self._disk.usage(self._root)
        threshold = self._min_free.threshold(before.total)
        result = DiskSweep(now, before, before, threshold)
        if before.free >= threshold:
            if self._alerted is not None:
                self._recovered(result)
            return result
        margin_fraction, margin_cap = self._margin
        target = before.free + bytes_to_free(
            before.total,
            before.free,
            self._min_free,
            margin_fraction=margin_fraction,
            margin_cap=margin_cap,
        )
        holds = self._holds.active_holds()
        free, after = before.free, None
        while free < target:
            page = self._segments.oldest(BATCH, after)
            if not page:
                break
            last = page[-1]
            after = (last.start, last.id or 0)
            plan = plan_deletions(self._here(page), target - free, holds)
            result.kept_by_hold += plan.kept_by_hold
            free += self._delete(plan.delete, result)
        result.after = self._disk.usage(self._root)
        if result.deleted or result.missing or result.failed:
            self._log_purge(result)
        if result.after.free < threshold:
            result.at_risk = True
            self._at_risk(result)
        elif self._alerted is not None:
            self._recovered(result)
        return result

    def _here(self, page: Sequence[Segment]) -> list[Segment]:
        """The segments whose file is on this host, under the recordings' folder, with
        the size the file really has (the index's may be stale or zero)."""
        root = os.path.abspath(self._root)
        local = []
        for segment in page:
            path = os.path.abspath(segment.path)
            if segment.id is None or os.path.commonpath([root, path]) != root:
                continue
            try:
                size = os.stat(path).st_size
            except OSError:
                continue  # another host's file, or already gone: retention settles its row
            local.append(replace(segment, size=size))
        return local

    def _delete(self, chosen: Sequence[Segment], result: DiskSweep) -> int:
        gone: list[int] = []
        freed = 0
        for segment in chosen:
            assert segment.id is not None  # ``_here`` keeps indexed segments only
            try:
                Path(segment.path).unlink()
            except FileNotFoundError:
                result.missing.append(segment.path)
            except OSError as exc:
                log.error("low disk: cannot delete %s: %s", segment.path, exc)
                result.failed.append(segment.path)
                continue
            else:
                freed += segment.size
                result.deleted.append(segment)
            gone.append(segment.id)
        self._segments.delete(gone)
        result.bytes += freed
        return freed

    def _log_purge(self, r: DiskSweep) -> None:
        cameras = sorted({s.camera_id for s in r.deleted})
        text = (
            f"Espace disque vidéo insuffisant ({_gb(r.before.free)} libres sur "
            f"{_gb(r.before.total)}, seuil {_gb(r.threshold)}) : {len(r.deleted)} segment(s) "
            f"parmi les plus anciens supprimé(s), {_gb(r.bytes)} libérés"
        )
        if r.deleted:
            first = min(s.start for s in r.deleted)
            last = max(s.end for s in r.deleted)
            text += f" (caméras {', '.join(cameras)}, du {_paris(first)} au {_paris(last)})"
        if r.kept_by_hold:
            text += f" ; {r.kept_by_hold} conservé(s) sous gel judiciaire"
        if r.missing:
            text += f" ; {len(r.missing)} fichier(s) déjà absent(s)"
        if r.failed:
            text += f" ; {len(r.failed)} fichier(s) impossible(s) à supprimer"
        log.warning("low disk: %s", text)
        self._logbook.record(
            LogKind.VIDEO,
            text,
            data={
                "action": "video_disk_purge",
                "segments": len(r.deleted),
                "bytes": r.bytes,
                "cameras": cameras,
                "free_before": r.before.free,
                "free_after": r.after.free,
                "total": r.before.total,
                "threshold": r.threshold,
                "min_free": str(self._min_free),
                "kept_by_hold": r.kept_by_hold,
                "missing": r.missing[:50],
                "failed": r.failed[:50],
            },
        )

    def _at_risk(self, r: DiskSweep) -> None:
        text = (
            f"ENREGISTREMENT VIDÉO EN DANGER : disque vidéo presque plein "
            f"({_gb(r.after.free)} libres sur {_gb(r.after.total)}, seuil {_gb(r.threshold)}) "
            f"et plus aucun enregistrement supprimable"
        )
        if r.kept_by_hold:
            text += f" ({r.kept_by_hold} segment(s) sous gel judiciaire)"
        text += ". Libérer de la place ou agrandir le disque."
        log.error("low disk: %s", text)
        if self._alerted is not None and r.at - self._alerted < self._realert:
            return
        self._alerted = r.at
        self._logbook.record(
            LogKind.SYSTEM,
            text,
            data={
                "action": "video_disk_full",
                "free": r.after.free,
                "total": r.after.total,
                "threshold": r.threshold,
                "min_free": str(self._min_free),
                "kept_by_hold": r.kept_by_hold,
            },
        )

    def _recovered(self, r: DiskSweep) -> None:
        self._alerted = None
        text = (
            f"Espace disque vidéo revenu au-dessus du seuil ({_gb(r.after.free)} libres sur "
            f"{_gb(r.after.total)}, seuil {_gb(r.threshold)})"
        )
        log.info("low disk: %s", text)
        self._logbook.record(
            LogKind.SYSTEM,
            text,
            data={"action": "video_disk_ok", "free": r.after.free, "threshold": r.threshold},
        )


async def run_disk_guard(
    guard: DiskGuard,
    now: Callable[[], datetime],
    *,
    every: timedelta = timedelta(minutes=1),
    stop: asyncio.Event | None = None,
) -> None:
    """Sweep at once, then every ``every`` until ``stop`` is set; a failed sweep is
    logged and retried."""
    await run_every("low-disk sweep", guard.sweep, now, every, stop)
