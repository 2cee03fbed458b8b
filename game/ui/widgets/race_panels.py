"""The race screen's panels: the clock between the two headers, each side's header and move card,
and what covers a side's picture before and after it plays (the countdown, the finished notice).

The right-hand side mirrors the left: its name sits at the window's right edge, its score beside
the clock's right end.
"""

from __future__ import annotations

import pygame

from game.ui import theme
from game.ui.widgets.draw import draw_card, draw_tag, elide
from game.ui.widgets.match_banners import side_color
from game.ui.widgets.text import draw_text

CLOCK_WARNING_S = 10.0  # the clock turns red this close to the time limit
COUNTDOWN_SHADE = (0, 0, 0, 110)  # light: the identical first pictures should show through
FINISHED_SHADE = (0, 0, 0, 210)  # dark: the game's own game-over text gives way to the notice

NoticeLine = tuple[str, int, tuple[int, int, int], bool]  # text, size in pixels, colour, bold


def shade(surface: pygame.Surface, rect: pygame.Rect, rgba: tuple[int, int, int, int]) -> None:
    """Darken ``rect`` with a translucent ``rgba`` veil."""
    veil = pygame.Surface(rect.size, pygame.SRCALPHA)
    veil.fill(rgba)
    surface.blit(veil, rect)


def draw_notice(surface: pygame.Surface, center: tuple[int, int], lines: list[NoticeLine]) -> pygame.Rect:
    """Lines of (text, size, colour, bold) on a solid card centred at ``center``, over what the game drew."""
    images = [theme.font(size, bold).render(text, True, color) for text, size, color, bold in lines]
    pad = max(6, images[0].get_height() // 2)
    width = max(i.get_width() for i in images) + 4 * pad
    card = pygame.Rect(0, 0, width, sum(i.get_height() for i in images) + 2 * pad)
    card.center = center
    pygame.draw.rect(surface, theme.PANEL, card, border_radius=pad)
    pygame.draw.rect(surface, theme.PANEL_EDGE, card, width=1, border_radius=pad)
    y = card.y + pad
    for image in images:
        surface.blit(image, image.get_rect(midtop=(card.centerx, y)))
        y += image.get_height()
    return card


def clock_text(seconds: float) -> str:
    """Seconds as the race clock shows them: 2:05."""
    whole = max(0, int(seconds + 0.999))  # 0.2 s left still reads 0:01
    return f"{whole // 60}:{whole % 60:02d}"


def clock_pill(center: tuple[int, int], size_px: int) -> pygame.Rect:
    """Where the race clock goes: a pill that holds '0:00', centred at ``center``. The headers'
    scores sit either side of it whether or not the clock is drawn."""
    text_w, text_h = theme.font(size_px, True).size("0:00")
    pill = pygame.Rect(0, 0, text_w + size_px, text_h + size_px // 2)
    pill.center = center
    return pill


def draw_race_clock(
    surface: pygame.Surface, pill: pygame.Rect, seconds_left: float, running: bool, size_px: int
) -> None:
    """The time left in ``pill`` (red in the last CLOCK_WARNING_S of a ``running`` race), 'LEFT' under it."""
    color = theme.BAD if seconds_left <= CLOCK_WARNING_S and running else theme.TEXT
    pygame.draw.rect(surface, theme.PANEL, pill, border_radius=pill.height // 2)
    pygame.draw.rect(surface, theme.PANEL_EDGE, pill, width=1, border_radius=pill.height // 2)
    draw_text(surface, clock_text(seconds_left), pill.center, size_px, color, "center", bold=True)
    draw_text(surface, "LEFT", (pill.centerx, pill.bottom + 2), size_px // 2, theme.TEXT_DIM, "midtop")


def draw_side_header(
    surface: pygame.Surface,
    rect: pygame.Rect,
    clock: pygame.Rect,
    is_person: bool,
    name: str,
    score: float,
    status: str,
    winner: bool,
    size: int,
    small: int,
) -> None:
    """Name and ``status`` at the outer edge, the score big beside the clock, and a WINNER tag by the
    name of the side that won (the agent's header, on the right, mirrors the person's)."""
    color = side_color(is_person)
    outer, inner = ("left", "right") if is_person else ("right", "left")
    score_at = (clock.left - size // 2 if is_person else clock.right + size // 2, rect.centery)
    drawn = draw_text(surface, f"{score:g}", score_at, int(size * 1.7), color, f"mid{inner}", True)
    room = abs(getattr(drawn, outer) - getattr(rect, outer)) - size
    name = elide(name, theme.font(size, True), room)
    at = (getattr(rect, outer), rect.centery - size // 3)
    label = draw_text(surface, name, at, size, color, f"mid{outer}", bold=True)
    at = (getattr(rect, outer), label.bottom + 2)
    draw_text(surface, status, at, small, theme.TEXT_DIM, f"top{outer}")
    if winner:
        at = (getattr(label, inner) + (size // 3 if is_person else -size // 3), label.centery)
        draw_tag(surface, "WINNER", f"mid{outer}", at, small, color)


def draw_move_card(
    surface: pygame.Surface,
    rect: pygame.Rect,
    title: str,
    move: str,
    color: tuple[int, int, int],
    footer: list[str],
    size: int,
    small: int,
) -> None:
    """A side's ``move`` now, big in ``color``, under ``title`` and over ``footer`` lines (the
    person's keys, or why the agent moves at random)."""
    pad = draw_card(surface, rect)
    inner = rect.inflate(-2 * pad, -2 * pad)
    draw_text(surface, title, inner.topleft, small, theme.TEXT, bold=True)
    draw_text(surface, move, inner.center, size * 3 // 2, color, "center", bold=True)
    font, y = theme.font(small), inner.bottom
    for line in reversed(footer):
        at = (inner.centerx, y)
        y = draw_text(surface, elide(line, font, inner.width), at, small, theme.TEXT_DIM, "midbottom").top


def draw_countdown(
    surface: pygame.Surface, rect: pygame.Rect, count: int, hint: str, size: int, small: int
) -> None:
    """The seconds to the start, big over a side's first picture (which shows through), ``hint`` below."""
    shade(surface, rect, COUNTDOWN_SHADE)
    draw_text(surface, str(count), rect.center, size * 4, theme.TEXT, "center", bold=True)
    draw_text(surface, hint, (rect.centerx, rect.centery + size * 2), small, theme.TEXT_DIM, "midtop")


def draw_finished(
    surface: pygame.Surface,
    rect: pygame.Rect,
    is_person: bool,
    timed_out: bool,
    score: float,
    size: int,
    small: int,
) -> None:
    """A side that is done while the other plays on: FINISHED (or TIME UP), its score, whom it waits for."""
    shade(surface, rect, FINISHED_SHADE)
    other = "the agent" if is_person else "you"
    lines = [
        ("TIME UP" if timed_out else "FINISHED", size * 3 // 2, side_color(is_person), True),
        (f"score {score:g}", size, theme.TEXT, False),
        (f"waiting for {other}…", small, theme.TEXT_DIM, False),
    ]
    draw_notice(surface, rect.center, lines)
