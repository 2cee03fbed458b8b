"""The drawing helpers every widget shares: font sizes from glyph heights, the card behind a widget,
elided text, rounded tags, colour blends, compact counts and anti-aliased polylines."""

from __future__ import annotations

import itertools

import pygame

from game.ui import theme

GLYPH_PX_PER_SIZE = 0.69  # height of the default font's glyphs per pixel of font size
FLOOR_GLYPH_PX = 8  # labels never shrink below this; tighter rows clip their text instead of overlapping

TRACK = (19, 23, 37)  # the empty part of a bar, and the fill behind a tag
PANEL_FILL = (22, 26, 41)  # widget background (a shade under theme.PANEL)


def font_px(glyph_px: float) -> int:
    """The font size whose glyphs are ``glyph_px`` tall (floored so text stays readable)."""
    return round(max(FLOOR_GLYPH_PX, glyph_px) / GLYPH_PX_PER_SIZE)


def draw_card(surface: pygame.Surface, rect: pygame.Rect) -> int:
    """The rounded panel behind a widget; returns the padding its content should keep."""
    radius = max(4, min(rect.height, rect.width) // 18)
    pygame.draw.rect(surface, PANEL_FILL, rect, border_radius=radius)
    pygame.draw.rect(surface, theme.PANEL_EDGE, rect, width=1, border_radius=radius)
    return max(5, min(rect.height, rect.width) // 28)


def elide(text: str, font: pygame.font.Font, width: int) -> str:
    """``text``, cut with an ellipsis so it fits in ``width`` pixels."""
    if font.size(text)[0] <= width:
        return text
    while text and font.size(text + "…")[0] > width:
        text = text[:-1]
    return text + "…" if text else ""


def draw_tag(
    surface: pygame.Surface,
    text: str,
    anchor: str,
    pos: tuple[int, int],
    size_px: int,
    color: tuple[int, int, int],
) -> pygame.Rect:
    """A small rounded label ("RANDOM", "OVERRIDE") placed by the named anchor of its rect."""
    image = theme.font(size_px, True).render(text, True, color)
    pad_x, pad_y = max(3, image.get_height() // 3), max(1, image.get_height() // 8)
    rect = image.get_rect().inflate(2 * pad_x, 2 * pad_y)
    setattr(rect, anchor, pos)
    pygame.draw.rect(surface, TRACK, rect, border_radius=rect.height // 2)
    pygame.draw.rect(surface, color, rect, width=1, border_radius=rect.height // 2)
    surface.blit(image, image.get_rect(center=rect.center))
    return rect


def blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    """The colour ``t`` of the way from ``a`` to ``b``."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def compact(n: float) -> str:
    """A step count the way a caption says it: 950, 12k, 1.5M."""
    n = float(n)
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{n:.0f}"


def draw_polyline(surface: pygame.Surface, color, points: list[tuple[float, float]], width: int = 1) -> None:
    """An anti-aliased line through ``points`` (at least two)."""
    if len(points) < 2:
        return
    if width <= 1:
        pygame.draw.aalines(surface, color, False, points)
        return
    for a, b in itertools.pairwise(points):
        pygame.draw.aaline(surface, color, a, b, width)
