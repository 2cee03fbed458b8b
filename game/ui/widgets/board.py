"""Q-values drawn on the board itself: GridWorld's cells (best action's arrow, colour for its value)
and TicTacToe's squares (the value of playing there).

The game object supplies the geometry: ``cell_rect(i)`` gives cell i's rectangle in its frame's
pixels, and ``frame_rect`` is where that frame was drawn in the window.
"""

from __future__ import annotations

import numpy as np
import pygame

from game.ui import theme
from game.ui.widgets.text import draw_text

LOW = np.array(theme.BAD, dtype=np.float32)  # colour of the lowest value on the board
HIGH = np.array(theme.GOOD, dtype=np.float32)  # colour of the highest value
FILL_ALPHA = 120  # opacity of a cell's colour over the game's own picture
MIN_TEXT_CELL_PX = 34  # cells smaller than this on screen show no number
ARROWS = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}  # action name -> direction


def _window_rect(
    cell: tuple[int, int, int, int], frame_rect: pygame.Rect, frame_size: tuple[int, int]
) -> pygame.Rect:
    x, y, w, h = cell
    sx, sy = frame_rect.width / frame_size[0], frame_rect.height / frame_size[1]
    return pygame.Rect(
        round(frame_rect.x + x * sx), round(frame_rect.y + y * sy), round(w * sx), round(h * sy)
    )


def _colour(value: float, lo: float, hi: float) -> tuple[int, int, int]:
    t = 0.5 if hi - lo < 1e-9 else (value - lo) / (hi - lo)
    return tuple(int(c) for c in LOW + (HIGH - LOW) * float(np.clip(t, 0.0, 1.0)))


def _tint(surface: pygame.Surface, rect: pygame.Rect, colour: tuple[int, int, int]) -> None:
    tint = pygame.Surface(rect.size, pygame.SRCALPHA)
    tint.fill((*colour, FILL_ALPHA))
    surface.blit(tint, rect)


def _arrow(surface: pygame.Surface, rect: pygame.Rect, direction: tuple[int, int]) -> None:
    """A solid arrow from the cell's centre towards ``direction``."""
    cx, cy = rect.center
    dx, dy = direction
    length = min(rect.width, rect.height) * 0.34
    tip = (cx + dx * length, cy + dy * length)
    tail = (cx - dx * length * 0.6, cy - dy * length * 0.6)
    half = length * 0.45
    base = (cx + dx * length * 0.2, cy + dy * length * 0.2)
    wing_a = (base[0] - dy * half, base[1] + dx * half)
    wing_b = (base[0] + dy * half, base[1] - dx * half)
    width = max(2, int(length * 0.28))
    pygame.draw.line(surface, (20, 24, 36), tail, base, width + 2)
    pygame.draw.line(surface, theme.TEXT, tail, base, width)
    pygame.draw.polygon(surface, (20, 24, 36), [tip, wing_a, wing_b])
    pygame.draw.polygon(surface, theme.TEXT, [tip, wing_a, wing_b], 0)


def draw_grid_values(
    surface: pygame.Surface,
    frame_rect: pygame.Rect,
    frame_size: tuple[int, int],
    game,
    q_table: np.ndarray,
    labels: list[str],
) -> None:
    """Every open cell of a grid world tinted by max Q, with an arrow for its best action."""
    states = [s for s in range(len(q_table)) if game.tile(s) in ("S", ".")]
    if not states:
        return
    best = q_table[states].max(axis=1)
    lo, hi = float(best.min()), float(best.max())
    for state, value in zip(states, best, strict=True):
        rect = _window_rect(game.cell_rect(state), frame_rect, frame_size)
        _tint(surface, rect, _colour(float(value), lo, hi))
        direction = ARROWS.get(labels[int(np.argmax(q_table[state]))])
        if direction is not None:
            _arrow(surface, rect, direction)
        if rect.height >= MIN_TEXT_CELL_PX:
            draw_text(
                surface,
                f"{value:+.2f}",
                (rect.centerx, rect.bottom - 2),
                max(10, rect.height // 5),
                theme.TEXT,
                "midbottom",
                bold=True,
            )


def draw_square_values(
    surface: pygame.Surface,
    frame_rect: pygame.Rect,
    frame_size: tuple[int, int],
    game,
    q_values: np.ndarray,
    mask: np.ndarray | None,
) -> None:
    """The value of playing each free square, the best one outlined."""
    legal = np.ones(len(q_values), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if not legal.any():
        return
    values = np.asarray(q_values, dtype=np.float32)
    lo, hi = float(values[legal].min()), float(values[legal].max())
    best = int(np.flatnonzero(legal)[np.argmax(values[legal])])
    for square in np.flatnonzero(legal):
        rect = _window_rect(game.cell_rect(int(square)), frame_rect, frame_size)
        _tint(surface, rect, _colour(float(values[square]), lo, hi))
        if rect.height >= MIN_TEXT_CELL_PX:
            draw_text(
                surface,
                f"{values[square]:+.2f}",
                rect.center,
                max(12, rect.height // 4),
                theme.TEXT,
                "center",
                bold=True,
            )
        if square == best:
            pygame.draw.rect(surface, theme.ACCENT, rect, width=max(2, rect.width // 18), border_radius=6)
