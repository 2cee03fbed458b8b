"""The versus screen's panels: the games-won scoreboard, the who-is-who line under the game, and
what a board game shows on its squares between moves (the person's cursor, the agent thinking).

Board geometry comes from the game: ``cell_rect(i)`` is square i's rectangle in its frame's pixels,
and ``frame_rect`` is where that frame was drawn in the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pygame

from game.ui import theme
from game.ui.controls import KeyMap
from game.ui.widgets.board import draw_square_values
from game.ui.widgets.draw import draw_card
from game.ui.widgets.match_banners import AGENT_COLOR, PERSON_COLOR
from game.ui.widgets.text import draw_text

if TYPE_CHECKING:  # named in a hint only: drawing needs no match model loaded
    from game.modes.versus import Thought

Cell = tuple[int, int, int, int]  # x, y, width, height of a square, in the frame's pixels
CAPTION_GAP_PX = 6  # frame pixels between the last row of squares and the caption strip
THINKING_CAPTION = "THE AGENT IS THINKING…"  # over the board's status line while its values show
ARROWS = ("up", "down", "left", "right")  # named in this order: 'W/S or UP/DOWN', never 'DOWN/UP'


def draw_scoreboard(
    surface: pygame.Surface,
    rect: pygame.Rect,
    size_px: int,
    won: tuple[int, int],
    played: int,
    drawn: int,
    agent_name: str,
) -> None:
    """Games won: 'YOU n – m AGENT (name)' under a title, then the games played and drawn.

    Args:
        won: games won by the person, and by the agent.
        size_px: the screen's title text size; the score grows to twice that where the card allows.
    """
    pad = draw_card(surface, rect)
    inner = rect.inflate(-2 * pad, -2 * pad)
    small = max(12, size_px * 2 // 3)
    dim = theme.TEXT_DIM
    draw_text(surface, "GAMES WON", (inner.centerx, inner.top), small, dim, "midtop", bold=True)
    big = min(int(inner.height * 0.42), size_px * 2)
    y = inner.top + int(inner.height * 0.47)
    score = f"{won[0]} – {won[1]}"
    middle = draw_text(surface, score, (inner.centerx, y), big, theme.TEXT, "center", bold=True)
    name_size = max(small, big // 2)
    draw_text(surface, "YOU", (inner.left, y), name_size, PERSON_COLOR, "midleft", bold=True)
    draw_text(surface, "AGENT", (inner.right, y), name_size, AGENT_COLOR, "midright", bold=True)
    draw_text(surface, f"({agent_name})", (inner.right, middle.bottom), small, dim, "topright")
    totals = f"{played} played  ·  {drawn} drawn"
    draw_text(surface, totals, (inner.centerx, inner.bottom), small, dim, "midbottom")


def person_controls(keymap: KeyMap, labels: list[str], board: bool) -> str:
    """How the person plays, in a few words: 'W/S or UP/DOWN', 'WASD or ARROWS  ·  SPACE fire'."""
    if board:
        return "click a square, 1-9, or ARROWS + SPACE"
    arrows = [d for d in ARROWS if (d,) in keymap.bindings]
    letters = {v: k for k, v in keymap.aliases.items()}
    parts = []
    if arrows:
        names = "ARROWS" if len(arrows) == 4 else "/".join(d.upper() for d in arrows)
        alias = "".join(letters[d] for d in arrows if d in letters).upper()
        alias = "WASD" if len(alias) == 4 else "/".join(alias)
        parts.append(f"{alias} or {names}" if alias else names)
    if ("space",) in keymap.bindings:
        parts.append(f"SPACE {labels[keymap.bindings[('space',)]].lower()}")
    return "  ·  ".join(parts) or "the game's keys"


def draw_sides(
    surface: pygame.Surface, frame_rect: pygame.Rect, y: int, you: str, agent: str, small: int
) -> None:
    """Who is who, at height ``y`` under the game: ``you`` at its left edge and ``agent`` at its right,
    or both centred one above the other where the two do not fit side by side."""
    font = theme.font(small, True)
    if font.size(you)[0] + font.size(agent)[0] + 2 * small <= max(frame_rect.width, 1):
        draw_text(surface, you, (frame_rect.left, y), small, PERSON_COLOR, "midleft", bold=True)
        draw_text(surface, agent, (frame_rect.right, y), small, AGENT_COLOR, "midright", bold=True)
    else:
        line = int(small * 1.2)
        x = frame_rect.centerx
        draw_text(surface, you, (x, y - line // 2), small, PERSON_COLOR, "center", bold=True)
        draw_text(surface, agent, (x, y + line // 2), small, AGENT_COLOR, "center", bold=True)


def draw_board_overlay(
    surface: pygame.Surface,
    frame_rect: pygame.Rect,
    frame: np.ndarray,
    board: Any,
    n_cells: int,
    thought: Thought | None,
    cursor: int | None,
    small: int,
) -> None:
    """What a board game shows on its squares between moves: while the agent thinks, its values on
    the free squares and a caption over the status line; else the person's ``cursor`` (None: hidden).

    Args:
        frame: the (H, W, 3) picture drawn at ``frame_rect`` (the thought's own while it thinks).
        board: the game object, with ``cell_rect(i)`` for each of its ``n_cells`` squares.
    """
    size = (frame.shape[1], frame.shape[0])
    if thought is not None:
        draw_square_values(surface, frame_rect, size, board, thought.act.q_values, thought.mask)
        cells = (board.cell_rect(i) for i in range(n_cells))
        draw_board_caption(surface, frame_rect, frame, cells, THINKING_CAPTION, small)
    elif cursor is not None:
        draw_cursor(surface, frame_rect, size, board.cell_rect(cursor))


def draw_cursor(
    surface: pygame.Surface, frame_rect: pygame.Rect, frame_size: tuple[int, int], cell: Cell
) -> None:
    """Outline the square the person's arrows have reached (``frame_size``: the frame's width, height)."""
    x, y, cw, ch = cell
    sx, sy = frame_rect.width / frame_size[0], frame_rect.height / frame_size[1]
    rect = pygame.Rect(frame_rect.x + x * sx, frame_rect.y + y * sy, cw * sx, ch * sy)
    pygame.draw.rect(surface, theme.TEXT, rect, width=max(3, int(sx * 2)), border_radius=6)


def draw_board_caption(
    surface: pygame.Surface,
    frame_rect: pygame.Rect,
    frame: np.ndarray,
    cells: Iterable[Cell],
    text: str,
    size_px: int,
) -> None:
    """``text`` over the board game's own status line: the strip under the last row of ``cells``,
    painted over in the colour of the frame's bottom-left pixel."""
    bottom = max(y + ch for _, y, _, ch in cells)
    sy = frame_rect.height / frame.shape[0]
    top = round(frame_rect.y + (bottom + CAPTION_GAP_PX) * sy)
    strip = pygame.Rect(frame_rect.x, top, frame_rect.width, frame_rect.bottom - top)
    color = tuple(int(c) for c in frame[-1, 0])
    pygame.draw.rect(surface, color, strip)
    draw_text(surface, text, strip.center, int(size_px * 1.3), AGENT_COLOR, "center", bold=True)
