"""One method's picture of the grid in the lab: V(s) as colour, the greedy action as an arrow per cell,
walls, pits and the goal, the walking agent, and (for fitted Q-iteration) how often the recorded play
tried each action, with a greedy arrow the data never tried drawn as a warning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from game.modes.lab_protocol import MethodView
from game.ui import theme
from game.ui.widgets.draw import PANEL_FILL, TRACK, blend, draw_card, draw_tag, elide, font_px

NEUTRAL = (44, 50, 70)  # a cell whose value is zero
WALL = (92, 80, 74)
WALL_EDGE = (60, 52, 48)
PIT = (8, 8, 14)
GOAL = (250, 214, 96)
AGENT = (110, 170, 255)
CURSOR = theme.ACCENT
UNTRIED = (255, 120, 90)  # a greedy action the recorded play never tried
ARROW = (240, 244, 252)
MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))  # screen (dx, dy) of UP, RIGHT, DOWN, LEFT
VALUE_TEXT_CELL_PX = 38  # cells at least this wide print their value
COUNT_TEXT_CELL_PX = 52  # ... and, for a dataset, the tries of each action
TITLE_SHARE = 0.085  # title glyph height as a share of the card's height
TITLE_CAP_PX = 17  # ... up to this
COLOUR_FLOOR = 0.08  # values this share of the scale or less keep most of the neutral colour


@dataclass(frozen=True)
class GridGeometry:
    """Where a method's grid was drawn: the scene finds the cell under the mouse with it."""

    rect: pygame.Rect
    cell_px: int
    rows: int
    cols: int

    def cell_at(self, pos: tuple[int, int]) -> tuple[int, int] | None:
        """(row, col) under window point ``pos``, or None."""
        if not self.rect.collidepoint(pos):
            return None
        col = (pos[0] - self.rect.x) // self.cell_px
        row = (pos[1] - self.rect.y) // self.cell_px
        return (row, col) if 0 <= row < self.rows and 0 <= col < self.cols else None

    def cell_rect(self, row: int, col: int) -> pygame.Rect:
        return pygame.Rect(
            self.rect.x + col * self.cell_px, self.rect.y + row * self.cell_px, self.cell_px, self.cell_px
        )


def value_colour(value: float, scale: float) -> tuple[int, int, int]:
    """Green for a positive value, red for a negative one, stronger the larger |value| / ``scale``."""
    t = min(1.0, abs(value) / scale) if scale > 0 else 0.0
    t = COLOUR_FLOOR + (1 - COLOUR_FLOOR) * t if t > 0 else 0.0
    return blend(NEUTRAL, theme.GOOD if value > 0 else theme.BAD, t * 0.85)


def draw_method(
    surface: pygame.Surface,
    rect: pygame.Rect,
    view: MethodView,
    layout: tuple[str, ...],
    scale: float,
    colour: tuple[int, int, int],
    cursor: tuple[int, int] | None = None,
) -> GridGeometry:
    """A card with the method's name, counter and error over its grid; returns where the grid went."""
    pad = draw_card(surface, rect)
    inner = rect.inflate(-2 * pad, -2 * pad)
    size = font_px(min(TITLE_CAP_PX, max(9, rect.height * TITLE_SHARE)))
    small = max(11, size * 4 // 5)
    title_font, small_font = theme.font(size, True), theme.font(small)
    y = inner.y
    name = view.name.upper()
    title_px = size
    while title_px > small and title_font.size(name)[0] > inner.width:  # five panels: a smaller title
        title_px -= 1
        title_font = theme.font(title_px, True)
    name = elide(name, title_font, inner.width)
    surface.blit(theme.text_image(name, title_px, colour, True), (inner.x, y))
    y += title_font.get_height()
    counter = elide(view.counter_text, small_font, inner.width)
    surface.blit(theme.text_image(counter, small, theme.TEXT_DIM), (inner.x, y))
    y += small_font.get_height()
    error = f"error {view.error:.2g}" if np.isfinite(view.error) else "error -"
    error_image = theme.text_image(error, small, theme.TEXT)
    surface.blit(error_image, (inner.x, y))
    if view.converged:
        draw_tag(
            surface,
            "SETTLED",
            "midleft",
            (inner.x + error_image.get_width() + 6, y + small // 2),
            small - 2,
            theme.GOOD,
        )
    elif view.phase:
        draw_tag(
            surface,
            view.phase.upper(),
            "midleft",
            (inner.x + error_image.get_width() + 6, y + small // 2),
            small - 2,
            colour,
        )
    y += small_font.get_height() + pad // 2
    rows, cols = len(layout), len(layout[0])
    area = pygame.Rect(inner.x, y, inner.width, inner.bottom - y)
    cell = max(4, min(area.width // cols, area.height // rows))
    grid = pygame.Rect(0, 0, cell * cols, cell * rows)
    grid.midtop = area.midtop
    geometry = GridGeometry(grid, cell, rows, cols)
    _draw_cells(surface, geometry, view, layout, scale)
    if view.agent_state is not None:
        row, col = divmod(int(view.agent_state), cols)
        centre = geometry.cell_rect(row, col).center
        pygame.draw.circle(surface, AGENT, centre, max(3, cell * 3 // 10))
        pygame.draw.circle(surface, PANEL_FILL, centre, max(3, cell * 3 // 10), width=max(1, cell // 16))
    if cursor is not None and 0 <= cursor[0] < rows and 0 <= cursor[1] < cols:
        pygame.draw.rect(surface, CURSOR, geometry.cell_rect(*cursor), width=max(2, cell // 14))
    return geometry


def _draw_cells(
    surface: pygame.Surface, geometry: GridGeometry, view: MethodView, layout: tuple[str, ...], scale: float
) -> None:
    cell, cols = geometry.cell_px, geometry.cols
    value_px = font_px(max(7, cell * 0.2))
    for row, line in enumerate(layout):
        for col, tile in enumerate(line):
            state = row * cols + col
            box = geometry.cell_rect(row, col)
            inner = box.inflate(-max(1, cell // 24), -max(1, cell // 24))
            if tile == "#":
                pygame.draw.rect(surface, WALL, inner)
                pygame.draw.rect(surface, WALL_EDGE, inner, width=max(1, cell // 12))
                continue
            if tile == "P":
                pygame.draw.rect(surface, blend(NEUTRAL, theme.BAD, 0.5), inner)
                pygame.draw.circle(surface, PIT, inner.center, max(2, cell * 7 // 20))
                continue
            if tile == "G":
                pygame.draw.rect(surface, GOAL, inner)
                _draw_flag(surface, inner)
                continue
            value = float(view.values[state])
            pygame.draw.rect(surface, value_colour(value, scale), inner)
            if tile == "S":
                pygame.draw.rect(surface, theme.INFO, inner, width=max(1, cell // 16))
            action = int(view.greedy[state])
            untried = view.counts is not None and action >= 0 and view.counts[state, action] == 0
            if action >= 0:
                _draw_arrow(surface, inner, action, UNTRIED if untried else ARROW)
            if view.counts is None and cell >= VALUE_TEXT_CELL_PX:
                text = theme.text_image(f"{value:.2f}", value_px, theme.TEXT)
                surface.blit(text, text.get_rect(midbottom=(inner.centerx, inner.bottom - 1)))
            if view.counts is not None and cell >= COUNT_TEXT_CELL_PX:
                _draw_counts(surface, inner, view.counts[state], value_px)


def _draw_arrow(surface: pygame.Surface, box: pygame.Rect, action: int, colour) -> None:
    """A small arrow from the cell's centre towards the greedy move."""
    dx, dy = MOVES[action]
    cx, cy = box.center
    reach = box.width * 0.28
    head = box.width * 0.14
    tip = (cx + dx * reach, cy + dy * reach)
    tail = (cx - dx * reach * 0.5, cy - dy * reach * 0.5)
    pygame.draw.line(surface, colour, tail, tip, max(1, box.width // 14))
    side = (-dy, dx)
    base = (tip[0] - dx * head, tip[1] - dy * head)
    pygame.draw.polygon(
        surface,
        colour,
        [
            tip,
            (base[0] + side[0] * head * 0.7, base[1] + side[1] * head * 0.7),
            (base[0] - side[0] * head * 0.7, base[1] - side[1] * head * 0.7),
        ],
    )


def _draw_counts(surface: pygame.Surface, box: pygame.Rect, counts: np.ndarray, size: int) -> None:
    """How often the data tried each action, at the cell's edge that action heads for (the colour tells
    the value here: the numbers take the room its text would)."""
    for action, (dx, dy) in enumerate(MOVES):
        n = int(counts[action])
        text = theme.text_image(str(n), size, theme.TEXT_DIM if n else UNTRIED)
        x = box.centerx + dx * (box.width // 2 - text.get_width() // 2 - 2)
        y = box.centery + dy * (box.height // 2 - text.get_height() // 2 - 1)
        surface.blit(text, text.get_rect(center=(x, y)))


def _draw_flag(surface: pygame.Surface, box: pygame.Rect) -> None:
    pole_x = box.x + box.width * 2 // 5
    top, bottom = box.y + box.height // 5, box.bottom - box.height // 5
    pygame.draw.line(surface, TRACK, (pole_x, top), (pole_x, bottom), max(1, box.width // 16))
    flag = [
        (pole_x, top),
        (pole_x + box.width * 2 // 5, top + box.height // 8),
        (pole_x, top + box.height // 4),
    ]
    pygame.draw.polygon(surface, theme.BAD, flag)
