"""The name a visitor gives the leaderboard: the editing alone (game.ui.scenes.kiosk.name_entry draws it)."""

from __future__ import annotations

from game.modes.kiosk.leaderboard import MAX_NAME_CHARS, NAME_PUNCTUATION

GAMEPAD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -.!"  # what the d-pad cycles through


class NameEntry:
    """A leaderboard name typed on a keyboard or spelled with a gamepad alone.

    The screen shows one slot per character so far, one empty slot (while there is room) and a DONE
    slot. Keyboard: type, BACKSPACE, ENTER. Gamepad: up / down cycle the letter of the slot under
    the cursor, left / right move between slots, A moves on (and on DONE, finishes), B deletes.
    """

    def __init__(self, max_chars: int = MAX_NAME_CHARS, alphabet: str = GAMEPAD_ALPHABET):
        self.max_chars = max_chars
        self.alphabet = alphabet
        self.chars: list[str] = []
        self.cursor = 0  # a slot index; == slots means the DONE slot
        self.done = False

    @property
    def text(self) -> str:
        return "".join(self.chars)

    @property
    def slots(self) -> int:
        """Character slots on screen: the typed ones and, while there is room, one empty one."""
        return min(len(self.chars) + 1, self.max_chars)

    @property
    def on_done(self) -> bool:
        return self.cursor >= self.slots

    def type(self, text: str) -> None:
        """Keyboard characters: each allowed one replaces the slot under the cursor (or is appended)."""
        for char in text:
            if not (char.isalnum() or char in NAME_PUNCTUATION) or not char.isprintable():
                continue
            if self.cursor < len(self.chars):
                self.chars[self.cursor] = char
                self.cursor += 1
            elif len(self.chars) < self.max_chars:
                self.chars.append(char)
                self.cursor = len(self.chars)
        self.cursor = min(self.cursor, self.slots)

    def backspace(self) -> None:
        """Delete the last character; the cursor goes to the empty slot."""
        if self.chars:
            self.chars.pop()
        self.cursor = len(self.chars)

    def cycle(self, step: int) -> None:
        """Up (+1) / down (-1): the next or previous letter in the slot under the cursor."""
        if self.on_done:
            return
        if self.cursor == len(self.chars):  # the empty slot starts at the alphabet's first (or last)
            self.chars.append(self.alphabet[0] if step > 0 else self.alphabet[-1])
            return
        current = self.chars[self.cursor]
        index = self.alphabet.find(current.upper())
        index = (index + step) % len(self.alphabet) if index >= 0 else 0
        self.chars[self.cursor] = self.alphabet[index]

    def move(self, step: int) -> None:
        """Left (-1) / right (+1) between the slots and DONE (no wrap-around)."""
        self.cursor = max(0, min(self.slots, self.cursor + step))

    def press(self) -> None:
        """Button A: on DONE it finishes; elsewhere it moves on to the next slot."""
        if self.on_done:
            self.done = True
        elif self.cursor >= len(self.chars):  # an empty slot: nothing more to spell
            self.cursor = self.slots
        else:
            self.cursor += 1

    def finish(self) -> None:
        """ENTER: done, wherever the cursor is."""
        self.done = True
