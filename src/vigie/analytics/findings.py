"""What the analysis of a camera reports, and the time rule every verdict shares.

``Persistence`` is the small state machine behind every fault and alarm: a condition must
hold for ``start_after`` seconds before it starts, and be gone for ``restore_after``
seconds before it restores. It works on the frames' timestamps, so it behaves the same
at 5 fps and on keyframes every 2 s.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigie.analytics.frames import Box
from vigie.domain.video import VideoCode

__all__ = ["Finding", "Persistence"]


@dataclass(frozen=True, slots=True)
class Finding:
    """Something started (``restore=False``) or ended (``restore=True``) on a camera."""

    code: VideoCode
    restore: bool
    detail: str = ""
    score: float | None = None
    boxes: tuple[Box, ...] = ()  # normalised x, y, w, h


class Persistence:
    """A condition that must last to start, and be gone for a while to restore."""

    def __init__(self, start_after: float, restore_after: float) -> None:
        self.start_after = start_after
        self.restore_after = restore_after
        self.active = False
        self._since: float | None = None

    @property
    def pending(self) -> bool:
        """The condition holds but has not lasted long enough yet."""
        return not self.active and self._since is not None

    def update(self, condition: bool, at: float) -> bool | None:
        """True when it starts now, False when it restores now, None otherwise."""
        if condition == self.active:
            self._since = None
            return None
        if self._since is None or at < self._since:
            self._since = at
        wait = self.start_after if condition else self.restore_after
        if at - self._since >= wait:
            self.active = condition
            self._since = None
            return condition
        return None

    def reset(self) -> None:
        self.active = False
        self._since = None
