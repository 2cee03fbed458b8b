"""A game's RGB frame, scaled into a rectangle with its aspect kept (integer scaling when it fits)."""

from __future__ import annotations

import numpy as np
import pygame

CRISP_SHARE = 0.85  # use the whole-number scale if it fills at least this share of the space


def fit_rect(frame_w: int, frame_h: int, area: pygame.Rect, pixel_aspect: float = 1.0) -> pygame.Rect:
    """The largest rectangle of the frame's aspect centred in ``area``.

    A whole-number scale keeps pixel art crisp, so it is taken whenever it fills nearly as much.
    ``pixel_aspect`` widens each pixel (Atari pictures were made for a 4:3 screen).
    """
    frame_w = frame_w * pixel_aspect
    scale = min(area.width / frame_w, area.height / frame_h)
    if scale >= 1 and int(scale) / scale >= CRISP_SHARE:
        scale = float(int(scale))
    w, h = max(1, round(frame_w * scale)), max(1, round(frame_h * scale))
    rect = pygame.Rect(0, 0, w, h)
    rect.center = area.center
    return rect


def frame_surface(frame: np.ndarray) -> pygame.Surface:
    """A surface holding ``frame`` ((H, W, 3) uint8)."""
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8, (frame.shape, frame.dtype)
    h, w = frame.shape[:2]
    return pygame.image.frombuffer(np.ascontiguousarray(frame).tobytes(), (w, h), "RGB")


def draw_frame(
    surface: pygame.Surface, frame: np.ndarray, area: pygame.Rect, pixel_aspect: float = 1.0
) -> pygame.Rect:
    """Scale ``frame`` into ``area`` (nearest neighbour, aspect kept); returns where it went."""
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8, (frame.shape, frame.dtype)
    h, w = frame.shape[:2]
    rect = fit_rect(w, h, area, pixel_aspect)
    picture = pygame.image.frombuffer(np.ascontiguousarray(frame), (w, h), "RGB")  # used at once: no copy
    if surface.get_clip().contains(rect) and not surface.get_flags() & pygame.SRCALPHA:
        # Scaled straight into the window in its own pixel format: the same pixels as scaling, then
        # blitting, in a third of the time (the arena draws 60 of these a second beside the learner).
        pygame.transform.scale(picture.convert(surface), rect.size, surface.subsurface(rect))
    else:  # partly clipped, or onto a surface with alpha: blit, which clips and blends
        surface.blit(pygame.transform.scale(picture, rect.size), rect)
    return rect


def to_frame_coords(
    pos: tuple[int, int], rect: pygame.Rect, frame_w: int, frame_h: int
) -> tuple[int, int] | None:
    """Window pixel -> frame pixel, or None outside the drawn frame."""
    if not rect.collidepoint(pos):
        return None
    x = (pos[0] - rect.x) * frame_w // rect.width
    y = (pos[1] - rect.y) * frame_h // rect.height
    return int(x), int(y)
