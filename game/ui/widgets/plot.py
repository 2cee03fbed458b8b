"""A titled line plot for learning curves: raw points thin, their moving average thick, bounded memory.

Returns climb noisily, so the moving average carries the story; losses spike, so the y range can be
robust (Tukey's far-out fences: a lone spike is clipped to the edge instead of flattening the curve)
and log-scaled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np
import pygame

from game.ui import theme
from game.ui.widgets.draw import TRACK, blend, compact, draw_card, draw_polyline, elide, font_px

MAXLEN = 1000  # points kept; older ones are dropped
AVERAGE_WINDOW = 20  # points in the trailing moving average
FENCE_IQR = 3.0  # robust range: values beyond the quartiles by this many IQRs are clipped
ROBUST_MIN_POINTS = 8  # fewer points than this always show in full
Y_PAD = 0.03  # share of the y range left free above and below the curve
LOG_FLOOR = 1e-12  # log scale: values at or below zero are drawn here
TITLE_SHARE = 0.12  # title glyph height as a share of the rect height
TITLE_CAP_PX = 26  # ... up to this
SMALL_SHARE = 0.78  # axis labels relative to the title
DOTS_BELOW = 40  # draw each raw point as a dot while there are fewer than this many
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)  # y limits are rounded out to a multiple of one of these x 10^k
NICE_DIVISIONS = 10  # ... chosen so the range holds about this many of them (little wasted height)

RAW_SHARE = 0.55  # raw points' colour: this far from the panel towards the line colour
GRID = (40, 47, 70)  # the zero line and frame of the plotting area


def axis_number(v: float) -> str:
    """A value as an axis label, three digits at most: 12k, 340, 15.5, -21, 0.0075, 1e-05."""
    return compact(v) if abs(v) >= 1e4 else f"{v:.3g}"


def nice_bounds(lo: float, hi: float) -> tuple[float, float]:
    """``lo`` and ``hi`` rounded outwards to round numbers (-25 and 25 rather than -23.4 and 22.0)."""
    rough = (hi - lo) / NICE_DIVISIONS
    magnitude = 10 ** np.floor(np.log10(rough))
    step = next(s * magnitude for s in NICE_STEPS if s * magnitude >= rough * 0.999)
    return float(np.floor(lo / step) * step), float(np.ceil(hi / step) * step)


def log_bounds(lo: float, hi: float) -> tuple[float, float]:
    """log10 limits rounded outwards to 1, 2 or 5 times a power of ten (0.002 and 0.1, say)."""
    marks = np.log10([1.0, 2.0, 5.0, 10.0])
    low = np.floor(lo) + marks[marks <= lo - np.floor(lo) + 1e-9].max()
    high = np.floor(hi) + marks[marks >= hi - np.floor(hi) - 1e-9].min()
    return float(low), float(high)


class LinePlot:
    """A bounded series of (x, y) points drawn as a thin raw line under a thick moving average."""

    def __init__(
        self,
        title: str,
        maxlen: int = MAXLEN,
        average_window: int = AVERAGE_WINDOW,
        x_label: str = "episode",
        log_scale: bool = False,
        robust: bool = True,
        color: tuple[int, int, int] = theme.INFO,
        empty_text: str | None = None,
    ):
        assert maxlen >= 1 and average_window >= 1, (maxlen, average_window)
        self.title = title
        self.average_window = average_window
        self.x_label = x_label
        self.log_scale = log_scale
        self.robust = robust
        self.color = color
        self.empty_text = empty_text or f"waiting for the first {x_label}…"
        self._xs: deque[float] = deque(maxlen=maxlen)
        self._ys: deque[float] = deque(maxlen=maxlen)
        self._version = 0  # bumped by every change, so a drawn picture knows when it is stale
        self._cache: tuple[tuple[int, tuple[int, int]], pygame.Surface] | None = None

    # ------------------------------------------------------------------ data

    def append(self, x: float, y: float) -> None:
        """Add one point (a non-finite y, such as a NaN loss, is skipped)."""
        if np.isfinite(y):
            self._xs.append(float(x))
            self._ys.append(float(y))
            self._version += 1

    def extend(self, values: Iterable[float]) -> None:
        """Add values at x = last x + 1, + 2, ... (from 1 when empty)."""
        x = self._xs[-1] if self._xs else 0.0
        for y in values:
            x += 1
            self.append(x, y)

    def clear(self) -> None:
        """Forget every point."""
        self._xs.clear()
        self._ys.clear()
        self._version += 1

    def __len__(self) -> int:
        return len(self._ys)

    @property
    def xs(self) -> np.ndarray:
        """The x of every kept point, oldest first."""
        return np.fromiter(self._xs, dtype=np.float64, count=len(self._xs))

    @property
    def ys(self) -> np.ndarray:
        """The y of every kept point, oldest first."""
        return np.fromiter(self._ys, dtype=np.float64, count=len(self._ys))

    def moving_average(self) -> np.ndarray:
        """Trailing mean at each point: the mean of it and up to ``average_window - 1`` points before it."""
        y = self.ys
        if y.size == 0:
            return y
        sums = np.concatenate([[0.0], np.cumsum(y)])
        end = np.arange(1, y.size + 1)
        start = np.maximum(0, end - self.average_window)
        return (sums[end] - sums[start]) / (end - start)

    def _to_plot(self, y: np.ndarray) -> np.ndarray:
        """Values -> plotted units (log10 on a log scale)."""
        return np.log10(np.maximum(y, LOG_FLOOR)) if self.log_scale else y

    def y_range(self) -> tuple[float, float]:
        """The y range drawn, in plotted units (log10 on a log scale), padded; robust when asked."""
        y = self._to_plot(self.ys)
        if y.size == 0:
            return 0.0, 1.0
        lo, hi = float(y.min()), float(y.max())
        if self.robust and y.size >= ROBUST_MIN_POINTS:
            q1, q3 = np.percentile(y, [25, 75])
            lo, hi = max(lo, q1 - FENCE_IQR * (q3 - q1)), min(hi, q3 + FENCE_IQR * (q3 - q1))
        span = hi - lo
        if span <= 1e-12:  # a flat line sits in the middle
            half = 0.5 if self.log_scale else (abs(hi) * 0.1 or 1.0)
            lo, hi = lo - half, hi + half
        else:
            lo, hi = lo - Y_PAD * span, hi + Y_PAD * span
        return log_bounds(lo, hi) if self.log_scale else nice_bounds(lo, hi)

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Draw the plot into ``rect``: title and latest values, y and x limits, the curves."""
        rect = pygame.Rect(rect)
        key = (self._version, rect.size)
        if self._cache is None or self._cache[0] != key:  # curves are redrawn only when the data changes
            image = pygame.Surface(rect.size, pygame.SRCALPHA)
            self._render(image, image.get_rect())
            self._cache = (key, image)
        surface.blit(self._cache[1], rect)

    def _render(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        pad = draw_card(surface, rect)
        inner = rect.inflate(-2 * pad, -2 * pad)
        title_glyph = min(TITLE_CAP_PX, max(9, rect.height * TITLE_SHARE), inner.width / 12)
        title_font = theme.font(font_px(title_glyph), True)
        small = theme.font(font_px(title_glyph * SMALL_SHARE))
        self._draw_header(
            surface, pygame.Rect(inner.x, inner.y, inner.width, title_font.get_height()), title_font, small
        )
        top = inner.y + title_font.get_height() + max(3, pad // 2)
        if not self._ys:
            area = pygame.Rect(inner.x, top, inner.width, inner.bottom - top)
            pygame.draw.rect(surface, TRACK, area, border_radius=max(3, area.height // 10))
            text = small.render(elide(self.empty_text, small, area.width - 8), True, theme.TEXT_DIM)
            surface.blit(text, text.get_rect(center=area.center))
            return
        lo, hi = self.y_range()
        labels = [self._y_label(hi), self._y_label(lo)]
        gutter = max(small.size(s)[0] for s in labels) + max(4, pad // 2)
        bottom = inner.bottom - small.get_height()  # the x labels' line
        area = pygame.Rect(inner.x + gutter, top, inner.width - gutter, bottom - top)
        if area.height < 4 or area.width < 8:
            return
        pygame.draw.rect(surface, TRACK, area, border_radius=max(3, min(area.height, area.width) // 12))
        self._draw_axes(surface, area, small, lo, hi, labels)
        clip = surface.get_clip()
        surface.set_clip(area.inflate(-2, -2).clip(clip))
        self._draw_curves(surface, area.inflate(-4, -4), lo, hi, max(2, round(title_glyph / 7)))
        surface.set_clip(clip)

    def _y_label(self, v: float) -> str:
        return axis_number(10**v) if self.log_scale else axis_number(v)

    def _draw_header(
        self,
        surface: pygame.Surface,
        line: pygame.Rect,
        title_font: pygame.font.Font,
        small: pygame.font.Font,
    ) -> None:
        stats = ""
        if self._ys:
            last, avg = self._ys[-1], float(self.moving_average()[-1])
            stats = f"last {axis_number(last)}   avg {axis_number(avg)}"
        stats_w = small.size(stats)[0] if stats else 0
        title = elide(self.title.upper(), title_font, line.width - stats_w - 8)
        title = title_font.render(title, True, theme.TEXT)
        surface.blit(title, title.get_rect(midleft=line.midleft))
        if stats and title.get_width() + stats_w + 8 <= line.width:
            image = small.render(stats, True, self.color)
            surface.blit(image, image.get_rect(midright=(line.right, line.centery)))

    def _draw_axes(
        self,
        surface: pygame.Surface,
        area: pygame.Rect,
        small: pygame.font.Font,
        lo: float,
        hi: float,
        labels: list[str],
    ) -> None:
        for text, anchor, y in ((labels[0], "topright", area.y), (labels[1], "bottomright", area.bottom)):
            image = small.render(text, True, theme.TEXT_DIM)
            surface.blit(image, image.get_rect(**{anchor: (area.x - 4, y)}))
        if not self.log_scale and lo < 0 < hi:  # the zero line, labelled where it does not crowd the limits
            y = area.bottom - 3 - (0 - lo) / (hi - lo) * (area.height - 5)
            pygame.draw.line(surface, GRID, (area.x + 2, y), (area.right - 3, y))
            zero = small.render("0", True, theme.TEXT_DIM)
            spot = zero.get_rect(midright=(area.x - 4, y))
            if spot.top > area.y + small.get_height() and spot.bottom < area.bottom - small.get_height():
                surface.blit(zero, spot)
        xs = self.xs
        y = area.bottom + 1
        first = small.render(compact(xs[0]), True, theme.TEXT_DIM)
        last = small.render(compact(xs[-1]), True, theme.TEXT_DIM)
        surface.blit(first, first.get_rect(topleft=(area.x, y)))
        surface.blit(last, last.get_rect(topright=(area.right, y)))
        name = small.render(self.x_label + ("  (log scale)" if self.log_scale else ""), True, theme.TEXT_DIM)
        spot = name.get_rect(midtop=(area.centerx, y))
        if spot.left > area.x + first.get_width() + 6 and spot.right < area.right - last.get_width() - 6:
            surface.blit(name, spot)

    def _draw_curves(
        self, surface: pygame.Surface, area: pygame.Rect, lo: float, hi: float, thick: int
    ) -> None:
        xs = self.xs
        y_raw, y_avg = self._to_plot(self.ys), self._to_plot(self.moving_average())
        x0, x1 = xs[0], xs[-1]
        if x1 <= x0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        px = area.x + (xs - x0) / (x1 - x0) * (area.width - 1)

        def py(v: np.ndarray) -> np.ndarray:
            return area.bottom - 1 - (np.clip(v, lo, hi) - lo) / (hi - lo) * (area.height - 1)

        raw_color = blend(theme.PANEL, self.color, RAW_SHARE)
        if len(xs) > area.width:  # more points than pixels: each pixel column keeps its min and max
            column = np.round(px).astype(int)
            starts = np.flatnonzero(np.diff(column, prepend=column[0] - 1))
            top, bottom = py(np.maximum.reduceat(y_raw, starts)), py(np.minimum.reduceat(y_raw, starts))
            cx = column[starts].astype(float)
            zigzag = np.empty((2 * len(cx), 2))
            zigzag[0::2, 0] = zigzag[1::2, 0] = cx
            zigzag[0::2, 1], zigzag[1::2, 1] = top, bottom
            draw_polyline(surface, raw_color, zigzag.tolist())
            mean_avg = np.add.reduceat(y_avg, starts) / np.diff(np.append(starts, len(xs)))
            px, avg_points = cx, py(mean_avg)
        else:
            raw = list(zip(px, py(y_raw), strict=True))
            draw_polyline(surface, raw_color, raw)
            if len(raw) < DOTS_BELOW:
                for point in raw:
                    pygame.draw.aacircle(surface, blend(theme.PANEL, self.color, 0.7), point, max(2, thick))
            avg_points = py(y_avg)
        if len(xs) > 1:
            points = np.column_stack([px, avg_points])
            for offset in np.arange(thick) - (thick - 1) / 2:  # a thick line as stacked anti-aliased ones
                draw_polyline(surface, self.color, (points + np.array([0.0, offset])).tolist())
