"""Target network: when it next catches up with the online network (a flash when it just did), and how
far apart the two are on the showcase's current state (:class:`game.modes.insight.TargetView`)."""

from __future__ import annotations

import math
import time

import numpy as np
import pygame

from game.modes.insight import TargetView
from game.ui import theme
from game.ui.widgets.draw import TRACK, blend, elide
from game.ui.widgets.learning.panel import (
    ONLINE,
    TARGET_NET,
    CachedPanel,
    Segment,
    Sizes,
    draw_waiting,
    number,
    render_line,
    tag_surface,
)
from game.ui.widgets.text import draw_text

FLASH_SECONDS = 1.0  # "COPIED" shows this long after a hard copy
ROW_CAP_LINES = 1.25  # an action's row is at most this many text lines tall
LABEL_SHARE = 0.28  # the action names' column, at most this share of the width

DIM = theme.TEXT_DIM


class TargetPanel(CachedPanel):
    """The next copy's countdown, and per action Q_online against Q_target on the current state."""

    color = TARGET_NET

    def __init__(self, labels: list[str]):
        super().__init__()
        self.labels = labels
        self.view: TargetView | None = None
        self.copied_at = -math.inf
        self._flash_at: tuple[int, int] | None = None  # where "COPIED" goes, in the card's own pixels
        self._tag: tuple[int, pygame.Surface] | None = None

    def set(self, view: TargetView | None, now: float | None = None) -> None:
        """A new view (None: none yet); a rise of the hard copies' count starts the "COPIED" flash."""
        old = self.view
        if view is not None and old is not None and view.copies > old.copies and view.tau >= 1:
            self.copied_at = time.monotonic() if now is None else now
        self.view = view
        self.changed()

    def flash(self, now: float | None = None) -> float:
        """1 just after a copy, fading to 0 over FLASH_SECONDS."""
        age = (time.monotonic() if now is None else now) - self.copied_at
        return max(0.0, 1.0 - age / FLASH_SECONDS) if age >= 0 else 0.0

    def header(self) -> tuple[str, str]:
        v = self.view
        if v is None or v.tau < 1:
            return "TARGET NETWORK", ""
        return "TARGET NETWORK", f"{v.copies:,} copies"

    def _name(self, a: int) -> str:
        return self.labels[a] if a < len(self.labels) else f"A{a}"

    def render(self, image: pygame.Surface, body: pygame.Rect, sizes: Sizes) -> None:
        v = self.view
        if v is None:
            draw_waiting(image, body, "waiting for the first update…", sizes)
            return
        y = body.y
        if v.tau >= 1:
            line = [("next copy in ", DIM), (f"{v.updates_to_copy:,}", theme.TEXT), (" updates", DIM)]
        else:
            line = [("soft updates: τ=", DIM), (f"{v.tau:g}", theme.TEXT), (" every update", DIM)]
        text = render_line(line, sizes.text_px, body.width)
        image.blit(text, (body.x, y))
        self._flash_at = (body.right, y + text.get_height() // 2)
        y += sizes.line_h
        if v.tau >= 1:
            bar = pygame.Rect(body.x, y, body.width, max(4, sizes.small_h // 2))
            done = 1.0 - min(1.0, v.updates_to_copy / max(1, v.period))
            pygame.draw.rect(image, TRACK, bar, border_radius=bar.height // 2)
            if done > 0:
                fill = pygame.Rect(bar.x, bar.y, max(bar.height, round(bar.width * done)), bar.height)
                pygame.draw.rect(image, TARGET_NET, fill, border_radius=bar.height // 2)
            y = bar.bottom + sizes.pad // 2
        online = np.nan_to_num(np.asarray(v.q_online, dtype=np.float64).reshape(-1))
        target = np.nan_to_num(np.asarray(v.q_target, dtype=np.float64).reshape(-1))
        n = min(online.size, target.size)
        if n == 0:
            return
        gaps = np.abs(online[:n] - target[:n])
        legend: list[Segment] = [("online", ONLINE), ("  vs  ", DIM), ("target", TARGET_NET)]
        legend += [("   mean |gap| ", DIM), (number(float(gaps.mean()), 3), theme.TEXT)]
        image.blit(render_line(legend, sizes.small_px, body.width), (body.x, y))
        y += sizes.small_h
        area = pygame.Rect(body.x, y, body.width, body.bottom - y)
        self._draw_rows(image, area, online[:n], target[:n], gaps, sizes)

    def _draw_rows(
        self,
        image: pygame.Surface,
        area: pygame.Rect,
        online: np.ndarray,
        target: np.ndarray,
        gaps: np.ndarray,
        sizes: Sizes,
    ) -> None:
        n = online.size
        small = theme.font(sizes.small_px)
        labelled = area.height / n >= small.get_height() + 1
        if not labelled:  # too many actions for their names: bars only, and the widest gap in words
            a = int(np.argmax(gaps))
            worst = f"widest gap: {self._name(a)}  {number(online[a])} / {number(target[a])}"
            draw_text(
                image,
                elide(worst, small, area.width),
                (area.x, area.bottom),
                sizes.small_px,
                DIM,
                "bottomleft",
            )
            area = pygame.Rect(area.x, area.y, area.width, area.height - sizes.small_h)
        row_h = min(area.height / n, sizes.line_h * ROW_CAP_LINES)
        if row_h < 2:
            return
        numbers = [f"{number(online[a])} / {number(target[a])}" for a in range(n)]
        label_w = min(max(small.size(self._name(a))[0] for a in range(n)), int(area.width * LABEL_SHARE))
        number_w = max(small.size(t)[0] for t in numbers)
        gap = sizes.pad
        bars = pygame.Rect(area.x, area.y, area.width, area.height)
        if labelled:
            bars = pygame.Rect(area.x + label_w + gap, area.y, area.width - label_w - number_w - 2 * gap, 0)
        if bars.width < 10:
            return
        lo, hi = min(0.0, online.min(), target.min()), max(0.0, online.max(), target.max())
        span = hi - lo if hi - lo > 1e-12 else 1.0
        zero = bars.x + (0 - lo) / span * (bars.width - 1)
        thick = max(1, int(row_h * 0.7) // 2)
        for a in range(n):
            mid = area.y + (a + 0.5) * row_h
            if labelled:
                name = elide(self._name(a), small, label_w)
                draw_text(image, name, (area.x, mid), sizes.small_px, DIM, "midleft")
                draw_text(image, numbers[a], (area.right, mid), sizes.small_px, theme.TEXT, "midright")
            pygame.draw.rect(image, TRACK, (bars.x, round(mid - thick), bars.width, 2 * thick))
            for value, color, top in ((online[a], ONLINE, mid - thick), (target[a], TARGET_NET, mid)):
                end = bars.x + (value - lo) / span * (bars.width - 1)
                left, right = sorted((zero, end))
                pygame.draw.rect(image, color, (round(left), round(top), max(1, round(right - left)), thick))
        if lo < 0 < hi:
            pygame.draw.line(image, blend(TRACK, DIM, 0.6), (zero, area.y), (zero, area.y + n * row_h))

    def overlay(self, surface: pygame.Surface, rect: pygame.Rect, sizes: Sizes) -> None:
        """The "COPIED" flash: a tag at the countdown's end and the card's edge lit, fading out."""
        strength = self.flash()
        if strength <= 0 or self._flash_at is None:
            return
        if self._tag is None or self._tag[0] != sizes.small_px:
            self._tag = (sizes.small_px, tag_surface("COPIED", sizes.small_px, TARGET_NET))
        tag = self._tag[1]
        tag.set_alpha(round(255 * strength))
        x, y = self._flash_at
        surface.blit(tag, tag.get_rect(midright=(rect.x + x, rect.y + y)))
        edge = blend(theme.PANEL_EDGE, TARGET_NET, strength)
        pygame.draw.rect(surface, edge, rect, width=2, border_radius=max(4, min(rect.size) // 18))
