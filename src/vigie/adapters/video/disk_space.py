"""The ``DiskSpace`` port on the real file system (``shutil.disk_usage``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from vigie.services.video_disk import DiskSpace, DiskUsage

__all__ = ["LocalDisk"]


class LocalDisk(DiskSpace):
    """Free space as an unprivileged process sees it (``f_bavail``: the blocks reserved
    for root are not counted as free). The folder is created if missing, so a fresh
    station measures the disk it will record on."""

    def usage(self, path: Path) -> DiskUsage:
        path.mkdir(parents=True, exist_ok=True)
        total, _, free = shutil.disk_usage(path)
        return DiskUsage(total=total, free=free)
