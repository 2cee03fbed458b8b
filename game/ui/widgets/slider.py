"""A horizontal slider for epsilon: drag to explore by hand, right-click to return to the schedule."""

from __future__ import annotations

import pygame

from game.ui import theme
from game.ui.widgets.text import draw_text

TRACK = (44, 51, 76)  # the empty track
MIN_STEP = 0.01  # a drag reports a new value only when it moved this much


class EpsilonSlider:
    """Where a mouse sets epsilon. ``handle_event`` returns what to send: a value, "schedule", or None."""

    def __init__(self) -> None:
        self.track = pygame.Rect(0, 0, 0, 0)  # where the track was last drawn (hit area)
        self.dragging = False
        self.value: float | None = None  # the value last reported while dragging

    def value_at(self, x: int) -> float:
        """The epsilon that a click at window x means, rounded to 0.01."""
        if self.track.width <= 0:
            return 0.0
        return round(min(1.0, max(0.0, (x - self.track.x) / self.track.width)), 2)

    def handle_event(self, event: pygame.event.Event) -> float | str | None:
        hit = self.track.inflate(12, 16)
        if event.type == pygame.MOUSEBUTTONDOWN and hit.collidepoint(event.pos):
            if event.button == pygame.BUTTON_RIGHT:
                return "schedule"
            if event.button == pygame.BUTTON_LEFT:
                self.dragging = True
                self.value = self.value_at(event.pos[0])
                return self.value
        elif event.type == pygame.MOUSEMOTION and self.dragging:
            value = self.value_at(event.pos[0])
            if self.value is None or abs(value - self.value) >= MIN_STEP:
                self.value = value
                return value
        elif event.type == pygame.MOUSEBUTTONUP and event.button == pygame.BUTTON_LEFT:
            self.dragging = False
        return None

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, epsilon: float, override: bool) -> None:
        """A track across ``rect`` with a knob at ``epsilon`` (gold while set by hand)."""
        size = max(12, rect.height * 3 // 5)
        label = draw_text(surface, "set ε:", (rect.x, rect.centery), size, theme.TEXT_DIM, "midleft")
        hint = "right-click: schedule" if override else "drag to explore by hand"
        hint_rect = draw_text(surface, hint, (rect.right, rect.centery), size, theme.TEXT_DIM, "midright")
        self.track = pygame.Rect(
            label.right + size, rect.centery - 3, hint_rect.x - label.right - 2 * size, 6
        )
        if self.track.width <= 10:
            return
        pygame.draw.rect(surface, TRACK, self.track, border_radius=3)
        knob_x = self.track.x + round(epsilon * self.track.width)
        filled = pygame.Rect(self.track.x, self.track.y, knob_x - self.track.x, self.track.height)
        colour = theme.ACCENT if override else theme.INFO
        pygame.draw.rect(surface, colour, filled, border_radius=3)
        pygame.draw.circle(surface, colour, (knob_x, self.track.centery), max(6, rect.height // 3))
