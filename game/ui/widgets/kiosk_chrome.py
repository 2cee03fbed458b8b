"""The kiosk's own layer over the games: caption band, visitor clock, idle warning and title cards.

Everything is sized from the window's height and meant to be read from a few metres away: large,
bold, high contrast, one idea per line.
"""

from __future__ import annotations

import pygame

from game.ui import theme
from game.ui.widgets.learning.panel import PANEL_COLORS
from game.ui.widgets.qbars import EXPLORE, GREEDY
from game.ui.widgets.race_panels import clock_text as race_clock_text
from game.ui.widgets.text import draw_text

CAPTION_SHARE = 0.04  # caption text size, share of the window height
BAND_SHARE = 0.09  # height of the caption band at the bottom, share of the window height
CLOCK_WARNING_S = 20.0  # the visitor's clock turns red this close to the end
CLOCK_SHARE = 0.045  # the visitor's clock's text size, share of the window height
CLOCK_WIDEST = "00:00 left"  # the widest the visitor's clock reads (any time under 100 minutes)
TAG_COLORS = {  # a caption's colour, by what it points at ("how it learns" panels: their own colours)
    "bars": GREEDY,
    "epsilon": EXPLORE,
    "join": theme.ACCENT,
    "info": theme.INFO,
    **PANEL_COLORS,
}


def fitted_size(text: str, size: int, width: int, bold: bool = True) -> int:
    """The largest font size up to ``size`` at which ``text`` fits in ``width`` pixels."""
    while size > 12 and theme.font(size, bold).size(text)[0] > width:
        size = size * 9 // 10
    return size


def clock_text(seconds: float) -> str:
    """Seconds as the visitor's clock shows them: '2:41 left' (0.2 s still reads 0:01)."""
    return f"{race_clock_text(seconds)} left"


def band_height(window_h: int) -> int:
    """The caption band's height in a window ``window_h`` pixels tall (a screen under it keeps this free)."""
    return max(48, int(window_h * BAND_SHARE))


def draw_caption_band(
    surface: pygame.Surface, tag: str, text: str, kind: str = "info", reserve_px: int = 0
) -> pygame.Rect:
    """A band across the bottom of the window: a coloured tag, then one sentence (kept clear of the
    band's last ``reserve_px`` pixels on the right)."""
    w, h = surface.get_size()
    band = pygame.Rect(0, h - band_height(h), w, band_height(h))
    pygame.draw.rect(surface, theme.PANEL, band)
    color = TAG_COLORS.get(kind, theme.INFO)
    pygame.draw.rect(surface, color, (0, band.y, w, max(3, h // 200)))
    size = theme.text_size(h, CAPTION_SHARE)
    margin = band.height // 3
    tag_rect = pygame.Rect(0, 0, 0, 0)
    if tag:
        image = theme.font(size * 3 // 4, True).render(tag, True, theme.BACKGROUND)
        tag_rect = image.get_rect().inflate(size, size // 3)
        tag_rect.midleft = (margin, band.centery)
        pygame.draw.rect(surface, color, tag_rect, border_radius=tag_rect.height // 2)
        surface.blit(image, image.get_rect(center=tag_rect.center))
    left = tag_rect.right + margin if tag else margin
    fitted = fitted_size(text, size, w - left - margin - reserve_px)
    draw_text(surface, text, (left, band.centery), fitted, theme.TEXT, "midleft", bold=True)
    return band


def draw_pointer(surface: pygame.Surface, panel: pygame.Rect, color: tuple[int, int, int]) -> None:
    """Outline ``panel`` in the caption's colour, so the caption shows what it explains."""
    thickness = max(3, surface.get_height() // 220)
    outline = panel.inflate(thickness * 2, thickness * 2)
    pygame.draw.rect(surface, color, outline, width=thickness, border_radius=max(6, panel.height // 18))


def clock_rect(window: tuple[int, int], text: str) -> pygame.Rect:
    """Where the visitor's clock showing ``text`` goes: a pill at the right end of the bottom bar."""
    w, h = window
    size = theme.text_size(h, CLOCK_SHARE)
    text_w, text_h = theme.font(size, True).size(text)
    pill = pygame.Rect(0, 0, text_w, text_h).inflate(size, size // 3)
    bar = max(40, h // 14)
    pill.midright = (w - bar // 3, h - bar // 2)
    return pill


def clock_reserve(window: tuple[int, int]) -> int:
    """Pixels at the right end of the bottom bar that the visitor's clock may take, for any time
    under 100 minutes: a screen under the booth keeps its bottom-bar text left of them."""
    return window[0] - clock_rect(window, CLOCK_WIDEST).left


def draw_clock(surface: pygame.Surface, seconds_left: float) -> pygame.Rect:
    """The visitor's time, '2:41 left', as a pill in the bottom-right corner (red near the end)."""
    text = clock_text(seconds_left)
    pill = clock_rect(surface.get_size(), text)
    color = theme.BAD if seconds_left <= CLOCK_WARNING_S else theme.ACCENT
    size = theme.text_size(surface.get_height(), CLOCK_SHARE)
    image = theme.font(size, True).render(text, True, theme.BACKGROUND)
    pygame.draw.rect(surface, color, pill, border_radius=pill.height // 2)
    surface.blit(image, image.get_rect(center=pill.center))
    return pill


def draw_idle_warning(
    surface: pygame.Surface,
    seconds_left: float,
    detail: str = "Press any key or button to keep playing",
    center_share: float = 0.5,
) -> None:
    """'STILL THERE?' across the window (centred ``center_share`` of the way down), with what to do
    and the seconds before the booth moves on."""
    w, h = surface.get_size()
    size = theme.text_size(h, 0.07)
    band = pygame.Surface((w, int(size * 2.6)), pygame.SRCALPHA)
    band.fill((0, 0, 0, 200))
    top = int(h * center_share) - band.get_height() // 2
    surface.blit(band, (0, top))
    draw_text(surface, "STILL THERE?", (w // 2, top + size // 5), size, theme.ACCENT, "midtop", bold=True)
    detail = f"{detail}  ·  {int(seconds_left + 0.999)}"
    draw_text(surface, detail, (w // 2, top + size * 13 // 10), size // 2, theme.TEXT, "midtop")


def draw_title_card(
    surface: pygame.Surface, kicker: str, title: str, lines: list[str], footer: str = ""
) -> None:
    """A whole-window card: a small kicker, a big title, a few lines, and a footer in the accent colour."""
    w, h = surface.get_size()
    surface.fill(theme.BACKGROUND)
    size = theme.text_size(h, 0.045)
    y = int(h * 0.2)
    draw_text(surface, kicker.upper(), (w // 2, y), size * 3 // 4, theme.TEXT_DIM, "midtop", bold=True)
    y += size * 3 // 2
    big = fitted_size(title, size * 3, int(w * 0.9))
    y = draw_text(surface, title, (w // 2, y), big, theme.TEXT, "midtop", bold=True).bottom + size
    for line in lines:
        fitted = fitted_size(line, size, int(w * 0.9), bold=False)
        y = draw_text(surface, line, (w // 2, y), fitted, theme.TEXT_DIM, "midtop").bottom + size // 2
    if footer:
        fitted = fitted_size(footer, size * 5 // 4, int(w * 0.9))
        draw_text(surface, footer, (w // 2, int(h * 0.82)), fitted, theme.ACCENT, "center", bold=True)
