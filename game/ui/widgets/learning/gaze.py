"""F8 in versus and race: where the trained agent looks, as a glow over its own picture.

The mode's :class:`~game.modes.lens.PlayerGaze` computes the maps a small chunk per frame, only
while the glow is shown; this widget toggles it, feeds it its frame of work and draws its newest map.
"""

from __future__ import annotations

import pygame

from game.modes.lens import PlayerGaze
from game.ui.widgets.learning.panel import sizes_for
from game.ui.widgets.learning.saliency import SaliencyOverlay

GAZE_KEY = pygame.K_F8  # the same key that shows how the arena's agent learns


class GazeLayer:
    """The agent's saliency over its picture in a match, off until F8 (it costs the window a little
    time); F8 does nothing where there is nothing to show (a Q-table, a game without a picture)."""

    def __init__(self, labels: list[str], gaze: PlayerGaze):
        self.overlay = SaliencyOverlay(labels)
        self.gaze = gaze
        self.on = False
        self._shown = None  # the view the overlay holds

    @property
    def available(self) -> bool:
        return self.gaze.available

    def handle_event(self, event: pygame.event.Event) -> bool:
        """F8 toggles the glow; True when ``event`` was that key."""
        if event.type != pygame.KEYDOWN or event.key != GAZE_KEY or not self.available:
            return False
        self.on = not self.on
        return True

    def update(self) -> None:
        """A piece of the map under way while the glow is on, and the newest finished map."""
        if not self.on:
            return
        self.gaze.work()
        if self.gaze.view is not self._shown:
            self._shown = self.gaze.view
            self.overlay.set(self._shown)

    def draw(self, surface: pygame.Surface, frame_rect: pygame.Rect) -> bool:
        """The glow over the agent's picture at ``frame_rect``; True when one was drawn."""
        if not self.on:
            return False
        drawn, _ = self.overlay.draw(surface, frame_rect, sizes_for(surface.get_height()))
        return drawn

    def hint(self) -> str:
        """The bottom bar's reminder of F8 (nothing for an agent without a network)."""
        if not self.available:
            return ""
        return "  ·  F8 hide where it looks" if self.on else "  ·  F8 where it looks"
