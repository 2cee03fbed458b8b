"""The leaderboard on screen: the top ten of a game and mode, one visitor's row highlighted.

A visitor placed below the top ten still sees their own row, under the table with their place.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygame

from game.modes.kiosk.leaderboard import Entry
from game.ui import theme
from game.ui.widgets.draw import draw_card
from game.ui.widgets.text import draw_text

ROWS = 10  # places shown
ROW_FILL = (30, 36, 56)  # every other row, so a line is easy to follow across the table
HIGHLIGHT = theme.ACCENT  # the visitor's own row
COLUMNS = (0.04, 0.13, 0.62, 0.83)  # left edges of place, name, games won, margin (share of the width)


def score_text(entry: Entry) -> str:
    """The games each side won: '3 – 1'."""
    return f"{entry.player_score:g} – {entry.agent_score:g}"


def margin_text(entry: Entry) -> str:
    """The visitor's lead over the agent: '+2', '0', '-1'."""
    return f"{entry.margin:+g}" if entry.margin else "0"


def draw_leaderboard(
    surface: pygame.Surface,
    rect: pygame.Rect,
    entries: Sequence[Entry],
    highlight: Entry | None = None,
    place: int | None = None,
) -> None:
    """The table of ``entries`` (best first) in ``rect``; ``highlight`` (at ``place``) stands out."""
    pad = draw_card(surface, rect)
    inner = rect.inflate(-2 * pad, -2 * pad)
    extra = highlight is not None and highlight not in entries[:ROWS]
    row_h = inner.height // (ROWS + 1 + (1 if extra else 0))
    size = max(14, int(row_h * 0.62))
    headings = ("#", "NAME", "YOU – AGENT", "LEAD")
    y = inner.y
    for share, heading in zip(COLUMNS, headings, strict=True):
        x = inner.x + int(inner.width * share)
        draw_text(surface, heading, (x, y + row_h // 2), size * 3 // 4, theme.TEXT_DIM, "midleft", bold=True)
    y += row_h
    if not entries:
        empty = "No scores yet: be the first!"
        draw_text(surface, empty, (inner.centerx, y + row_h), size, theme.TEXT_DIM, "center")
    rows = [(i + 1, entry) for i, entry in enumerate(entries[:ROWS])]
    if extra:
        rows.append((place or len(entries) + 1, highlight))
    for number, (rank, entry) in enumerate(rows):
        row = pygame.Rect(inner.x, y, inner.width, row_h)
        mine = entry == highlight
        if mine:
            pygame.draw.rect(surface, HIGHLIGHT, row, border_radius=row_h // 4)
        elif number % 2 == 0:
            pygame.draw.rect(surface, ROW_FILL, row, border_radius=row_h // 4)
        color = theme.BACKGROUND if mine else theme.TEXT
        cells = (f"{rank}", entry.name, score_text(entry), margin_text(entry))
        for share, cell in zip(COLUMNS, cells, strict=True):
            x = inner.x + int(inner.width * share)
            bold = mine or share == COLUMNS[1]
            draw_text(surface, cell, (x, row.centery), size, color, "midleft", bold=bold)
        y += row_h


def draw_board_screen(
    surface: pygame.Surface, title: str, entry: Entry, place: int, top: Sequence[Entry], seconds_left: float
) -> None:
    """The whole window after a name: the game's top ten, the visitor's row lit, and when it ends."""
    w, h = surface.get_size()
    surface.fill(theme.BACKGROUND)
    size = theme.text_size(h, 0.05)
    heading = f"{title.upper()}  ·  {entry.mode.upper()}  ·  TOP {ROWS}"
    draw_text(surface, heading, (w // 2, int(h * 0.05)), size, theme.TEXT, "midtop", bold=True)
    line = f"{entry.name}, you are number {place}!"
    y = int(h * 0.05) + size * 3 // 2
    draw_text(surface, line, (w // 2, y), size * 3 // 4, HIGHLIGHT, "midtop", bold=True)
    table = pygame.Rect(0, 0, int(w * 0.8), int(h * 0.66))
    table.midtop = (w // 2, int(h * 0.2))
    draw_leaderboard(surface, table, top, entry, place)
    footer = f"Back to the games in {max(0, int(seconds_left + 0.999))} s"
    draw_text(surface, footer, (w // 2, table.bottom + size // 2), size // 2, theme.TEXT_DIM, "midtop")
