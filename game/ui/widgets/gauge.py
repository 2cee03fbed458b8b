"""Epsilon, the agent's urge to explore: a dial, where it stands on its schedule, and how often it really did.

The share of random moves is measured from the agents' own ``explored`` flags (a random draw, which may
pick the greedy action by chance), so over a window it should sit near epsilon itself.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pygame

from game.ui import theme
from game.ui.widgets.draw import TRACK, blend, compact, draw_card, draw_polyline, draw_tag, font_px
from game.ui.widgets.qbars import EXPLORE, GREEDY

WINDOW = 200  # agent moves over which the share of random ones is measured
DIAL_SWEEP_DEG = 240  # the dial's arc, open at the bottom
DIAL_THICKNESS = 0.2  # arc thickness as a share of the dial's radius
DIAL_POINTS = 64  # polygon points along a full sweep (smooth at booth sizes)
WIDE_RATIO = 1.45  # rects wider than this (w / h) put the dial beside the schedule, not above it
TITLE_SHARE = 0.13  # title glyph height as a share of the rect height
TITLE_CAP_PX = 28  # ... up to this
SMALL_SHARE = 0.75  # captions relative to the title
SCHEDULE_TAIL = 0.2  # the schedule chart runs this share past the end of the decay

SCHEDULE_LINE = (110, 120, 150)  # the schedule still ahead
DIAL_TRACK = (44, 51, 76)  # the dial's empty arc
OVERRIDE = theme.ACCENT  # a manual epsilon, set over the schedule


def linear_epsilon(step: int, start: float, end: float, decay_steps: int) -> float:
    """The linear schedule's epsilon at ``step``: ``start`` to ``end`` over ``decay_steps``, then flat."""
    if decay_steps <= 0:
        return float(end)
    return float(start + (end - start) * min(max(step / decay_steps, 0.0), 1.0))


class EpsilonGauge:
    """Epsilon as a dial, its place on the linear schedule, and the share of random moves lately."""

    def __init__(self, window: int = WINDOW):
        assert window >= 1, window
        self.window = window
        self.epsilon: float | None = None
        self.step = 0
        self.schedule: tuple[float, float, int] | None = None
        self.override = False
        self._explored: deque[bool] = deque(maxlen=window)
        self._cache: tuple[tuple, pygame.Surface] | None = None  # (what it shows, at which size; the picture)

    def update(
        self,
        epsilon: float,
        explored: bool | None,
        step: int,
        schedule: tuple[float, float, int] | None = None,
        override: bool = False,
    ) -> None:
        """Take one agent move: epsilon now, whether the move was random (None: a person moved), the step."""
        self.epsilon = float(epsilon)
        self.step = int(step)
        if schedule is not None:
            schedule = (float(schedule[0]), float(schedule[1]), int(schedule[2]))
        self.schedule = schedule
        self.override = bool(override)
        if explored is not None:
            self._explored.append(bool(explored))

    @property
    def random_share(self) -> float:
        """The share of the last ``window`` agent moves that were random (0.0 before any)."""
        return float(np.mean(self._explored)) if self._explored else 0.0

    @property
    def moves(self) -> int:
        """How many agent moves the share is measured over (up to ``window``)."""
        return len(self._explored)

    def scheduled(self) -> float | None:
        """What the schedule alone says epsilon is at the current step (None without a schedule)."""
        return None if self.schedule is None else linear_epsilon(self.step, *self.schedule)

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Draw the gauge into ``rect``: dial beside the schedule when wide, above it when tall."""
        rect = pygame.Rect(rect)
        # The picture changes with each agent move (15 a second in Atari), not with each of the 60
        # frames: it is drawn again only when something it shows has changed.
        shown = (self.epsilon, self.step, self.schedule, self.override, self.moves, sum(self._explored))
        key = (rect.size, shown)
        if self._cache is None or self._cache[0] != key:
            image = pygame.Surface(rect.size, pygame.SRCALPHA)
            self._render(image, image.get_rect())
            self._cache = (key, image)
        surface.blit(self._cache[1], rect)

    def _render(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        pad = draw_card(surface, rect)
        inner = rect.inflate(-2 * pad, -2 * pad)
        title_glyph = min(TITLE_CAP_PX, max(9, rect.height * TITLE_SHARE), inner.width / 12)
        if inner.width >= WIDE_RATIO * inner.height:
            side = min(inner.height, int(inner.width * 0.36))
            dial = pygame.Rect(inner.x, inner.y, side, inner.height)
            info = pygame.Rect(dial.right + pad, inner.y, inner.right - dial.right - pad, inner.height)
        else:
            title_glyph = min(title_glyph, rect.width * 0.06)
            dial = pygame.Rect(inner.x, inner.y, inner.width, int(inner.height * 0.5))
            info = pygame.Rect(inner.x, dial.bottom + pad, inner.width, inner.bottom - dial.bottom - pad)
        self._draw_dial(surface, dial, title_glyph)
        self._draw_info(surface, info, title_glyph)

    def _draw_dial(self, surface: pygame.Surface, area: pygame.Rect, title_glyph: float) -> None:
        # The arc is open at the bottom: 2r wide, 1.5r tall, and room under its ends for "0" and "1".
        small = theme.font(font_px(title_glyph * SMALL_SHARE))
        open_drop = -math.cos(math.radians(DIAL_SWEEP_DEG / 2))
        radius = int(min(area.width / 2, (area.height - small.get_height()) / (1 + open_drop)) * 0.97)
        top = area.y + round((area.height - radius * (1 + open_drop) - small.get_height()) / 2)
        center = (area.centerx, top + radius)
        thick = max(3, round(radius * DIAL_THICKNESS))
        _arc(surface, DIAL_TRACK, center, radius, thick, 0.0, 1.0)
        eps = self.epsilon
        color = OVERRIDE if self.override else EXPLORE
        if eps is not None:
            _arc(surface, color, center, radius, thick, 0.0, min(max(eps, 0.0), 1.0))
        scheduled = self.scheduled()
        if self.override and scheduled is not None:  # where the schedule would have it
            spot = _on_arc(center, radius - thick / 2, scheduled)
            pygame.draw.aacircle(surface, theme.TEXT, spot, max(2, thick // 2), max(1, thick // 6))
        number = "-" if eps is None else f"{eps:.2f}"
        big = theme.font(font_px(radius * 0.5), True)
        image = big.render(number, True, theme.TEXT)
        surface.blit(image, image.get_rect(center=(center[0], center[1] - radius * 0.02)))
        text, text_color = ("ε  OVERRIDE", OVERRIDE) if self.override else ("ε  epsilon", theme.TEXT_DIM)
        caption_px = font_px(max(radius * 0.2, title_glyph * SMALL_SHARE))
        room = 1.5 * (radius - thick)  # the caption stays inside the ring: smaller, or just "ε"
        while theme.font(caption_px).size(text)[0] > room and caption_px > font_px(0):
            caption_px = max(font_px(0), caption_px - max(1, caption_px // 10))
        if theme.font(caption_px).size(text)[0] > room:
            text = "ε"
        label = theme.font(caption_px).render(text, True, text_color)
        surface.blit(label, label.get_rect(midtop=(center[0], center[1] + radius * 0.3)))
        for value, text in ((0.0, "0"), (1.0, "1")):
            x, y = _on_arc(center, radius - thick / 2, value)
            end = small.render(text, True, theme.TEXT_DIM)
            surface.blit(end, end.get_rect(midtop=(x, y + thick / 2 + 1)))

    def _draw_info(self, surface: pygame.Surface, area: pygame.Rect, title_glyph: float) -> None:
        title_px = font_px(title_glyph)
        while theme.font(title_px, True).size("EXPLORATION")[0] > area.width and title_px > font_px(0):
            title_px = max(font_px(0), title_px - max(1, title_px // 10))  # it stays on its card
        title_font = theme.font(title_px, True)
        small = theme.font(font_px(title_glyph * SMALL_SHARE))
        gap = max(2, small.get_height() // 3)
        y = area.y
        title = title_font.render("EXPLORATION", True, theme.TEXT)
        surface.blit(title, (area.x, y))
        tag_px = font_px(title_glyph * SMALL_SHARE)
        tag_w = theme.font(tag_px, True).size("OVERRIDE")[0] * 1.4
        if self.override and title.get_width() + tag_w < area.width:  # else the dial's caption says it
            spot = (area.right, y + title.get_height() // 2)
            draw_tag(surface, "OVERRIDE", "midright", spot, tag_px, OVERRIDE)
        y += title.get_height() + gap

        # The share of random moves: a bar with a tick where epsilon says it should be.
        share_h = small.get_height() + gap + max(4, small.get_height() // 2)
        chart = pygame.Rect(area.x, y, area.width, area.bottom - y - share_h - gap)
        if self.schedule is not None and chart.height >= small.get_height() * 2:
            self._draw_schedule(surface, chart, small)
            y = area.bottom - share_h
        self._draw_share(surface, pygame.Rect(area.x, y, area.width, share_h), small)

    def _draw_schedule(self, surface: pygame.Surface, area: pygame.Rect, small: pygame.font.Font) -> None:
        start, end, decay_steps = self.schedule
        caption = f"schedule {start:.2f} to {end:.2f} over {compact(decay_steps)} steps"
        if small.size(caption)[0] > area.width:
            caption = f"{start:.2f} to {end:.2f} in {compact(decay_steps)}"
        surface.blit(small.render(caption, True, theme.TEXT_DIM), (area.x, area.y))
        now = small.render(f"step {compact(self.step)}", True, theme.TEXT_DIM)
        plot = pygame.Rect(area.x, area.y + small.get_height() + 2, area.width, 0)
        plot.height = area.bottom - plot.y
        pygame.draw.rect(surface, TRACK, plot, border_radius=max(2, plot.height // 6))
        inset = plot.inflate(-2 * max(3, plot.height // 8), -2 * max(3, plot.height // 8))
        x_max = max(decay_steps * (1 + SCHEDULE_TAIL), self.step * 1.05, 1)
        y_max = max(1.0, start, end, self.epsilon or 0.0)

        def to_px(step: float, eps: float) -> tuple[float, float]:
            x = inset.x + step / x_max * (inset.width - 1)
            return x, inset.bottom - 1 - eps / y_max * (inset.height - 1)

        line = [to_px(0, start), to_px(decay_steps, end), to_px(x_max, end)]
        width = max(1, plot.height // 18)
        draw_polyline(surface, SCHEDULE_LINE, line, width)
        walked = [to_px(0, start)] + ([to_px(decay_steps, end)] if self.step > decay_steps else [])
        walked.append(to_px(self.step, linear_epsilon(self.step, start, end, decay_steps)))
        draw_polyline(surface, blend(SCHEDULE_LINE, EXPLORE, 0.7), walked, width + 1)
        if self.epsilon is not None:
            color = OVERRIDE if self.override else EXPLORE
            dot = max(3, min(plot.height // 9, small.get_height() // 3))
            spot = to_px(self.step, self.epsilon)
            pygame.draw.aacircle(surface, theme.TEXT, spot, dot + 1)
            pygame.draw.aacircle(surface, color, spot, dot)
        surface.blit(now, now.get_rect(topright=(inset.right, inset.y)))

    def _draw_share(self, surface: pygame.Surface, area: pygame.Rect, small: pygame.font.Font) -> None:
        share = self.random_share
        text = f"random {share:.0%} of the last {self.moves} moves" if self.moves else "no agent moves yet"
        image = small.render(text, True, theme.TEXT)
        if image.get_width() > area.width:
            image = small.render(f"random {share:.0%} of {self.moves}", True, theme.TEXT)
        surface.blit(image, (area.x, area.bottom - image.get_height()))
        if self.epsilon is not None:  # the tick on the bar, explained when there is room
            hint = small.render(f"   |  ε expects {self.epsilon:.0%}", True, GREEDY)
            if image.get_width() + hint.get_width() <= area.width:
                surface.blit(hint, (area.x + image.get_width(), area.bottom - image.get_height()))
        bar = pygame.Rect(area.x, area.y, area.width, max(4, small.get_height() // 2))
        bar.bottom = area.bottom - image.get_height() - max(2, small.get_height() // 3)
        pygame.draw.rect(surface, TRACK, bar, border_radius=bar.height // 2)
        if self.moves:
            filled = bar.copy()
            filled.width = max(bar.height, round(bar.width * share))
            pygame.draw.rect(surface, EXPLORE, filled, border_radius=bar.height // 2)
        if self.epsilon is not None:  # where epsilon says the share should be
            x = bar.x + min(max(self.epsilon, 0.0), 1.0) * (bar.width - 1)
            pygame.draw.line(surface, GREEDY, (x, bar.y - 2), (x, bar.bottom + 1), 2)


def _on_arc(center: tuple[int, int], radius: float, value: float) -> tuple[float, float]:
    """The point at ``value`` (0..1, left to right through the top) on the dial's arc."""
    angle = math.radians(90 + DIAL_SWEEP_DEG / 2 - value * DIAL_SWEEP_DEG)
    return center[0] + radius * math.cos(angle), center[1] - radius * math.sin(angle)


def _arc(
    surface: pygame.Surface, color, center: tuple[int, int], radius: int, thick: int, v0: float, v1: float
) -> None:
    """An anti-aliased arc band from ``v0`` to ``v1`` of the dial, with rounded ends."""
    if v1 <= v0:
        return
    steps = max(2, round(DIAL_POINTS * (v1 - v0)))
    angles = np.radians(90 + DIAL_SWEEP_DEG / 2 - np.linspace(v0, v1, steps + 1) * DIAL_SWEEP_DEG)
    radii = np.concatenate([np.full(steps + 1, float(radius)), np.full(steps + 1, float(radius - thick))])
    angles = np.concatenate([angles, angles[::-1]])  # out along the outer edge, back along the inner
    band = np.column_stack([center[0] + radii * np.cos(angles), center[1] - radii * np.sin(angles)]).tolist()
    pygame.draw.polygon(surface, color, band)
    pygame.draw.aalines(surface, color, True, band)
    for v in (v0, v1):
        pygame.draw.aacircle(surface, color, _on_arc(center, radius - thick / 2, v), thick / 2)
