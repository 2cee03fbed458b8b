"""Replay memory: how full it is, a person's demonstrations in it, and the latest traced update's
minibatch, as small pictures (image games) or as dots between the oldest and the newest slot
(:class:`game.modes.insight.ReplayView`)."""

from __future__ import annotations

import math

import numpy as np
import pygame

from game.modes.insight import ReplayView
from game.ui import theme
from game.ui.widgets.draw import TRACK, blend, compact
from game.ui.widgets.learning.panel import (
    GHOST,
    MEMORY,
    SURPRISE,
    CachedPanel,
    Sizes,
    draw_waiting,
    picture_surface,
    render_line,
)
from game.ui.widgets.qbars import HUMAN
from game.ui.widgets.text import draw_text

THUMB_GAP_PX = 2  # between two pictures of the minibatch
TD_STRIP_MIN_PX = 18  # pictures at least this tall get a strip under them showing the row's |δ|
DOT_MIN_PX = 2  # radius of the dot of a row with no |δ|
GOLDEN = 0.618034  # spreads the dots' heights evenly, row after row


def grid_shape(count: int, area: tuple[int, int], aspect: float) -> tuple[int, int]:
    """(columns, rows) that give ``count`` pictures of width/height ``aspect`` the most room in ``area``."""
    best, shape = -1.0, (count, 1)
    for columns in range(1, count + 1):
        rows = math.ceil(count / columns)
        cell_w = (area[0] - (columns - 1) * THUMB_GAP_PX) / columns
        cell_h = (area[1] - (rows - 1) * THUMB_GAP_PX) / rows
        side = min(cell_w, cell_h * aspect)
        if side > best:
            best, shape = side, (columns, rows)
    return shape


class ReplayPanel(CachedPanel):
    """The memory's fill, its demonstrations and the minibatch it just sampled."""

    color = MEMORY

    def __init__(self) -> None:
        super().__init__()
        self.view: ReplayView | None = None
        self._thumbs: list[pygame.Surface] = []

    def set(self, view: ReplayView | None) -> None:
        """A new view (None: none yet); the minibatch's pictures become surfaces now, once."""
        self.view = view
        pictures = None if view is None else view.batch_pictures
        self._thumbs = [] if pictures is None else [picture_surface(p) for p in pictures]
        self.changed()

    def header(self) -> tuple[str, str]:
        return "REPLAY MEMORY", "" if self.view is None else f"{self.view.megabytes:,.0f} MB"

    def render(self, image: pygame.Surface, body: pygame.Rect, sizes: Sizes) -> None:
        v = self.view
        if v is None:
            draw_waiting(image, body, "waiting for the first update…", sizes)
            return
        y = body.y
        count = [(f"{v.transitions:,}", theme.TEXT), (f" / {v.capacity:,} transitions", theme.TEXT_DIM)]
        image.blit(render_line(count, sizes.small_px, body.width), (body.x, y))
        y += sizes.small_h
        bar = pygame.Rect(body.x, y, body.width, max(4, sizes.small_h // 2))
        pygame.draw.rect(image, TRACK, bar, border_radius=bar.height // 2)
        ring = max(0, v.transitions - v.demos) / max(1, v.capacity)  # demonstrations are kept apart
        if ring > 0:
            fill = pygame.Rect(bar.x, bar.y, max(bar.height, round(bar.width * min(1.0, ring))), bar.height)
            pygame.draw.rect(image, MEMORY, fill, border_radius=bar.height // 2)
        y = bar.bottom + sizes.pad // 2
        if v.demos:
            demo = f"{compact(v.demos)} of a person's moves kept  ·  {v.batch_demo_share:.0%} of this batch"
            demo_line = [(demo, HUMAN)]
        else:
            demo_line = [("no person's moves yet: take over to add some", theme.TEXT_DIM)]
        image.blit(render_line(demo_line, sizes.small_px, body.width), (body.x, y))
        y += sizes.small_h
        rows = len(v.batch_age)
        legend = [(f"this update's minibatch of {rows}", theme.TEXT_DIM), ("  ·  ", theme.TEXT_DIM)]
        legend += [("the readout's row", GHOST), (", ", theme.TEXT_DIM), ("a person's", HUMAN)]
        legend += [(", ", theme.TEXT_DIM), ("|δ|", SURPRISE) if self._thumbs else ("size: |δ|", MEMORY)]
        image.blit(render_line(legend, sizes.small_px, body.width), (body.x, y))
        y += sizes.small_h
        area = pygame.Rect(body.x, y, body.width, body.bottom - y - sizes.small_h)
        if area.height < 8 or rows == 0:
            return
        if self._thumbs:
            self._draw_thumbs(image, area)
        else:
            self._draw_dots(image, area)
        self._draw_age_axis(image, pygame.Rect(area.x, area.bottom, area.width, sizes.small_h), sizes)

    def _marks(self, row: int) -> tuple[tuple[int, int, int] | None, int]:
        """A row's outline colour (the readout's row white, a person's gold) and its width."""
        if row == self.view.showcase_row:
            return GHOST, 2
        if row < len(self.view.batch_demo) and self.view.batch_demo[row]:
            return HUMAN, 2
        return None, 0

    def _draw_thumbs(self, image: pygame.Surface, area: pygame.Rect) -> None:
        v = self.view
        h, w = self._thumbs[0].get_height(), self._thumbs[0].get_width()
        columns, rows = grid_shape(len(self._thumbs), area.size, w / h)
        cell_w = (area.width - (columns - 1) * THUMB_GAP_PX) // columns
        cell_h = (area.height - (rows - 1) * THUMB_GAP_PX) // rows
        side_h = min(cell_h, int(cell_w * h / w))
        side_w = max(1, int(side_h * w / h))
        strip = side_h >= TD_STRIP_MIN_PX
        picture_h = side_h - 3 if strip else side_h
        top_td = float(np.max(v.batch_td)) if len(v.batch_td) else 0.0
        width = columns * side_w + (columns - 1) * THUMB_GAP_PX
        left = area.x + (area.width - width) // 2
        for i, thumb in enumerate(self._thumbs):
            col, line = i % columns, i // columns
            rect = pygame.Rect(
                left + col * (side_w + THUMB_GAP_PX),
                area.y + line * (side_h + THUMB_GAP_PX),
                side_w,
                picture_h,
            )
            image.blit(pygame.transform.scale(thumb, rect.size), rect)
            if strip and i < len(v.batch_td) and top_td > 0:
                share = min(1.0, float(v.batch_td[i]) / top_td)
                pygame.draw.rect(image, TRACK, (rect.x, rect.bottom + 1, rect.width, 2))
                pygame.draw.rect(
                    image, SURPRISE, (rect.x, rect.bottom + 1, max(1, round(rect.width * share)), 2)
                )
            color, outline = self._marks(i)
            if color is not None:
                pygame.draw.rect(image, color, rect.inflate(2, 2), width=outline)

    def _draw_dots(self, image: pygame.Surface, area: pygame.Rect) -> None:
        v = self.view
        pygame.draw.rect(image, TRACK, area, border_radius=3)
        td = np.nan_to_num(np.abs(np.asarray(v.batch_td, dtype=np.float64)), posinf=0.0)
        top = float(td.max()) if td.size and td.max() > 0 else 1.0
        biggest = max(DOT_MIN_PX + 1, min(area.height // 5, area.width // 30))
        order = sorted(
            range(len(v.batch_age)), key=lambda i: td[i] if i < td.size else 0.0
        )  # big ones on top
        for i in order:
            share = min(1.0, td[i] / top) if i < td.size else 0.0
            x = area.x + 3 + (1 - float(np.clip(v.batch_age[i], 0, 1))) * (area.width - 7)
            y = area.y + biggest + ((i * GOLDEN) % 1.0) * (area.height - 2 * biggest)
            radius = round(DOT_MIN_PX + share * (biggest - DOT_MIN_PX))
            color, outline = self._marks(i)
            fill = HUMAN if color is HUMAN else blend(TRACK, MEMORY, 0.35 + 0.65 * share)
            pygame.draw.circle(image, fill, (round(x), round(y)), radius)
            if color is GHOST:
                pygame.draw.circle(image, GHOST, (round(x), round(y)), radius + 2, width=outline)

    def _draw_age_axis(self, image: pygame.Surface, line: pygame.Rect, sizes: Sizes) -> None:
        """'oldest' to 'newest' under the batch, with a tick where each row came from."""
        v = self.view
        dim = theme.TEXT_DIM
        left = draw_text(image, "oldest", (line.x, line.centery), sizes.small_px, dim, "midleft")
        right = draw_text(image, "newest", (line.right, line.centery), sizes.small_px, dim, "midright")
        axis = pygame.Rect(left.right + 6, line.centery, right.left - left.right - 12, 1)
        if axis.width < 10:
            return
        pygame.draw.line(image, theme.PANEL_EDGE, axis.topleft, axis.topright)
        tick = max(2, line.height // 4)
        for i, age in enumerate(v.batch_age):
            color, _ = self._marks(i)
            x = axis.x + (1 - float(np.clip(age, 0, 1))) * (axis.width - 1)
            reach = tick + 2 if color is not None else tick
            pygame.draw.line(image, color or MEMORY, (x, axis.y - reach), (x, axis.y + reach))
