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

WINDOW_SIZE = (1280, 800)  # the window's size where the desktop has room; the window can be resized
MIN_WINDOW_SIZE = (800, 500)  # never opened smaller (same 16:10 aspect), unless the desktop itself is
DESKTOP_SHARE = 0.9  # the window takes at most this share of the desktop's width and of its height
FPS = 60  # display frames per second


@functools.lru_cache(maxsize=64)
def font(size_px: int, bold: bool = False) -> pygame.font.Font:
    """pygame's bundled font at ``size_px`` pixels (cached: fonts are costly to build)."""
    f = pygame.font.Font(None, max(8, int(size_px)))
    f.set_bold(bold)
    return f


@functools.lru_cache(maxsize=512)
def text_image(text: str, size_px: int, color: tuple[int, ...], bold: bool = False) -> pygame.Surface:
    """``text`` rendered once and reused while it keeps coming back (labels, values that repeat); the
    image is shared, so callers blit it and never change it."""
    return font(size_px, bold).render(text, True, color)


def forget_fonts() -> None:
    """Drop the fonts and rendered texts (those made before a ``pygame.quit()`` are dead)."""
    font.cache_clear()
    text_image.cache_clear()


def text_size(window_height: int, share: float) -> int:
    """A font size that is ``share`` of the window's height, so text grows with booth screens."""
    return max(14, int(window_height * share))


def window_size(desktop: tuple[int, int] | None) -> tuple[int, int]:
    """The window's size on a ``desktop`` (width, height; None: unknown): WINDOW_SIZE, scaled down with
    its aspect kept to at most DESKTOP_SHARE of the desktop each way (room for title bars and taskbars),
    but never under MIN_WINDOW_SIZE, nor over the desktop itself.

    1920x1080 -> 1280x800, 1366x768 -> 1106x691, 1280x720 -> 1037x648, 1024x600 -> 864x540.
    """
    width, height = WINDOW_SIZE
    if desktop is None or min(desktop) <= 0:
        return WINDOW_SIZE
    scale = min(1.0, DESKTOP_SHARE * desktop[0] / width, DESKTOP_SHARE * desktop[1] / height)
    size = (round(width * scale), round(height * scale))
    if size[0] < MIN_WINDOW_SIZE[0] or size[1] < MIN_WINDOW_SIZE[1]:
        size = MIN_WINDOW_SIZE
    return min(size[0], desktop[0]), min(size[1], desktop[1])
