"""Surprise: |TD error| of the showcase's recent steps as a timeline (newest at the right), and the most
surprising moments of the window as small pictures (:class:`game.modes.insight.SurpriseView`)."""

from __future__ import annotations

import numpy as np
import pygame

from game.modes.insight import SurpriseView
from game.ui import theme
from game.ui.widgets.draw import TRACK, blend, elide
from game.ui.widgets.learning.panel import (
    GHOST,
    SURPRISE,
    CachedPanel,
    Sizes,
    blit_picture,
    draw_waiting,
    number,
    picture_surface,
    render_line,
    sign_color,
    signed,
)
from game.ui.widgets.plot import nice_bounds
from game.ui.widgets.text import draw_text

MOMENTS = 4  # pictures of the most surprising steps, at most
MOMENTS_SHARE = 0.5  # their row's share of the body's height (the timeline takes the rest)
MIN_TIMELINE_PX = 28  # a shorter body shows the timeline only
STEM_FLOOR = 0.3  # a stem's colour: this far toward SURPRISE at |δ| = 0, all the way at the top


class SurprisePanel(CachedPanel):
    """|δ| against seconds ago, with the biggest moments numbered on the timeline and shown below it."""

    color = SURPRISE

    def __init__(self, pixel_aspect: float = 1.0):
        super().__init__()
        self.pixel_aspect = pixel_aspect
        self.view: SurpriseView | None = None
        self._pictures: list[pygame.Surface] = []

    def set(self, view: SurpriseView | None) -> None:
        """A new view (None: none yet); its moments' pictures become surfaces now, once."""
        self.view = view
        self._pictures = [] if view is None else [picture_surface(m.picture) for m in view.moments[:MOMENTS]]
        self.changed()

    def header(self) -> tuple[str, str]:
        right = "" if self.view is None else f"last {self.view.window_s:.0f} s"
        return "SURPRISE  |δ|", right

    def render(self, image: pygame.Surface, body: pygame.Rect, sizes: Sizes) -> None:
        view = self.view
        if view is None:
            draw_waiting(image, body, "waiting for the showcase's first steps…", sizes)
            return
        moments_h = int(body.height * MOMENTS_SHARE) if self._pictures else 0
        if body.height - moments_h < MIN_TIMELINE_PX + 2 * sizes.small_h:
            moments_h = 0
        timeline = pygame.Rect(body.x, body.y, body.width, body.height - moments_h)
        self._draw_timeline(image, timeline, sizes)
        if moments_h:
            row = pygame.Rect(
                body.x, timeline.bottom + sizes.pad // 2, body.width, moments_h - sizes.pad // 2
            )
            self._draw_moments(image, row, sizes)

    def _draw_timeline(self, image: pygame.Surface, rect: pygame.Rect, sizes: Sizes) -> None:
        view = self.view
        small = theme.font(sizes.small_px)
        values = np.nan_to_num(np.abs(np.asarray(view.values, dtype=np.float64)), posinf=0.0)
        ages = np.asarray(view.seconds_ago, dtype=np.float64)
        peaks = [abs(m.td_error) for m in view.moments] + [float(values.max()) if values.size else 0.0]
        top = max(peaks) if np.isfinite(max(peaks)) and max(peaks) > 0 else 1.0
        top = nice_bounds(0.0, top)[1]
        labels = [number(top), "0"]
        gutter = max(small.size(t)[0] for t in labels) + 4
        area = pygame.Rect(rect.x + gutter, rect.y, rect.width - gutter, rect.height - sizes.small_h)
        if area.height < 8 or area.width < 16:
            return
        pygame.draw.rect(image, TRACK, area, border_radius=3)
        draw_text(image, labels[0], (area.x - 4, area.y), sizes.small_px, theme.TEXT_DIM, "topright")
        draw_text(image, labels[1], (area.x - 4, area.bottom), sizes.small_px, theme.TEXT_DIM, "bottomright")
        y_axis = area.bottom + 1
        draw_text(image, f"{view.window_s:.0f} s ago", (area.x, y_axis), sizes.small_px, theme.TEXT_DIM)
        draw_text(image, "now", (area.right, y_axis), sizes.small_px, theme.TEXT_DIM, "topright")

        def at(age: np.ndarray | float, value: np.ndarray | float) -> tuple:
            """Seconds ago and |δ| -> x and y in the plot."""
            x = area.right - 2 - np.clip(age / max(view.window_s, 1e-9), 0, 1) * (area.width - 4)
            y = area.bottom - 2 - np.clip(value / top, 0, 1) * (area.height - 4)
            return x, y

        if values.size:
            xs, ys = at(ages, values)
            columns = np.round(xs).astype(int)
            order = np.argsort(columns, kind="stable")
            columns, ys, values = columns[order], ys[order], values[order]
            starts = np.flatnonzero(np.diff(columns, prepend=columns[0] - 1))
            highs, peaks = np.minimum.reduceat(ys, starts), np.maximum.reduceat(values, starts)
            shares = STEM_FLOOR + (1 - STEM_FLOOR) * np.minimum(1.0, peaks / top)
            low, high = np.array(TRACK, dtype=np.float64), np.array(SURPRISE, dtype=np.float64)
            colors = (low + (high - low) * shares[:, None]).round().astype(int).tolist()
            tops = np.round(highs).astype(int).tolist()
            for x, y, color in zip(columns[starts].tolist(), tops, colors, strict=True):  # a stem a column
                pygame.draw.line(image, color, (x, area.bottom - 2), (x, y))
        radius = max(3, sizes.small_h // 4)
        label_h = small.get_height()
        for i, moment in enumerate(view.moments[:MOMENTS]):
            x, y = (round(float(v)) for v in at(moment.seconds_ago, abs(moment.td_error)))
            pygame.draw.circle(image, GHOST, (x, y), radius, width=1)
            if y - radius - 1 - label_h >= area.y:  # the number above its circle, or beside it near the top
                draw_text(image, str(i + 1), (x, y - radius - 1), sizes.small_px, GHOST, "midbottom")
            else:
                draw_text(image, str(i + 1), (x + radius + 2, y), sizes.small_px, GHOST, "midleft")

    def _draw_moments(self, image: pygame.Surface, row: pygame.Rect, sizes: Sizes) -> None:
        gap = sizes.pad
        cell_w = (row.width - (MOMENTS - 1) * gap) // MOMENTS
        small = theme.font(sizes.small_px)
        for i, (moment, picture) in enumerate(zip(self.view.moments, self._pictures, strict=False)):
            cell = pygame.Rect(row.x + i * (cell_w + gap), row.y, cell_w, row.height)
            box = pygame.Rect(cell.x, cell.y, cell.width, cell.height - 2 * sizes.small_h)
            if box.height >= 8:
                shown = blit_picture(image, picture, box, self.pixel_aspect, corner=True)
                pygame.draw.rect(image, blend(TRACK, SURPRISE, 0.6), shown.inflate(2, 2), width=1)
                draw_text(image, str(i + 1), (shown.x + 3, shown.y + 2), sizes.small_px, GHOST, bold=True)
            y = box.bottom + 2
            delta = [("δ ", theme.TEXT_DIM), (signed(moment.td_error), sign_color(moment.td_error))]
            image.blit(render_line(delta, sizes.small_px, cell.width, bold=True), (cell.x, y))
            when = f"{moment.seconds_ago:.0f} s ago"
            if moment.reward and small.size(f"{when} · r {signed(moment.reward)}")[0] <= cell.width:
                when += f" · r {signed(moment.reward)}"
            draw_text(
                image,
                elide(when, small, cell.width),
                (cell.x, y + sizes.small_h),
                sizes.small_px,
                theme.TEXT_DIM,
            )
