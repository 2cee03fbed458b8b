"""The lab's shared plot: each method's error against the optimum over its own units of work, on log
axes, so that planning's few sweeps and learning's many steps fit one picture."""

from __future__ import annotations

import math

import numpy as np
import pygame

from game.ui import theme
from game.ui.widgets.draw import draw_card, draw_polyline, elide, font_px
from game.ui.widgets.plot import GRID

TITLE_SHARE = 0.075  # title glyph height as a share of the card's height
TITLE_CAP_PX = 17  # ... up to this
ERROR_FLOOR = 1e-4  # errors below this are drawn on the bottom edge (the methods have settled)
X_DECADES_MIN = 3  # the work axis spans at least this many powers of ten


def _decade_bounds(values: list[float], floor: float, min_decades: int) -> tuple[int, int]:
    """Powers of ten around ``values`` (at least ``min_decades`` apart)."""
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    lo = math.floor(math.log10(max(floor, min(positive)))) if positive else 0
    hi = math.ceil(math.log10(max(positive))) if positive else 1
    return lo, max(hi, lo + min_decades)


def decade_label(power: int) -> str:
    """10^power as an axis label: 1, 10, 100, 1k, 10k, 0.1, 1e-3."""
    if 0 <= power < 3:
        return str(10**power)
    if 3 <= power < 6:
        return f"{10 ** (power - 3)}k"
    if power >= 6:
        return f"{10 ** (power - 6)}M"
    return "0.1" if power == -1 else f"1e{power}"


def draw_error_plot(
    surface: pygame.Surface,
    rect: pygame.Rect,
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    units: dict[str, str],
    colours: dict[str, tuple[int, int, int]],
) -> None:
    """One line per method: error (max |V - V*| or |Q - Q*| over the open cells) against work."""
    pad = draw_card(surface, rect)
    inner = rect.inflate(-2 * pad, -2 * pad)
    size = font_px(min(TITLE_CAP_PX, max(9, rect.height * TITLE_SHARE)))
    small = max(10, size * 4 // 5)
    title = "ERROR AGAINST THE OPTIMUM (LOG SCALES)"
    title_image = theme.text_image(elide(title, theme.font(size, True), inner.width), size, theme.TEXT, True)
    surface.blit(title_image, inner.topleft)
    small_font = theme.font(small)
    legend_y = inner.y + title_image.get_height() + 2
    x = inner.x
    for name, colour in colours.items():  # the legend wraps onto a second line where it must
        if name not in curves:
            continue
        label = theme.text_image(f"{name} ({units.get(name, '')})", small, colour)
        if x > inner.x and x + label.get_width() > inner.right:
            x, legend_y = inner.x, legend_y + small_font.get_height()
        surface.blit(label, (x, legend_y))
        x += label.get_width() + small
    axis_w = small_font.size("1e-4")[0] + 6
    area = pygame.Rect(
        inner.x + axis_w,
        legend_y + small_font.get_height() + 4,
        inner.width - axis_w,
        inner.bottom - legend_y - 2 * small_font.get_height() - 4,
    )
    if area.width < 40 or area.height < 30:
        return
    works = [float(w[-1]) for w, _ in curves.values() if len(w)]
    errors = [float(e.max()) for _, e in curves.values() if len(e)]
    x_lo, x_hi = 0, _decade_bounds(works, 1.0, X_DECADES_MIN)[1]
    y_lo, y_hi = _decade_bounds([*errors, ERROR_FLOOR], ERROR_FLOOR, 2)
    y_lo = max(y_lo, round(math.log10(ERROR_FLOOR)))

    def px(work: np.ndarray) -> np.ndarray:
        return area.x + (np.log10(np.maximum(work, 1.0)) - x_lo) / (x_hi - x_lo) * area.width

    def py(error: np.ndarray) -> np.ndarray:
        logs = np.log10(np.clip(error, 10.0**y_lo, None))
        return area.bottom - (logs - y_lo) / (y_hi - y_lo) * area.height

    pygame.draw.rect(surface, GRID, area, width=1)
    for power in range(x_lo, x_hi + 1):
        gx = int(px(np.array([10.0**power]))[0])
        pygame.draw.line(surface, GRID, (gx, area.y), (gx, area.bottom))
        label = theme.text_image(decade_label(power), small, theme.TEXT_DIM)
        surface.blit(label, label.get_rect(midtop=(gx, area.bottom + 2)).clamp(inner))
    for power in range(y_lo, y_hi + 1):
        gy = int(py(np.array([10.0**power]))[0])
        pygame.draw.line(surface, GRID, (area.x, gy), (area.right, gy))
        label = theme.text_image(decade_label(power), small, theme.TEXT_DIM)
        surface.blit(label, label.get_rect(midright=(area.x - 3, gy)))
    clip = surface.get_clip()
    surface.set_clip(area.inflate(2, 2).clip(clip))
    for name, (work, error) in curves.items():
        if len(work) == 0:
            continue
        xs, ys = px(work.astype(np.float64)), py(error.astype(np.float64))
        colour = colours.get(name, theme.TEXT)
        if len(xs) == 1:
            pygame.draw.circle(surface, colour, (int(xs[0]), int(ys[0])), 3)
        else:
            draw_polyline(surface, colour, list(zip(xs.tolist(), ys.tolist(), strict=True)), width=2)
    surface.set_clip(clip)
