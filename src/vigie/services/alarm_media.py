"""Pre- and post-alarm images for every alarm, panel or video, attached to its incident.

For each new alarm (polled by id from the alarm feed, so this runs in any process):

* the cameras: a video alarm's own camera; else the cameras linked to the alarm's zone
  (``Zone.cameras`` in the register and ``Camera.zones`` in the camera register). An
  alarm with no zone, or a zone with no camera, gets none: attaching every camera of the
  site would bury the useful picture under a wall of unrelated ones (at most
  ``max_cameras`` per alarm);
* a snapshot at once: the video event's own snapshot, else the camera's latest frame
  (privacy masks already burned in). Only for an alarm seen within ``snapshot_max_age``:
  a live frame taken minutes after the alarm would mislead; the clip covers it;
* a clip ``[raised - pre, raised + post]`` (the camera's own pre/post settings), cut once
  the post-alarm time and ``settle_seconds`` (the recorder closing its segment) have
  passed. Clips of the same camera and incident that overlap are merged into one. A
  failed cut is retried twice, then logged as an error. A VIDEO_LOSS has no picture to
  cut.

No main courante entry per snapshot or clip: one alarm can bring several, and the log
would drown the operator's own entries. The media are listed on the incident's page, and
an export of them is logged with its hash (``VideoExports``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from vigie.domain.register import Site
from vigie.domain.video import Camera
from vigie.domain.video_media import IncidentMedia
from vigie.services.ports import Clip
from vigie.services.video_signals import write_durably

__all__ = ["AlarmFeed", "AlarmMedia", "MediaSink", "NewAlarmLike"]

log = logging.getLogger(__name__)

_RETRIES = 3
_RETRY_AFTER = timedelta(seconds=10)


class NewAlarmLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def incident_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def site_id(self) -> str | None: ...
    @property
    def zone(self) -> str | None: ...
    @property
    def raised_at(self) -> datetime: ...
    @property
    def camera_id(self) -> str | None: ...
    @property
    def snapshot(self) -> str | None: ...


class AlarmFeed(Protocol):
    def after(self, alarm_id: int, limit: int = 100) -> Sequence[NewAlarmLike]: ...

    def last_id(self, raised_before: datetime | None = None) -> int: ...


class MediaSink(Protocol):
    def attach(self, media: IncidentMedia) -> IncidentMedia: ...

    def for_incident(self, incident_id: int) -> list[IncidentMedia]: ...


CutClip = Callable[[str, datetime, datetime, Path], Clip]


@dataclass(slots=True)
class _ClipJob:
    incident_id: int
    alarm_id: int
    camera_id: str
    start: datetime
    end: datetime
    due: datetime
    attempts: int = 0


class AlarmMedia:
    def __init__(
        self,
        feed: AlarmFeed,
        media: MediaSink,
        *,
        cameras: Callable[[], Iterable[Camera]],
        sites: Callable[[], Iterable[Site]],
        latest_jpeg: Callable[[str], bytes | None],
        cut_clip: CutClip,
        media_root: Path,
        clock: Callable[[], datetime],
        settle_seconds: float = 15.0,
        snapshot_max_age: float = 30.0,
        max_cameras: int = 4,
        refresh_every: float = 60.0,
        lookback: float = 120.0,
    ) -> None:
        self._feed, self._media = feed, media
        self._camera_source, self._site_source = cameras, sites
        self._latest_jpeg, self._cut_clip = latest_jpeg, cut_clip
        self._root = media_root
        self._clock = clock
        self._settle = timedelta(seconds=settle_seconds)
        self._snapshot_age = timedelta(seconds=snapshot_max_age)
        self._max_cameras = max_cameras
        self._refresh_every = timedelta(seconds=refresh_every)
        self._lookback = timedelta(seconds=lookback)
        self._cameras: dict[str, Camera] = {}
        self._sites: dict[str, Site] = {}
        self._refreshed: datetime | None = None
        self._last_id: int | None = None
        self.jobs: list[_ClipJob] = []
        self.attached = 0

    def start(self, now: datetime) -> None:
        """Begin after the alarms raised before ``now - lookback`` (a restart catches up
        with the last ones; media already attached to an alarm are not attached twice)."""
        self._last_id = self._feed.last_id(raised_before=now - self._lookback)

    def tick(self, now: datetime) -> int:
        """New alarms -> snapshots and clip jobs; due clip jobs -> clips. Returns media."""
        if self._last_id is None:
            self.start(now)
        if self._refreshed is None or now - self._refreshed >= self._refresh_every:
            self.refresh()
            self._refreshed = now
        done = 0
        for alarm in self._feed.after(self._last_id or 0):
            self._last_id = alarm.id
            done += self._new_alarm(alarm, now)
        for job in [j for j in self.jobs if j.due <= now]:
            done += self._cut(job, now)
        self.attached += done
        return done

    def refresh(self) -> None:
        self._cameras = {c.id: c for c in self._camera_source()}
        self._sites = {s.id: s for s in self._site_source()}

    async def run(self, interval: float = 1.0) -> None:
        """The background loop (cancel it to stop); a failing tick is logged and retried."""
        while True:
            try:
                await asyncio.to_thread(self.tick, self._clock())
            except Exception:
                log.exception("alarm media tick failed; retrying")
            await asyncio.sleep(interval)

    # -- which cameras --------------------------------------------------------------

    def cameras_for(self, alarm: NewAlarmLike) -> list[Camera]:
        if alarm.camera_id is not None:
            own = self._cameras.get(alarm.camera_id)
            return [own] if own is not None and own.enabled else []
        if alarm.site_id is None or alarm.zone is None:
            return []
        wanted = _number(alarm.zone)
        ids: list[str] = []
        site = self._sites.get(alarm.site_id)
        zone = site.zone(alarm.zone) if site is not None else None
        if zone is not None:
            ids.extend(zone.cameras)
        for camera in self._cameras.values():
            if camera.site_id == alarm.site_id and any(_number(z) == wanted for z in camera.zones):
                ids.append(camera.id)
        found: list[Camera] = []
        for camera_id in dict.fromkeys(ids):
            linked = self._cameras.get(camera_id)
            if linked is not None and linked.enabled and linked.site_id == alarm.site_id:
                found.append(linked)
        return found[: self._max_cameras]

    # -- work -----------------------------------------------------------------------

    def _new_alarm(self, alarm: NewAlarmLike, now: datetime) -> int:
        cameras = self.cameras_for(alarm)
        if not cameras:
            return 0
        have = {(m.camera_id, m.kind) for m in self._media.for_incident(alarm.incident_id)
                if m.alarm_id == alarm.id}  # fmt: skip
        done = 0
        for camera in cameras:
            if (camera.id, "snapshot") not in have:
                done += self._snapshot(alarm, camera, now)
            if (camera.id, "clip") not in have and alarm.code != "VIDEO_LOSS":
                self._plan_clip(alarm, camera)
        return done

    def _snapshot(self, alarm: NewAlarmLike, camera: Camera, now: datetime) -> int:
        path: Path | None = None
        data: bytes | None = None
        if alarm.snapshot and alarm.camera_id == camera.id:
            path = Path(alarm.snapshot)
            try:
                data = path.read_bytes()
            except OSError as exc:
                log.warning("snapshot %s of alarm %d unreadable: %s", path, alarm.id, exc)
                path = None
        if path is None and now - alarm.raised_at <= self._snapshot_age:
            data = self._latest_jpeg(camera.id)
            if data:
                path = self._file(camera.id, alarm.raised_at, f"a{alarm.id}", ".jpg")
                write_durably(path, data)
        if path is None or not data:
            log.info("no snapshot of camera %s for alarm %d", camera.id, alarm.id)
            return 0
        self._media.attach(
            IncidentMedia(
                incident_id=alarm.incident_id,
                camera_id=camera.id,
                kind="snapshot",
                path=str(path),
                start=alarm.raised_at,
                end=alarm.raised_at,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                created_at=now,
                alarm_id=alarm.id,
            )
        )
        return 1

    def _plan_clip(self, alarm: NewAlarmLike, camera: Camera) -> None:
        start = alarm.raised_at - timedelta(seconds=camera.pre_alarm_seconds)
        end = alarm.raised_at + timedelta(seconds=camera.post_alarm_seconds)
        for job in self.jobs:
            same = job.incident_id == alarm.incident_id and job.camera_id == camera.id
            if same and job.attempts == 0 and start <= job.end and job.start <= end:
                job.start, job.end = min(job.start, start), max(job.end, end)
                job.due = job.end + self._settle
                return
        self.jobs.append(
            _ClipJob(alarm.incident_id, alarm.id, camera.id, start, end, end + self._settle)
        )

    def _cut(self, job: _ClipJob, now: datetime) -> int:
        out = self._file(job.camera_id, job.start, f"i{job.incident_id}-a{job.alarm_id}", ".mp4")
        try:
            clip = self._cut_clip(job.camera_id, job.start, job.end, out)
        except Exception as exc:
            job.attempts += 1
            if job.attempts >= _RETRIES:
                log.error("no clip of camera %s for incident %d after %d tries: %s",
                          job.camera_id, job.incident_id, job.attempts, exc)  # fmt: skip
                self.jobs.remove(job)
            else:
                log.warning("clip of camera %s not cut yet (%s); retrying", job.camera_id, exc)
                job.due = now + _RETRY_AFTER
            return 0
        self.jobs.remove(job)
        self._media.attach(
            IncidentMedia(
                incident_id=job.incident_id,
                camera_id=job.camera_id,
                kind="clip",
                path=str(clip.path),
                start=clip.start,
                end=clip.end,
                size=clip.size,
                sha256=clip.sha256,
                created_at=now,
                alarm_id=job.alarm_id,
            )
        )
        return 1

    def _file(self, camera_id: str, at: datetime, tag: str, suffix: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in camera_id) or "_"
        stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        return self._root / safe / f"{stamp}-{tag}{suffix}"


def _number(value: str) -> str:
    return value.strip().lstrip("0") or "0"
