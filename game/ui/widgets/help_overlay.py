"""A screen's controls over a dark shade: each key in bold, what it does beside it (F1 or ?)."""

from __future__ import annotations

import pygame

from game.ui import theme
from game.ui.widgets.draw import elide
from game.ui.widgets.text import draw_text

SHADE_ALPHA = 200  # how dark the shade over the screen is, of 255
LINE_SHARE = 1.3  # line pitch as a multiple of the text size


def draw_help(surface: pygame.Surface, rows: list[tuple[str, str]], size: int) -> None:
    """The CONTROLS list centred on ``surface``; on a small window the column split moves left so the
    longest line fits, and what still does not is cut short."""
    w, h = surface.get_size()
    shade = pygame.Surface((w, h), pygame.SRCALPHA)
    shade.fill((0, 0, 0, SHADE_ALPHA))
    surface.blit(shade, (0, 0))
    line = int(size * LINE_SHARE)
    y = h // 2 - line * (len(rows) + 2) // 2
    draw_text(surface, "CONTROLS", (w // 2, y), size * 3 // 2, theme.ACCENT, "midtop", bold=True)
    y += line * 2
    font, key_font = theme.font(size), theme.font(size, True)
    widest = max(font.size(what)[0] for _, what in rows)
    split = max(max(key_font.size(key)[0] for key, _ in rows) + 2 * size, min(w // 2, w - widest - 2 * size))
    for key, what in rows:
        draw_text(surface, key, (split - size, y), size, theme.TEXT, "topright", bold=True)
        draw_text(surface, elide(what, font, w - split - 2 * size), (split + size, y), size, theme.TEXT_DIM)
        y += line
