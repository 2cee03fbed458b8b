"""The Bellman backup of the cell under the mouse (or the cursor), written out with the numbers of one
method's current values: for value iteration max over actions of Σ p·(r + γ·V(s'))."""

from __future__ import annotations

import pygame

from game.modes.lab_backup import Backup
from game.ui import theme
from game.ui.widgets.draw import draw_card, elide, font_px

TITLE_SHARE = 0.085  # title glyph height as a share of the card's height
TITLE_CAP_PX = 17  # ... up to this
LINE_PITCH = 1.25  # line pitch as a multiple of the text's height


def draw_backup(
    surface: pygame.Surface,
    rect: pygame.Rect,
    backup: Backup | None,
    colour: tuple[int, int, int],
    hint: str,
) -> None:
    """The backup's lines, the one that sets V(s) in the method's colour; ``hint`` when there is none."""
    pad = draw_card(surface, rect)
    inner = rect.inflate(-2 * pad, -2 * pad)
    size = font_px(min(TITLE_CAP_PX, max(9, rect.height * TITLE_SHARE)))
    title_font = theme.font(size, True)
    method = "" if backup is None else f" · {backup.method.upper()}"
    title = elide(f"BELLMAN BACKUP{method}", title_font, inner.width)
    surface.blit(theme.text_image(title, size, colour if backup else theme.TEXT, True), inner.topleft)
    y = inner.y + title_font.get_height() + pad // 2
    lines = [hint] if backup is None else backup.lines()
    text_px = size
    # The longest formula (three outcomes of an action) should fit: shrink the text down to a floor.
    while text_px > 10 and max(theme.font(text_px).size(line)[0] for line in lines) > inner.width:
        text_px -= 1
    font = theme.font(text_px)
    pitch = int(font.get_height() * LINE_PITCH)
    for index, line in enumerate(lines):
        if y + font.get_height() > inner.bottom:
            break
        last = backup is not None and index == len(lines) - 1
        shown = elide(line, font, inner.width)
        surface.blit(
            theme.text_image(
                shown, text_px, colour if last else theme.TEXT_DIM if backup is None else theme.TEXT
            ),
            (inner.x, y),
        )
        y += pitch
