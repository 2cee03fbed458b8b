"""The Bellman target's ghost on the Q-bars: a hollow marker where the latest traced update aimed one
action's value, fading out after a few seconds while the bar (on later states) moves toward it."""

from __future__ import annotations

import math
import time

import pygame

from game.ui.widgets.draw import PANEL_FILL, blend
from game.ui.widgets.learning.panel import GHOST

GHOST_SECONDS = 4.0  # a target's marker stays this long
FADE_SHARE = 0.5  # ... and fades out over this last share of it


class GhostMarker:
    """Where the latest Bellman target puts one action's value, and since when."""

    def __init__(self) -> None:
        self.action: int | None = None
        self.value = 0.0
        self.since = -math.inf

    def set(self, action: int, value: float, now: float | None = None) -> None:
        """Mark ``value`` on ``action``'s bar from now on."""
        self.action, self.value = int(action), float(value)
        self.since = time.monotonic() if now is None else now

    def clear(self) -> None:
        self.action = None

    def strength(self, now: float | None = None) -> float:
        """1 while fresh, down to 0 as it fades out; 0 when there is none to show."""
        if self.action is None or not math.isfinite(self.value):
            return 0.0
        age = (time.monotonic() if now is None else now) - self.since
        fade_from = GHOST_SECONDS * (1 - FADE_SHARE)
        if age <= fade_from:
            return 1.0
        return max(0.0, 1.0 - (age - fade_from) / (GHOST_SECONDS - fade_from))

    def draw(
        self, surface: pygame.Surface, track: pygame.Rect, x: float, bar_end: float, strength: float
    ) -> None:
        """The marker at ``x`` on ``track``, and a dotted pull from the bar's end (``bar_end``) to it."""
        color = blend(PANEL_FILL, GHOST, strength)
        y = track.centery
        dash = max(2, track.height // 3)
        lo, hi = sorted((bar_end, x))
        for start in range(round(lo), round(hi) - dash, 2 * dash):
            pygame.draw.line(surface, color, (start, y), (start + dash - 1, y))
        reach = max(2, track.height // 4)
        marker = pygame.Rect(0, 0, max(4, track.height // 3), track.height + 2 * reach)
        marker.center = (round(x), y)
        pygame.draw.rect(surface, color, marker, width=max(2, track.height // 8), border_radius=1)
