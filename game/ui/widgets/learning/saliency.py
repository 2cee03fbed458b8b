"""Where the network looks: the saliency map laid over the game picture as a warm glow, more opaque
where blurring the picture moves Q(s, a) more (:class:`game.modes.insight.SaliencyView`)."""

from __future__ import annotations

import numpy as np
import pygame

from game.modes.insight import SaliencyView
from game.ui.widgets.learning.panel import HEAT, Sizes, tag_surface

HEAT_FLOOR = 0.12  # heat below this stays clear (the map's faint noise would veil the whole picture)
MAX_ALPHA = 190  # the opacity of the hottest spot, of 255
COOL = (200, 40, 30)  # the glow's colour where it is faint ...
HOT = (255, 236, 140)  # ... and where it is hottest (HEAT in between)
LEVELS = 256  # steps of the colour ramp


def heat_ramp() -> np.ndarray:
    """(LEVELS, 4) uint8: the RGBA of each heat level, clear up to HEAT_FLOOR, then warmer and more opaque."""
    t = np.clip((np.linspace(0.0, 1.0, LEVELS) - HEAT_FLOOR) / (1 - HEAT_FLOOR), 0.0, 1.0)[:, None]
    cool, mid, hot = (np.array(c, dtype=np.float64) for c in (COOL, HEAT, HOT))
    rgb = np.where(t < 0.5, cool + (mid - cool) * 2 * t, mid + (hot - mid) * (2 * t - 1))
    return np.concatenate([rgb, MAX_ALPHA * np.sqrt(t)], axis=1).round().astype(np.uint8)


def heat_rgba(heat: np.ndarray, ramp: np.ndarray | None = None) -> np.ndarray:
    """(h, w, 4) uint8: the map's colours and opacities, looked up on the ramp."""
    heat = np.nan_to_num(np.asarray(heat, dtype=np.float32), nan=0.0)
    assert heat.ndim == 2, heat.shape
    levels = (np.clip(heat, 0.0, 1.0) * (LEVELS - 1)).round().astype(np.intp)
    return (heat_ramp() if ramp is None else ramp)[levels]


class SaliencyOverlay:
    """The latest saliency map as a surface built once per view and picture size, blitted every frame."""

    def __init__(self, labels: list[str]):
        self.labels = labels
        self.view: SaliencyView | None = None
        self._ramp: np.ndarray | None = None
        self._scaled: tuple[tuple[int, int], pygame.Surface] | None = None
        self._tag: tuple[tuple[int, int], pygame.Surface] | None = None

    def set(self, view: SaliencyView | None) -> None:
        """A new map (None: none yet); it becomes a surface when next drawn."""
        self.view = view
        self._scaled = self._tag = None

    def label(self) -> str:
        a = self.view.action
        return f"where it looks ({self.labels[a] if 0 <= a < len(self.labels) else f'A{a}'})"

    def draw(self, surface: pygame.Surface, frame_rect: pygame.Rect, sizes: Sizes) -> tuple[bool, bool]:
        """The glow over the game picture drawn at ``frame_rect``, and its tag (a new map or a new size
        is built first). Returns (something was drawn, a map was built)."""
        if self.view is None or frame_rect.width < 2 or frame_rect.height < 2:
            return False, False
        built = self._scaled is None or self._scaled[0] != frame_rect.size
        if built:
            if self._ramp is None:
                self._ramp = heat_ramp()
            rgba = np.ascontiguousarray(heat_rgba(self.view.heat, self._ramp))
            heat = pygame.image.frombuffer(rgba.tobytes(), (rgba.shape[1], rgba.shape[0]), "RGBA")
            glow = pygame.transform.smoothscale(heat, frame_rect.size)
            if pygame.display.get_surface() is not None:
                glow = glow.convert_alpha()  # the display's own format blits some 40 times faster
            self._scaled = (frame_rect.size, glow)
        surface.blit(self._scaled[1], frame_rect)
        key = (sizes.small_px, frame_rect.width)
        if self._tag is None or self._tag[0] != key:
            self._tag = (key, tag_surface(self.label(), sizes.small_px, HEAT))
        tag = self._tag[1]
        if tag.get_width() <= frame_rect.width - 8:
            surface.blit(tag, tag.get_rect(bottomleft=(frame_rect.x + 4, frame_rect.bottom - 4)))
        return True, built
