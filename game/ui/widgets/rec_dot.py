"""The recording dot: a red light and what has been recorded so far, while a person's play is kept as a
dataset for learning offline (F10)."""

from __future__ import annotations

import time

import pygame

from game.ui import theme
from game.ui.widgets.text import draw_text

REC = (235, 64, 64)
BLINK_S = 0.6  # the dot's light blinks at this half-period


def draw_rec(
    surface: pygame.Surface, midright: tuple[int, int], size: int, episodes: int, steps: int
) -> pygame.Rect:
    """``● REC 3 games · 412 steps`` ending at ``midright``; returns where it went."""
    text = f"REC  {episodes} game{'s' if episodes != 1 else ''} · {steps} steps"
    label = draw_text(surface, text, midright, size, REC, "midright", bold=True)
    radius = max(4, size // 3)
    centre = (label.x - radius - size // 3, label.centery)
    lit = int(time.monotonic() / BLINK_S) % 2 == 0
    pygame.draw.circle(surface, REC if lit else theme.PANEL_EDGE, centre, radius)
    return label.union(pygame.Rect(centre[0] - radius, centre[1] - radius, 2 * radius, 2 * radius))
