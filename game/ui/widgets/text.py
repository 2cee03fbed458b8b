"""Text and panels: every label on screen goes through here, sized from the window."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from game.ui import theme
from game.ui.widgets.draw import elide


def draw_text(
    surface: pygame.Surface,
    text: str,
    pos: tuple[int, int],
    size_px: int,
    color: tuple[int, int, int] = theme.TEXT,
    anchor: str = "topleft",
    bold: bool = False,
) -> pygame.Rect:
    """Draw ``text`` with the named rect anchor ("topleft", "center", "midright", ...) at ``pos``."""
    image = theme.text_image(text, size_px, tuple(color), bold)
    rect = image.get_rect(**{anchor: pos})
    surface.blit(image, rect)
    return rect


def draw_panel(surface: pygame.Surface, rect: pygame.Rect, color=theme.PANEL, edge=theme.PANEL_EDGE) -> None:
    """A flat panel with a one-pixel edge."""
    pygame.draw.rect(surface, color, rect)
    pygame.draw.rect(surface, edge, rect, width=1)


def draw_banner(surface: pygame.Surface, lines: list[str], size_px: int, color=theme.TEXT) -> None:
    """Lines of text centred on a translucent band across the middle of the surface; a line too wide
    for the window is cut short with an ellipsis."""
    w, h = surface.get_size()
    line_h = int(size_px * 1.15)
    band = pygame.Surface((w, line_h * len(lines) + size_px), pygame.SRCALPHA)
    band.fill((0, 0, 0, 170))
    top = h * 2 // 3 - band.get_height() // 2  # below the middle, where games print their own messages
    surface.blit(band, (0, top))
    room = w - 2 * (size_px // 2)
    for i, line in enumerate(lines):
        first = i == 0
        size = size_px if first else size_px * 2 // 3
        draw_text(
            surface,
            elide(line, theme.font(size, first), room),
            (w // 2, top + size_px // 2 + i * line_h),
            size,
            color if first else theme.TEXT_DIM,
            anchor="midtop",
            bold=first,
        )


@dataclass(frozen=True)
class Chrome:
    """Where a game screen's parts go, after :func:`draw_chrome` painted its bars."""

    top: pygame.Rect  # the title bar
    bottom: pygame.Rect  # the status / help bar
    body: pygame.Rect  # everything between them
    size: int  # text size for titles and scores, pixels
    small: int  # text size for help and status lines, pixels


def draw_chrome(surface: pygame.Surface, title: str) -> Chrome:
    """Background, a title bar with ``title`` and an empty bottom bar, all sized from the window."""
    w, h = surface.get_size()
    surface.fill(theme.BACKGROUND)
    bar = max(40, h // 14)
    chrome = Chrome(
        top=pygame.Rect(0, 0, w, bar),
        bottom=pygame.Rect(0, h - bar, w, bar),
        body=pygame.Rect(0, bar, w, h - 2 * bar),
        size=theme.text_size(h, 0.04),
        small=theme.text_size(h, 0.027),
    )
    draw_panel(surface, chrome.top)
    draw_panel(surface, chrome.bottom)
    draw_text(surface, title, (bar // 2, bar // 2), chrome.size, theme.TEXT, "midleft", bold=True)
    return chrome
