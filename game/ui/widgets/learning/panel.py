"""What every "how it learns" panel shares: text sizes from the window, a titled card rendered once per
new view (or new size) and blitted every frame, lines of coloured text, pictures from numpy arrays.

Views arrive a few times a second at most, so a panel does all its work (numpy pictures to surfaces,
texts, curves) when one arrives; a frame is a blit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from game.ui import theme
from game.ui.widgets.draw import FLOOR_GLYPH_PX, TRACK, compact, draw_card, draw_tag, elide, font_px
from game.ui.widgets.frame import fit_rect, frame_surface
from game.ui.widgets.text import draw_text

TEXT_SHARE = 0.0175  # body text glyph height as a share of the window height
TEXT_CAP_PX = 15.0  # ... up to this
TITLE_SCALE = 1.08  # titles relative to the body text
SMALL_SCALE = 0.86  # captions, notes and axis labels relative to the body text
LINE_GAP_SHARE = 0.32  # space between lines, as a share of the text height
ARROW = "→"  # a segment of exactly this text is drawn as an arrow (the bundled font has no arrow glyph)

Color = tuple[int, int, int]
Segment = tuple[str, Color]  # a piece of a line of text and its colour

GHOST = (236, 240, 250)  # the Bellman target: its line in the readout and its marker on the Q-bars
SURPRISE = (255, 140, 70)  # |TD error|: the surprise timeline and its moments
MEMORY = theme.INFO  # the replay memory
TARGET_NET = (64, 214, 180)  # the target network and what it computes
ONLINE = theme.INFO  # the online network's values beside the target network's
HINDSIGHT = (245, 120, 190)  # returns actually received, against the predicted ones
HEAT = (255, 84, 48)  # where the network looks
PANEL_COLORS: dict[str, Color] = {  # each panel's title mark, and the kiosk caption pointing at it
    "readout": GHOST,
    "surprise": SURPRISE,
    "replay": MEMORY,
    "target": TARGET_NET,
    "predicted": HINDSIGHT,
    "saliency": HEAT,
}


@dataclass(frozen=True)
class Sizes:
    """The layer's text sizes (pixels), the same in every panel."""

    text_px: int
    title_px: int
    small_px: int
    line_h: int
    """distance between two lines of body text"""
    small_h: int
    """distance between two lines of small text"""
    pad: int
    """room kept free inside a card and between its parts"""


def sizes_for(window_h: int) -> Sizes:
    """Text sizes for a window ``window_h`` pixels tall (they grow with booth screens, up to a cap)."""
    glyph = min(TEXT_CAP_PX, max(FLOOR_GLYPH_PX + 0.5, window_h * TEXT_SHARE))
    text_px = font_px(glyph)
    small_px = font_px(max(FLOOR_GLYPH_PX, glyph * SMALL_SCALE))
    text_h, small_h = theme.font(text_px).get_height(), theme.font(small_px).get_height()
    return Sizes(
        text_px=text_px,
        title_px=font_px(glyph * TITLE_SCALE),
        small_px=small_px,
        line_h=text_h + max(2, round(text_h * LINE_GAP_SHARE)),
        small_h=small_h + max(2, round(small_h * LINE_GAP_SHARE)),
        pad=max(5, round(glyph * 0.55)),
    )


# ---------------------------------------------------------------------- numbers


def number(v: float, digits: int = 2) -> str:
    """A value with ``digits`` decimals; past a thousand, compact (12k). A diverged one reads nan / inf."""
    return f"{v:.{digits}f}" if not abs(v) >= 1000 else compact(v)


def signed(v: float, digits: int = 2) -> str:
    """A value with its sign always written: +0.49, -1.00."""
    return f"{v:+.{digits}f}" if not abs(v) >= 1000 else ("+" if v >= 0 else "") + compact(v)


def sign_color(v: float) -> Color:
    """Green above zero, red below, dim at zero."""
    return theme.GOOD if v > 0 else theme.BAD if v < 0 else theme.TEXT_DIM


# ---------------------------------------------------------------------- text and pictures


def render_line(segments: list[Segment], size_px: int, width: int, bold: bool = False) -> pygame.Surface:
    """Coloured pieces of text side by side, cut with an ellipsis at ``width`` pixels; a piece that is
    exactly ARROW is drawn as an arrow."""
    font = theme.font(size_px, bold)
    height = font.get_height()
    pieces: list[tuple[pygame.Surface | None, int, Color]] = []
    x = 0
    for text, color in segments:
        room = width - x
        if text == ARROW:
            arrow_w = round(height * 1.2)
            if arrow_w > room:
                break
            pieces.append((None, arrow_w, color))
            x += arrow_w
            continue
        cut = elide(text, font, room)
        if cut:
            image = font.render(cut, True, color)
            pieces.append((image, image.get_width(), color))
            x += image.get_width()
        if cut != text:
            break
    tallest = max([height] + [image.get_height() for image, _, _ in pieces if image is not None])
    line = pygame.Surface((max(1, x), tallest), pygame.SRCALPHA)  # a rendering reaches below get_height()
    x = 0
    for image, piece_w, color in pieces:
        if image is None:
            draw_arrow(line, pygame.Rect(x, 0, piece_w, height), color)
        else:
            line.blit(image, (x, 0))
        x += piece_w
    return line


def draw_arrow(surface: pygame.Surface, rect: pygame.Rect, color: Color) -> None:
    """A rightward arrow across the middle of ``rect``."""
    y, head = rect.centery, max(3, rect.height // 4)
    left, right = rect.x + head // 2 + 1, rect.right - head // 2 - 1
    pygame.draw.line(surface, color, (left, y), (right - head, y), max(1, rect.height // 9))
    pygame.draw.polygon(surface, color, [(right, y), (right - head, y - head), (right - head, y + head)])


def tag_surface(text: str, size_px: int, color: Color) -> pygame.Surface:
    """A rounded tag (as draw_tag draws it) on its own transparent surface, to blit again and again."""
    font = theme.font(size_px, True)
    w, h = font.size(text)
    pad_x, pad_y = max(3, h // 3), max(1, h // 8)
    image = pygame.Surface((w + 2 * pad_x, h + 2 * pad_y), pygame.SRCALPHA)
    draw_tag(image, text, "topleft", (0, 0), size_px, color)
    return image


def picture_surface(picture: np.ndarray) -> pygame.Surface:
    """A surface of a small picture: (h, w) grey or (h, w, 3) RGB, uint8."""
    picture = np.asarray(picture)
    if picture.ndim == 2:
        picture = np.repeat(picture[:, :, None], 3, axis=2)
    assert picture.ndim == 3 and picture.shape[2] == 3 and picture.dtype == np.uint8, (
        picture.shape,
        picture.dtype,
    )
    return frame_surface(picture).copy()  # a copy owns its pixels; the array may go


def blit_picture(
    surface: pygame.Surface,
    picture: pygame.Surface,
    area: pygame.Rect,
    pixel_aspect: float = 1.0,
    corner: bool = False,
) -> pygame.Rect:
    """``picture`` scaled into ``area`` with its aspect kept, centred (or in its top-left ``corner``);
    returns where it went."""
    rect = fit_rect(*picture.get_size(), area, pixel_aspect)
    if corner:
        rect.topleft = area.topleft
    surface.blit(pygame.transform.scale(picture, rect.size), rect)
    return rect


def draw_waiting(surface: pygame.Surface, area: pygame.Rect, text: str, sizes: Sizes) -> None:
    """The empty well a panel shows until its first view arrives, with what it waits for."""
    if area.width < 8 or area.height < 8:
        return
    pygame.draw.rect(surface, TRACK, area, border_radius=max(3, min(area.height, area.width) // 10))
    font = theme.font(sizes.small_px)
    image = font.render(elide(text, font, area.width - 8), True, theme.TEXT_DIM)
    surface.blit(image, image.get_rect(center=area.center))


# ---------------------------------------------------------------------- the card


class CachedPanel:
    """A titled card whose picture is rendered only when its view or its size changes.

    Subclasses set ``color``, implement :meth:`header` and :meth:`render`, call :meth:`changed` when
    their view changes, and may draw something that moves every frame in :meth:`overlay`.
    """

    color: Color = theme.TEXT

    def __init__(self) -> None:
        self.version = 0
        self._cache: tuple[tuple, pygame.Surface] | None = None

    def changed(self) -> None:
        """The view changed: render again at the next draw."""
        self.version += 1

    def header(self) -> tuple[str, str]:
        """The title, and a short text at the right end of the title line ("" for none)."""
        raise NotImplementedError

    def render(self, image: pygame.Surface, body: pygame.Rect, sizes: Sizes) -> None:
        """Draw the content into ``body`` (a rect of ``image``, below the title)."""
        raise NotImplementedError

    def badge(self) -> tuple[str, Color] | None:
        """A tag in the title line, left of its right-hand text (None for none)."""
        return None

    def overlay(self, surface: pygame.Surface, rect: pygame.Rect, sizes: Sizes) -> None:
        """What changes every frame, over the cached card (nothing by default)."""

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, sizes: Sizes, may_render: bool = True) -> bool:
        """The card into ``rect``: a blit of the cached picture, then the overlay. A new view is rendered
        now, or, unless ``may_render``, in a later frame (the card shows the last view till then; a new
        size cannot wait). Returns whether it rendered."""
        rect = pygame.Rect(rect)
        if rect.width < 16 or rect.height < 16:
            return False
        key = (self.version, rect.size, sizes)
        cached = None if self._cache is None else self._cache[0]
        rendered = cached != key and (may_render or cached is None or cached[1:] != key[1:])
        if rendered:
            image = pygame.Surface(rect.size)
            image.fill(theme.BACKGROUND)
            self.render(image, self._draw_title(image, sizes), sizes)
            self._cache = (key, image)
        surface.blit(self._cache[1], rect)
        self.overlay(surface, rect, sizes)
        return rendered

    def _draw_title(self, image: pygame.Surface, sizes: Sizes) -> pygame.Rect:
        """Card, colour mark, title and its right-hand text; returns the body below them."""
        rect = image.get_rect()
        draw_card(image, rect)
        pad = sizes.pad
        inner = rect.inflate(-2 * pad, -2 * pad)
        title, right = self.header()
        font = theme.font(sizes.title_px, True)
        line = pygame.Rect(inner.x, inner.y, inner.width, font.get_height())
        mark = max(4, line.height * 2 // 5)
        pygame.draw.rect(image, self.color, (line.x, line.centery - mark // 2, mark, mark), border_radius=2)
        left = line.x + mark + max(4, mark * 2 // 3)
        small = theme.font(sizes.small_px)
        badge = self.badge()
        tag = tag_surface(badge[0], sizes.small_px, badge[1]) if badge else None
        right_w = (small.size(right)[0] + pad if right else 0) + (tag.get_width() + pad if tag else 0)
        title_room = line.right - left - right_w
        if title_room < font.size(title)[0] and right_w:  # a narrow card keeps the title, drops the rest
            right, tag, title_room = "", None, line.right - left
        title = elide(title, font, title_room)
        draw_text(image, title, (left, line.centery), sizes.title_px, theme.TEXT, "midleft", bold=True)
        x = line.right
        if right:
            x = (
                draw_text(image, right, (x, line.centery), sizes.small_px, theme.TEXT_DIM, "midright").left
                - pad
            )
        if tag is not None:
            image.blit(tag, tag.get_rect(midright=(x, line.centery)))
        top = line.bottom + max(3, pad * 2 // 3)
        return pygame.Rect(inner.x, top, inner.width, max(0, inner.bottom - top))
