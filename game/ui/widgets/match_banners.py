"""What the person-against-agent screens (versus and race) share: each side's colour, the keys line,
and the banners that say the match is paused or who won."""

from __future__ import annotations

import pygame

from game.ui import theme
from game.ui.widgets.text import draw_banner

PERSON_COLOR = theme.ACCENT  # the person's name, score and frame, as the Q-bars mark a person's move
AGENT_COLOR = theme.GOOD  # the agent's, as the Q-bars mark the network's pick
RESULT = {  # winner, as game.modes.versus and game.modes.race name it -> banner headline and colour
    "person": ("YOU WIN!", PERSON_COLOR),
    "agent": ("THE AGENT WINS", AGENT_COLOR),
    "draw": ("A DRAW", theme.TEXT),
}


def side_color(is_person: bool) -> tuple[int, int, int]:
    """The colour of the person's side, or of the agent's."""
    return PERSON_COLOR if is_person else AGENT_COLOR


def leave_hint(kiosk: bool) -> str:
    """'  ·  ESC to leave' for a banner's last line, or nothing at a kiosk, which nobody leaves."""
    return "" if kiosk else "  ·  ESC to leave"


def keys_line(kiosk: bool) -> str:
    """The bottom bar's reminder of the match keys (ESC only where leaving is allowed)."""
    return "P pause  ·  R restart" + ("" if kiosk else "  ·  ESC leave")


def draw_paused(surface: pygame.Surface, restart: str, kiosk: bool, size_px: int) -> None:
    """The PAUSED banner: P to play on, ``restart`` (what R does), and ESC where leaving is allowed."""
    draw_banner(surface, ["PAUSED", f"P to play on  ·  {restart}{leave_hint(kiosk)}"], size_px * 2)


def draw_result(surface: pygame.Surface, winner: str, details: list[str], size_px: int) -> None:
    """Who won (``winner``: "person", "agent" or "draw") in their colour, over the ``details`` lines."""
    headline, color = RESULT[winner]
    draw_banner(surface, [headline, *details], size_px * 2, color)
