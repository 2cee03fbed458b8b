"""The lab's settings strip: sliders for the discount, the slip and the step reward (drag with the
mouse, or TAB to one and -/+), the layout's name and whether the methods run."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from game.ui import theme
from game.ui.widgets.draw import TRACK, draw_tag
from game.ui.widgets.text import draw_text


@dataclass(frozen=True)
class Setting:
    """One slider: the world's field it sets, its label, range and step."""

    field: str
    label: str
    lo: float
    hi: float
    step: float

    def clamp(self, value: float) -> float:
        steps = round((min(self.hi, max(self.lo, value)) - self.lo) / self.step)
        return round(self.lo + steps * self.step, 6)


SETTINGS = (
    Setting("gamma", "discount γ", 0.5, 0.99, 0.01),
    Setting("slip", "slip", 0.0, 0.5, 0.05),
    Setting("step_reward", "step reward", -0.2, 0.1, 0.01),
)
KNOB = (255, 196, 61)


class SettingsStrip:
    """Three sliders; ``handle_event`` returns ``{field: value}`` when a drag ends, or None."""

    def __init__(self) -> None:
        self.tracks: list[pygame.Rect] = [pygame.Rect(0, 0, 0, 0) for _ in SETTINGS]
        self.dragging: int | None = None
        self.drag_value = 0.0
        self.focus = 0  # the slider -/+ change

    def value_at(self, index: int, x: int) -> float:
        track, setting = self.tracks[index], SETTINGS[index]
        share = 0.0 if track.width <= 0 else (x - track.x) / track.width
        return setting.clamp(setting.lo + share * (setting.hi - setting.lo))

    def handle_event(self, event: pygame.event.Event) -> dict[str, float] | None:
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == pygame.BUTTON_LEFT:
            for index, track in enumerate(self.tracks):
                if track.width > 0 and track.inflate(14, 18).collidepoint(event.pos):
                    self.dragging, self.focus = index, index
                    self.drag_value = self.value_at(index, event.pos[0])
                    return None
        elif event.type == pygame.MOUSEMOTION and self.dragging is not None:
            self.drag_value = self.value_at(self.dragging, event.pos[0])
        elif (
            event.type == pygame.MOUSEBUTTONUP
            and event.button == pygame.BUTTON_LEFT
            and self.dragging is not None
        ):
            index, self.dragging = self.dragging, None
            return {SETTINGS[index].field: self.value_at(index, event.pos[0])}
        return None

    def nudge(self, values: dict[str, float], direction: int) -> dict[str, float]:
        """The focused slider one step up (+1) or down (-1) from ``values``."""
        setting = SETTINGS[self.focus]
        return {setting.field: setting.clamp(values[setting.field] + direction * setting.step)}

    def next_focus(self) -> None:
        self.focus = (self.focus + 1) % len(SETTINGS)

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, values: dict[str, float], size: int) -> int:
        """The sliders left to right from ``rect.x``; returns the x where they end."""
        x = rect.x
        width = max(60, min(150, rect.width // 9))
        for index, setting in enumerate(SETTINGS):
            value = self.drag_value if self.dragging == index else values[setting.field]
            colour = theme.ACCENT if index == self.focus else theme.TEXT_DIM
            label = draw_text(surface, setting.label, (x, rect.centery), size, colour, "midleft")
            track = pygame.Rect(label.right + size // 2, rect.centery - 3, width, 6)
            self.tracks[index] = track
            pygame.draw.rect(surface, TRACK, track, border_radius=3)
            share = (value - setting.lo) / (setting.hi - setting.lo)
            knob_x = track.x + round(share * track.width)
            if setting.lo < 0 < setting.hi:  # a zero mark on a range that crosses it
                zero_x = track.x + round(-setting.lo / (setting.hi - setting.lo) * track.width)
                pygame.draw.line(surface, theme.TEXT_DIM, (zero_x, track.y - 3), (zero_x, track.bottom + 2))
            pygame.draw.circle(
                surface, KNOB if index == self.focus else theme.INFO, (knob_x, track.centery), 7
            )
            shown = f"{value:+.2f}" if setting.lo < 0 else f"{value:.2f}"
            number = draw_text(
                surface, shown, (track.right + size // 2, rect.centery), size, theme.TEXT, "midleft"
            )
            x = number.right + size * 3 // 2
        return x


def draw_state(
    surface: pygame.Surface, rect: pygame.Rect, running: bool, speed: float, layout: str, size: int
) -> None:
    """The layout's name and RUNNING / PAUSED, right-aligned in ``rect``."""
    tag = draw_tag(
        surface,
        f"RUNNING ×{speed:g}" if running else "PAUSED",
        "midright",
        (rect.right, rect.centery),
        size,
        theme.GOOD if running else theme.ACCENT,
    )
    draw_text(surface, f"layout: {layout}", (tag.x - size, rect.centery), size, theme.TEXT, "midright")
