"""Colours, font sizes and the fonts themselves. Fonts load on first use, never at import."""

from __future__ import annotations

import functools

import pygame

BACKGROUND = (14, 17, 28)  # window background, behind the letterboxed game
PANEL = (26, 31, 48)  # bars above and below the game
PANEL_EDGE = (52, 61, 92)
TEXT = (232, 236, 245)
TEXT_DIM = (150, 160, 185)
ACCENT = (255, 196, 61)  # highlights: selection, score
GOOD = (92, 214, 140)
BAD = (240, 96, 96)
INFO = (110, 170, 255)

WINDOW_SIZE = (1280, 800)  # default window size in pixels; the window can be resized
FPS = 60  # display frames per second


@functools.lru_cache(maxsize=64)
def font(size_px: int, bold: bool = False) -> pygame.font.Font:
    """pygame's bundled font at ``size_px`` pixels (cached: fonts are costly to build)."""
    f = pygame.font.Font(None, max(8, int(size_px)))
    f.set_bold(bold)
    return f


def text_size(window_height: int, share: float) -> int:
    """A font size that is ``share`` of the window's height, so text grows with booth screens."""
    return max(14, int(window_height * share))
