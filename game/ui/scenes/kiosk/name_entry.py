"""The kiosk's name entry: the visitor's result, and their name spelled with a keyboard or a gamepad alone.

Keyboard: type, BACKSPACE, ENTER (arrows work as on a gamepad). Gamepad: d-pad or stick up / down
changes the letter, left / right moves between the letters and DONE, A moves on (on DONE: saves),
B deletes, START saves. The editing itself is :class:`game.modes.kiosk.name_entry.NameEntry`.
"""

from __future__ import annotations

import pygame

from game.modes.kiosk.name_entry import NameEntry
from game.ui import theme
from game.ui.controls import PAD_A, PAD_B, PAD_START, PAD_X, PAD_Y, HeldKeys
from game.ui.widgets.draw import TRACK
from game.ui.widgets.kiosk_chrome import fitted_size
from game.ui.widgets.text import draw_text

CURSOR = theme.ACCENT  # the slot being edited
SLOT_EDGE = theme.PANEL_EDGE
HINTS = (
    ("KEYBOARD", "type your name  ·  BACKSPACE deletes  ·  ENTER saves"),
    ("GAMEPAD", "up / down: letter  ·  left / right: move  ·  A: next, on DONE saves  ·  B: delete"),
)


class NameEntryScreen:
    """The visitor's result and the name slots; ``entry.done`` once the name is confirmed."""

    def __init__(self, headline: str, detail: str, color: tuple[int, int, int] = theme.ACCENT):
        self.headline = headline
        self.detail = detail
        self.color = color
        self.entry = NameEntry()
        self.pad = HeldKeys()  # the d-pad and stick, as direction presses

    def handle_event(self, event: pygame.event.Event) -> None:
        entry = self.entry
        if event.type == pygame.KEYDOWN:
            moves = {pygame.K_UP: (entry.cycle, 1), pygame.K_DOWN: (entry.cycle, -1)}
            moves.update({pygame.K_LEFT: (entry.move, -1), pygame.K_RIGHT: (entry.move, 1)})
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                entry.finish()
            elif event.key == pygame.K_BACKSPACE:
                entry.backspace()
            elif event.key in moves:
                action, step = moves[event.key]
                action(step)
            elif getattr(event, "unicode", ""):
                entry.type(event.unicode)
        elif event.type == pygame.JOYBUTTONDOWN:
            if event.button in (PAD_A, PAD_X):
                entry.press()
            elif event.button in (PAD_B, PAD_Y):
                entry.backspace()
            elif event.button == PAD_START:
                entry.finish()
        elif event.type in (pygame.JOYHATMOTION, pygame.JOYAXISMOTION):
            self.pad.handle_event(event)
            for name in self.pad.take_pressed():
                if name in ("up", "down"):
                    entry.cycle(1 if name == "up" else -1)
                elif name in ("left", "right"):
                    entry.move(-1 if name == "left" else 1)

    def draw(self, surface: pygame.Surface) -> None:
        w, h = surface.get_size()
        surface.fill(theme.BACKGROUND)
        size = theme.text_size(h, 0.045)
        y = int(h * 0.1)
        big = fitted_size(self.headline, size * 2, int(w * 0.9))
        y = draw_text(surface, self.headline, (w // 2, y), big, self.color, "midtop", bold=True).bottom
        detail_size = fitted_size(self.detail, size, int(w * 0.9), bold=False)
        y = draw_text(surface, self.detail, (w // 2, y + size // 2), detail_size, theme.TEXT, "midtop").bottom
        prompt = "Enter your name for the leaderboard"
        y = draw_text(surface, prompt, (w // 2, y + size * 2), size, theme.TEXT_DIM, "midtop", True).bottom
        self._draw_slots(surface, y + size)
        hint_size = theme.text_size(h, 0.032)
        widest = max(theme.font(hint_size).size(text)[0] for _, text in HINTS)
        tag_w = theme.font(hint_size, True).size(HINTS[1][0])[0] + hint_size
        fitted = fitted_size(HINTS[1][1], hint_size, int(w * 0.92) - tag_w, bold=False)
        left = max(w // 25, (w - tag_w - widest) // 2)
        for i, (device, text) in enumerate(HINTS):
            y = int(h * 0.74) + i * hint_size * 2
            draw_text(surface, device, (left, y), fitted, theme.INFO, "midleft", bold=True)
            draw_text(surface, text, (left + tag_w, y), fitted, theme.TEXT, "midleft")

    def _draw_slots(self, surface: pygame.Surface, top: int) -> None:
        """One box per letter, the empty one after them, and DONE; the cursor's box in the accent colour."""
        entry = self.entry
        w, h = surface.get_size()
        box = min(int(h * 0.11), int(w * 0.8) // (entry.max_chars + 3))
        gap = box // 6
        done_w = box * 2
        total = entry.slots * (box + gap) + done_w
        x = (w - total) // 2
        letter_size = int(box * 0.8)
        for i in range(entry.slots):
            rect = pygame.Rect(x + i * (box + gap), top, box, box)
            here = i == entry.cursor
            pygame.draw.rect(surface, TRACK, rect, border_radius=box // 8)
            edge, width = (CURSOR, 4) if here else (SLOT_EDGE, 2)
            pygame.draw.rect(surface, edge, rect, width=width, border_radius=box // 8)
            char = entry.chars[i] if i < len(entry.chars) else ""
            if char:
                draw_text(surface, char, rect.center, letter_size, theme.TEXT, "center", bold=True)
            elif here:
                pygame.draw.rect(surface, CURSOR, (rect.x + box // 4, rect.bottom - box // 5, box // 2, 4))
            if here:  # the gamepad's up / down, as small arrows over and under the box
                for sign, y in ((1, rect.top - gap), (-1, rect.bottom + gap)):
                    tip = (rect.centerx, y - sign * box // 5)
                    base = [(rect.centerx - box // 6, y), (rect.centerx + box // 6, y)]
                    pygame.draw.polygon(surface, CURSOR, [tip, *base])
        done = pygame.Rect(x + entry.slots * (box + gap), top, done_w, box)
        on = entry.on_done
        pygame.draw.rect(surface, CURSOR if on else theme.PANEL, done, border_radius=box // 8)
        pygame.draw.rect(surface, CURSOR, done, width=2, border_radius=box // 8)
        color = theme.BACKGROUND if on else CURSOR
        draw_text(surface, "DONE", done.center, int(box * 0.5), color, "center", bold=True)
