"""Hindsight: over a finished showcase episode, what the network predicted at each step, Q(s_t, a_t),
against the discounted return it then received (:class:`game.modes.insight.PredictedReturns`)."""

from __future__ import annotations

import numpy as np
import pygame

from game.modes.insight import PredictedReturns
from game.ui import theme
from game.ui.widgets.draw import TRACK, draw_polyline, elide
from game.ui.widgets.learning.panel import (
    HINDSIGHT,
    ONLINE,
    CachedPanel,
    Sizes,
    draw_waiting,
    render_line,
)
from game.ui.widgets.plot import GRID, axis_number, nice_bounds
from game.ui.widgets.text import draw_text

POINTS_PER_PX = 2  # a long episode is drawn with at most this many points per pixel of width
TRUNCATED_NOTE = "cut by the time limit: its last returns miss what came after"


def curve_points(values: np.ndarray, area: pygame.Rect, lo: float, hi: float) -> list[list[float]]:
    """The (x, y) points of ``values`` across ``area`` on the y range ``lo``..``hi``, thinned to its width."""
    values = np.asarray(values, dtype=np.float64)
    count = values.size
    if count < 2:
        return []
    keep = np.unique(np.linspace(0, count - 1, min(count, POINTS_PER_PX * area.width)).astype(int))
    xs = area.x + keep / (count - 1) * (area.width - 1)
    ys = area.bottom - 1 - (np.clip(values[keep], lo, hi) - lo) / (hi - lo) * (area.height - 1)
    finite = np.isfinite(ys)
    return np.column_stack([xs[finite], ys[finite]]).tolist()


class PredictedPanel(CachedPanel):
    """Two lines over the episode's steps: the predictions, and the returns that came."""

    color = HINDSIGHT

    def __init__(self) -> None:
        super().__init__()
        self.view: PredictedReturns | None = None

    def set(self, view: PredictedReturns | None) -> None:
        """A new finished episode (None: none yet)."""
        self.view = view
        self.changed()

    def header(self) -> tuple[str, str]:
        if self.view is None:
            return "PREDICTED VS RECEIVED", ""
        return f"EPISODE {self.view.episode:,}: PREDICTED VS RECEIVED", ""

    def render(self, image: pygame.Surface, body: pygame.Rect, sizes: Sizes) -> None:
        v = self.view
        if v is None:
            draw_waiting(image, body, "waiting for the showcase's episode to end…", sizes)
            return
        predicted = np.asarray(v.predicted, dtype=np.float64).reshape(-1)
        received = np.asarray(v.received, dtype=np.float64).reshape(-1)
        legend = [("predicted Q(s,a)", ONLINE), ("   received return", HINDSIGHT)]
        legend += [(f"   γ={v.gamma:g}", theme.TEXT_DIM)]
        image.blit(render_line(legend, sizes.small_px, body.width, bold=True), (body.x, body.y))
        bottom = body.bottom
        if v.truncated:
            note = elide(TRUNCATED_NOTE, theme.font(sizes.small_px), body.width)
            draw_text(image, note, (body.x, bottom), sizes.small_px, theme.ACCENT, "bottomleft")
            bottom -= sizes.small_h
        both = np.concatenate([predicted, received])
        both = both[np.isfinite(both)]
        if both.size == 0:
            return
        lo, hi = float(both.min()), float(both.max())
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        lo, hi = nice_bounds(lo, hi)
        small = theme.font(sizes.small_px)
        labels = [axis_number(hi), axis_number(lo)]
        gutter = max(small.size(t)[0] for t in labels) + 4
        top = body.y + sizes.small_h + 2
        area = pygame.Rect(body.x + gutter, top, body.width - gutter, bottom - top - sizes.small_h)
        if area.height < 12 or area.width < 16:
            return
        pygame.draw.rect(image, TRACK, area, border_radius=3)
        draw_text(image, labels[0], (area.x - 4, area.y), sizes.small_px, theme.TEXT_DIM, "topright")
        draw_text(image, labels[1], (area.x - 4, area.bottom), sizes.small_px, theme.TEXT_DIM, "bottomright")
        if lo < 0 < hi:
            y = area.bottom - 1 - (0 - lo) / (hi - lo) * (area.height - 1)
            pygame.draw.line(image, GRID, (area.x + 2, y), (area.right - 3, y))
        steps = max(predicted.size, received.size)
        draw_text(image, "step 0", (area.x, area.bottom + 1), sizes.small_px, theme.TEXT_DIM)
        draw_text(
            image, f"{steps - 1:,}", (area.right, area.bottom + 1), sizes.small_px, theme.TEXT_DIM, "topright"
        )
        inner = area.inflate(-4, -4)
        clip = image.get_clip()
        image.set_clip(area)
        for values, color in ((received, HINDSIGHT), (predicted, ONLINE)):
            points = curve_points(values, inner, lo, hi)
            for offset in (0.0, 1.0):  # a two-pixel line as two anti-aliased ones (one call each)
                draw_polyline(image, color, [[x, y + offset] for x, y in points])
        image.set_clip(clip)
