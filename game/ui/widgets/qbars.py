"""The network's Q-value head as bars: one row per action, the chosen one marked, on a scale that holds still.

Green is always the network's greedy pick, purple a random (exploring) move, gold a person's move.
The explore and greedy colours are shared with the epsilon gauge; the drawing helpers live in
:mod:`game.ui.widgets.draw`. With the arena's "how it learns" layer on, a hollow marker shows where the
latest Bellman target put one action's value (:mod:`game.ui.widgets.learning.ghost`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from game.ui import theme
from game.ui.widgets.draw import (
    FLOOR_GLYPH_PX,
    PANEL_FILL,
    TRACK,
    blend,
    draw_card,
    draw_polyline,
    draw_tag,
    elide,
    font_px,
)
from game.ui.widgets.learning.ghost import GhostMarker

HISTORY_LEN = 120  # snapshots of Q-values kept per action for the sparklines
SCALE_SHRINK = 0.02  # share of the gap the scale closes per update when the values use less of it
SCALE_HEADROOM = 0.08  # share of the range kept free beyond the extremes, so small moves never rescale
MIN_SPAN_ABS = 0.05  # smallest scale range, so near-equal values are not blown up into noise
MIN_SPAN_REL = 0.02  # ... or this share of the largest |Q|, whichever is larger
MIN_BAR_PX = 3  # the smallest Q still shows a stub, so every action visibly has a bar
GHOST_FADE_STEPS = 24  # a fading target marker is drawn again this many times over its fade

TITLE_SHARE = 0.075  # title glyph height as a share of the rect height
TITLE_CAP_PX = 30  # ... up to this
ROW_TEXT_SHARE = 0.85  # label line height as a share of the row height (labels are capitals: no descenders)
ROW_TEXT_CAP_SHARE = 0.1  # ... and at most this share of the rect height (or the title's, if larger)
BAR_SHARE = 0.7  # bar thickness as a share of the row height
BAR_CAP = 1.3  # ... and at most this many label heights, so few actions give slim bars, not slabs
ROW_PITCH_CAP = 2.8  # rows sit at most this many label heights apart; the block is centred below that
TAG_SHARE = 0.72  # tag text height relative to the labels
LABEL_SHARE = 0.3  # widest the label column may be, as a share of the rect width
SPARK_SHARE = 0.22  # sparkline column width as a share of the rect width
SPARK_MIN_W = 220  # narrower rects drop the sparklines
VALUE_ROW_SHARE = 0.7  # the V(s) row's height relative to an action row

GREEDY = theme.GOOD  # the network's own pick
EXPLORE = (190, 120, 255)  # a random, exploring move
HUMAN = theme.ACCENT  # a person's move in take-over
BAR = (66, 80, 122)  # every other action
ZERO_LINE = (120, 130, 160)  # where Q = 0 falls on the scale
VALUE_COLOR = theme.INFO  # V(s) of a dueling network


# ---------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Row:
    """Where one row of the widget goes, and the label it shows."""

    text: str
    """the label as drawn (elided when too long)"""
    row: pygame.Rect
    label: pygame.Rect
    value: pygame.Rect
    track: pygame.Rect
    """the bar's full-length track; the bar grows from its left edge"""
    spark: pygame.Rect | None
    """the history sparkline (None when the rect is too narrow)"""


@dataclass(frozen=True)
class QBarsLayout:
    """The rects of a QBars drawn into a given rect."""

    title: pygame.Rect
    rows: list[Row]
    """one per action, top to bottom"""
    value_row: Row | None
    """V(s), when the network is dueling"""
    text_px: int
    """font size of the labels and values"""
    title_px: int


# ---------------------------------------------------------------------- the widget


class QBars:
    """Q-value bars with chosen / greedy / random / human marks, a stable scale and per-action history."""

    def __init__(self, n_actions: int, labels: list[str] | None = None):
        assert n_actions >= 1, n_actions
        labels = list(labels or [])
        self.n_actions = n_actions
        self.labels = [str(s) for s in labels[:n_actions]] + [f"A{i}" for i in range(len(labels), n_actions)]
        self.q = np.zeros(n_actions)
        self.chosen = 0
        self.greedy = 0
        self.explored = False
        self.human = False
        self.value: float | None = None
        self.updates = 0
        self.lo, self.hi = -MIN_SPAN_ABS / 2, MIN_SPAN_ABS / 2
        self._history = np.full((HISTORY_LEN, n_actions + 1), np.nan)  # last column: V(s)
        self._head = 0
        self.ghost = GhostMarker()  # the latest Bellman target, while it shows
        self._layout: tuple[tuple, QBarsLayout] | None = None
        self._images: dict[tuple, pygame.Surface] = {}  # rendered texts, reused across frames
        self._version = 0  # counts the changes to what the bars show
        self._picture: tuple[tuple, pygame.Surface] | None = None  # (what it shows, at which size; picture)

    # ------------------------------------------------------------------ state

    def update(
        self,
        q_values,
        chosen: int,
        greedy: int,
        explored: bool,
        value: float | None = None,
        human: bool = False,
    ) -> None:
        """Take one new snapshot of the Q-head: its values, the action taken and the network's best."""
        q = np.asarray(q_values, dtype=np.float64).reshape(-1)
        assert q.shape == (self.n_actions,), (q.shape, self.n_actions)
        self.q = q
        self.chosen, self.greedy = int(chosen), int(greedy)
        self.explored, self.human = bool(explored) and not human, bool(human)
        self.value = None if value is None else float(value)
        self._rescale(self._scaled_values(q))
        self._history[self._head, :-1] = q
        self._history[self._head, -1] = np.nan if self.value is None else self.value
        self._head = (self._head + 1) % HISTORY_LEN
        self.updates += 1
        self._version += 1

    def set_target(self, action: int, value: float, now: float | None = None) -> None:
        """Mark where the latest Bellman target puts ``action``'s value: a hollow marker on its bar, on the
        bars' own scale (stretched to take it in), that fades out after a few seconds."""
        if not 0 <= action < self.n_actions:
            return
        self.ghost.set(action, value, now)
        self._version += 1
        if self.updates:
            self._rescale(self._scaled_values(self.q))

    def clear_target(self) -> None:
        """No target marker any more."""
        self.ghost.clear()
        self._version += 1

    def _scaled_values(self, q: np.ndarray) -> np.ndarray:
        """What the scale must hold: the Q-values, V(s) and a target marker still showing."""
        extra = [] if self.value is None else [self.value]
        if self.ghost.strength() > 0:
            extra.append(self.ghost.value)
        return np.append(q, extra)

    def ghost_x(self, track: pygame.Rect, now: float | None = None) -> float | None:
        """Where the target marker stands on a bar's ``track``: where the bar would end if its Q were the
        target (None while no marker shows)."""
        if self.updates == 0 or self.ghost.strength(now) <= 0:
            return None
        stub = min(MIN_BAR_PX, track.width)
        return track.x + stub + float(self._to_unit(self.ghost.value)) * (track.width - stub)

    def _rescale(self, values: np.ndarray) -> None:
        """Expand at once to take in a value off the scale; contract slowly when the values use less of it."""
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return
        vmin, vmax = float(finite.min()), float(finite.max())
        if self.updates == 0:
            room = SCALE_HEADROOM * (vmax - vmin)
            self.lo, self.hi = vmin - room, vmax + room
        else:
            room = SCALE_HEADROOM * (self.hi - self.lo)
            if vmin < self.lo:
                self.lo = vmin - room
            elif vmin - room > self.lo:
                self.lo += SCALE_SHRINK * (vmin - room - self.lo)
            if vmax > self.hi:
                self.hi = vmax + room
            elif vmax + room < self.hi:
                self.hi += SCALE_SHRINK * (vmax + room - self.hi)
        min_span = max(MIN_SPAN_ABS, MIN_SPAN_REL * max(abs(vmin), abs(vmax)))
        if self.hi - self.lo < min_span:
            mid = (self.hi + self.lo) / 2
            self.lo, self.hi = mid - min_span / 2, mid + min_span / 2

    @property
    def scale(self) -> tuple[float, float]:
        """The value range the bars span now: (left edge, right edge)."""
        return self.lo, self.hi

    def history(self, with_value: bool = False) -> np.ndarray:
        """Past Q-values, oldest first: (snapshots, n_actions), at most HISTORY_LEN rows (+ V(s) column)."""
        rows = min(self.updates, HISTORY_LEN)
        past = np.roll(self._history, -self._head, axis=0)[HISTORY_LEN - rows :]
        return past if with_value else past[:, :-1]

    def _to_unit(self, values: np.ndarray) -> np.ndarray:
        """Values -> 0..1 across the scale (clipped; NaN stays NaN)."""
        return np.clip((np.asarray(values, dtype=np.float64) - self.lo) / (self.hi - self.lo), 0.0, 1.0)

    def bar_lengths(self, width_px: int) -> np.ndarray:
        """Each action's bar length in pixels on a track ``width_px`` wide: a larger Q gives a longer bar."""
        stub = min(MIN_BAR_PX, width_px)
        unit = np.nan_to_num(self._to_unit(self.q), nan=0.0)
        return stub + unit * (width_px - stub)

    # ------------------------------------------------------------------ layout

    def layout(self, rect: pygame.Rect) -> QBarsLayout:
        """Where the title, every row, label, value, bar and sparkline go inside ``rect``."""
        # The value column fits the scale's ends, so it moves only when the scale does.
        value_texts = [f"{self.lo:.2f}", f"{self.hi:.2f}", "-0.00"]
        key = (tuple(rect), self.value is not None, max(len(t) for t in value_texts))
        if self._layout is None or self._layout[0] != key:
            self._layout = (key, self._fit(pygame.Rect(rect), value_texts))
        return self._layout[1]

    def _fit(self, rect: pygame.Rect, value_texts: list[str]) -> QBarsLayout:
        pad = max(5, min(rect.height, rect.width) // 28)
        inner = rect.inflate(-2 * pad, -2 * pad)
        title_glyph = min(TITLE_CAP_PX, max(FLOOR_GLYPH_PX + 1, rect.height * TITLE_SHARE), inner.width / 14)
        title_px = font_px(title_glyph)
        title_h = theme.font(title_px, True).get_height()
        title = pygame.Rect(inner.x, inner.y, inner.width, title_h)

        body = pygame.Rect(inner.x, title.bottom + max(2, pad // 2), inner.width, 0)
        body.height = inner.bottom - body.y
        units = self.n_actions + (VALUE_ROW_SHARE if self.value is not None else 0.0)
        row_h = body.height / units
        glyph_cap = min(TITLE_CAP_PX, max(title_glyph, rect.height * ROW_TEXT_CAP_SHARE))
        glyph = max(FLOOR_GLYPH_PX, min(row_h * ROW_TEXT_SHARE, glyph_cap))
        row_cap = glyph / ROW_TEXT_SHARE * 1.5  # tall rects space rows out instead of fattening bars
        gap = max(0.0, row_h - row_cap)
        row_h -= gap
        gap = min(gap, max(0.0, glyph * ROW_PITCH_CAP - row_h))
        spare = body.height - units * (row_h + gap)

        # Labels shrink to their column, never below the floor; longer ones are cut.
        label_w_cap = int(inner.width * LABEL_SHARE)
        text_px, floor_px = font_px(glyph), font_px(FLOOR_GLYPH_PX)
        while True:
            font = theme.font(text_px)
            widest = max(font.size(s)[0] for s in [*self.labels, "V(s)"])
            if widest <= label_w_cap or text_px <= floor_px:
                break
            text_px = max(floor_px, text_px - max(1, text_px // 10))
        label_w = min(widest, label_w_cap)
        value_w = max(font.size(s)[0] for s in value_texts)
        col_gap = max(4, pad)
        spark_w = int(inner.width * SPARK_SHARE) if inner.width >= SPARK_MIN_W else 0

        def row_at(top: float, height: float, text: str) -> Row:
            row = pygame.Rect(inner.x, round(top), inner.width, max(1, round(top + height) - round(top)))
            label = pygame.Rect(row.x, row.y, label_w, row.height)
            value = pygame.Rect(label.right + col_gap, row.y, value_w, row.height)
            bar_h = max(2, round(min(row.height * BAR_SHARE, glyph * BAR_CAP)))
            right = row.right - (spark_w + col_gap if spark_w else 0)
            track = pygame.Rect(value.right + col_gap, 0, max(1, right - value.right - col_gap), bar_h)
            track.centery = row.centery
            spark = pygame.Rect(right + col_gap, track.y, spark_w, bar_h) if spark_w else None
            return Row(elide(text, font, label_w), row, label, value, track, spark)

        top = body.y + gap / 2 + spare / 2
        rows = []
        for name in self.labels:
            rows.append(row_at(top, row_h, name))
            top += row_h + gap
        value_row = None
        if self.value is not None:
            value_row = row_at(top, row_h * VALUE_ROW_SHARE, "V(s)")
        return QBarsLayout(title, rows, value_row, text_px, title_px)

    @staticmethod
    def _value_text(v: float) -> str:
        return f"{v:.2f}"  # a diverged network shows "nan" / "inf" as such

    # ------------------------------------------------------------------ drawing

    def marks(self) -> list[tuple[tuple[int, int, int], tuple[int, int, int] | None, str | None]]:
        """Per action: (bar colour, outline colour or None, tag or None) for the current snapshot."""
        marks = []
        for a in range(self.n_actions):
            fill, outline, tag = BAR, None, None
            if self.updates == 0:
                marks.append((fill, outline, tag))
                continue
            is_chosen, is_greedy = a == self.chosen, a == self.greedy
            if self.human:
                if is_chosen:
                    fill, tag = HUMAN, "YOU"
                if is_greedy:
                    outline, tag = GREEDY, "YOU + AGENT" if is_chosen else "AGENT"
            elif is_chosen and self.explored:  # a random draw, which may happen to pick the best
                fill, tag = EXPLORE, "RANDOM"
                outline = GREEDY if is_greedy else None
            elif is_chosen:
                fill, tag = GREEDY, "GREEDY"
            elif is_greedy:
                outline, tag = GREEDY, "BEST"
            marks.append((fill, outline, tag))
        return marks

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Draw the bars into ``rect`` (sized from it: any height from ~150 px up)."""
        rect = pygame.Rect(rect)
        # The picture changes with each snapshot (15 a second in Atari) and while a target marker
        # fades, not with each of the 60 frames: it is drawn again only when something it shows has.
        key = (rect.size, self._version, round(self.ghost.strength() * GHOST_FADE_STEPS))
        if self._picture is None or self._picture[0] != key:
            image = pygame.Surface(rect.size, pygame.SRCALPHA)
            self._render(image, image.get_rect())
            self._picture = (key, image)
        surface.blit(self._picture[1], rect)

    def _render(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        draw_card(surface, rect)
        lay = self.layout(rect)
        self._draw_title(surface, lay)
        font = theme.font(lay.text_px)
        marks = self.marks()
        lengths = self.bar_lengths(lay.rows[0].track.width)
        sparks = self._spark_lines(lay)
        ghost_x = self.ghost_x(lay.rows[0].track)
        for a, row in enumerate(lay.rows):
            fill, outline, tag = marks[a]
            picked = fill is not BAR or outline is not None
            text_color = theme.TEXT if picked else theme.TEXT_DIM
            if fill is not BAR:
                pygame.draw.rect(
                    surface,
                    blend(PANEL_FILL, fill, 0.14),
                    row.row.inflate(4, 0),
                    border_radius=max(2, row.row.height // 4),
                )
            if row.row.height >= font.get_height() - 2:  # rows too thin to read keep their bars only
                clip = surface.get_clip()
                surface.set_clip(row.row.clip(clip))  # a glyph's edge may not reach into the next row
                image = self._text(row.text, lay.text_px, text_color)
                surface.blit(image, image.get_rect(midleft=row.label.midleft))
                value = "-" if self.updates == 0 else self._value_text(self.q[a])
                image = self._text(value, lay.text_px, fill if fill is not BAR else text_color)
                surface.blit(image, image.get_rect(midright=row.value.midright))
                surface.set_clip(clip)
            self._draw_bar(surface, row.track, lengths[a] if self.updates else 0, fill, outline)
            if row.spark is not None:
                self._draw_spark(surface, row.spark, sparks[a], fill if fill is not BAR else theme.TEXT_DIM)
            tag_right = row.track.right - 2
            if ghost_x is not None and a == self.ghost.action:
                self.ghost.draw(surface, row.track, ghost_x, row.track.x + lengths[a], self.ghost.strength())
                if ghost_x > row.track.centerx:  # the tag steps left of the marker
                    tag_right = min(tag_right, round(ghost_x) - row.track.height // 2 - 4)
            if tag is not None:
                color = outline if fill is BAR else fill
                self._draw_tag_in(surface, row.track, tag, color, lay.text_px, tag_right)
        if lay.value_row is not None and self.value is not None:
            self._draw_value_row(surface, lay.value_row, lay.text_px, sparks[-1])
        self._draw_zero_line(surface, lay)

    def _draw_title(self, surface: pygame.Surface, lay: QBarsLayout) -> None:
        image = self._text("Q-VALUES", lay.title_px, theme.TEXT, bold=True)
        surface.blit(image, image.get_rect(midleft=lay.title.midleft))
        small_px = max(font_px(FLOOR_GLYPH_PX), lay.title_px * 3 // 4)
        small = theme.font(small_px)
        if self.updates == 0:
            legend = [(None, "waiting for the agent…")]
        elif self.human:
            legend = [(HUMAN, "you"), (GREEDY, "agent's choice")]
        else:
            legend = [(GREEDY, "greedy"), (EXPLORE, "random")]
        x = lay.title.right
        need = sum(small.size(t)[0] + small.get_height() * 2 for _, t in legend)
        if need > lay.title.width - image.get_width() - 8:
            return
        for color, text in reversed(legend):
            label = self._text(text, small_px, theme.TEXT_DIM)
            x -= label.get_width()
            surface.blit(label, label.get_rect(midleft=(x, lay.title.centery)))
            if color is not None:
                side = small.get_height() * 3 // 5
                x -= side + side // 2
                pygame.draw.rect(
                    surface,
                    color,
                    (x, lay.title.centery - side // 2, side, side),
                    border_radius=max(1, side // 4),
                )
            x -= small.get_height()

    def _draw_bar(self, surface: pygame.Surface, track: pygame.Rect, length: float, fill, outline) -> None:
        radius = track.height // 3
        pygame.draw.rect(surface, TRACK, track, border_radius=radius)
        if length <= 0:
            return
        bar = pygame.Rect(track.x, track.y, max(1, round(length)), track.height)
        pygame.draw.rect(surface, fill, bar, border_radius=radius)
        if outline is not None:
            pygame.draw.rect(
                surface, outline, bar.inflate(2, 2), width=max(2, track.height // 8), border_radius=radius + 1
            )

    def _draw_tag_in(
        self, surface: pygame.Surface, track: pygame.Rect, tag: str, color, text_px: int, right: int
    ) -> None:
        size = max(font_px(FLOOR_GLYPH_PX), round(text_px * TAG_SHARE))
        if theme.font(size, True).size(tag)[0] > 0.8 * (right - track.x):
            return  # a narrow track keeps the colour code only
        draw_tag(surface, tag, "midright", (right, track.centery), size, color)

    def _text(self, text: str, size_px: int, color, bold: bool = False) -> pygame.Surface:
        """``text`` rendered once and reused while it stays on screen."""
        key = (text, size_px, color, bold)
        if key not in self._images:
            if len(self._images) > 4 * self.n_actions + 64:
                self._images.clear()
            self._images[key] = theme.font(size_px, bold).render(text, True, color)
        return self._images[key]

    def _spark_lines(self, lay: QBarsLayout) -> list[list[list[float]]]:
        """Per action and for V(s): the points of its history line in its sparkline rect (all at once)."""
        spark = lay.rows[0].spark
        values = self.history(with_value=True)
        if spark is None or len(values) < 2:
            return [[] for _ in range(self.n_actions + 1)]
        xs = spark.right - 1 - np.arange(len(values))[::-1] * (spark.width - 1) / (HISTORY_LEN - 1)
        ys = (spark.height - 1) * (1 - self._to_unit(values))  # offsets from each row's spark top
        tops = [row.spark.y for row in lay.rows] + [lay.value_row.spark.y if lay.value_row else 0]
        lines = []
        for column, top in enumerate(tops):
            finite = np.isfinite(ys[:, column])
            lines.append(np.column_stack([xs[finite], ys[finite, column] + top]).tolist())
        return lines

    def _draw_spark(
        self, surface: pygame.Surface, rect: pygame.Rect, points: list[list[float]], color
    ) -> None:
        pygame.draw.rect(surface, TRACK, rect, border_radius=rect.height // 3)
        if self.lo < 0 < self.hi:
            y0 = rect.bottom - 1 - float(self._to_unit(0.0)) * (rect.height - 1)
            pygame.draw.line(surface, blend(TRACK, ZERO_LINE, 0.5), (rect.x, y0), (rect.right - 1, y0))
        draw_polyline(surface, color, points)

    def _draw_value_row(
        self, surface: pygame.Surface, row: Row, text_px: int, spark: list[list[float]]
    ) -> None:
        image = self._text(row.text, text_px, VALUE_COLOR)
        surface.blit(image, image.get_rect(midleft=row.label.midleft))
        image = self._text(self._value_text(self.value), text_px, VALUE_COLOR)
        surface.blit(image, image.get_rect(midright=row.value.midright))
        thin = row.track.inflate(0, -row.track.height // 2)
        pygame.draw.rect(surface, TRACK, thin, border_radius=thin.height // 2)
        x = thin.x + float(self._to_unit(self.value)) * (thin.width - 1) if np.isfinite(self.value) else None
        if x is not None:
            pygame.draw.rect(
                surface,
                VALUE_COLOR,
                (thin.x, thin.y, max(1, round(x - thin.x)), thin.height),
                border_radius=thin.height // 2,
            )
        if row.spark is not None:
            self._draw_spark(surface, row.spark, spark, VALUE_COLOR)

    def _draw_zero_line(self, surface: pygame.Surface, lay: QBarsLayout) -> None:
        """A dashed line where Q = 0 falls, when the scale spans it."""
        if not (self.lo < 0 < self.hi) or self.updates == 0:
            return
        track = lay.rows[0].track
        x = track.x + float(self._to_unit(0.0)) * (track.width - 1)
        bottom = (lay.value_row or lay.rows[-1]).track.bottom
        dash = max(2, lay.rows[0].row.height // 5)
        for y in range(track.y - 2, bottom + 2, 2 * dash):
            pygame.draw.line(surface, ZERO_LINE, (x, y), (x, min(y + dash, bottom + 2)))
