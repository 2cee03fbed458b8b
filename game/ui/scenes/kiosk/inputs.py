"""What the kiosk makes of a visitor's keys and gamepad: who joins, what counts as input, what may
reach the agent's own game when a visitor takes it over, and which keys belong to the operator."""

from __future__ import annotations

import pygame

from game.ui.controls import PAD_BACK, PAD_START, STICK_DEADZONE, KeyMap, key_name

MODIFIER_KEYS = frozenset(  # pressed alone they are an operator reaching for a hotkey, not a visitor
    (pygame.K_LCTRL, pygame.K_RCTRL, pygame.K_LSHIFT, pygame.K_RSHIFT, pygame.K_LALT, pygame.K_RALT)
)
TAKEOVER_EVENTS = (  # what a visitor who took over may send the arena: keys and gamepad, never the mouse
    pygame.KEYDOWN,
    pygame.KEYUP,
    pygame.JOYBUTTONDOWN,
    pygame.JOYBUTTONUP,
    pygame.JOYHATMOTION,
    pygame.JOYAXISMOTION,
)
PAD_COMMANDS = (PAD_BACK, PAD_START)  # the arena's own commands, not a visitor's


def is_operator(event: pygame.event.Event) -> bool:
    """A key pressed with Ctrl and Shift held: one of the operator's hidden hotkeys."""
    return event.type == pygame.KEYDOWN and bool(
        event.mod & pygame.KMOD_CTRL and event.mod & pygame.KMOD_SHIFT
    )


def joins(event: pygame.event.Event) -> bool:
    """A key, a gamepad button or a d-pad press: what lets a visitor in (a drifting stick does not)."""
    if event.type == pygame.KEYDOWN:
        return event.key not in MODIFIER_KEYS and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT)
    if event.type == pygame.JOYBUTTONDOWN:
        return True
    return event.type == pygame.JOYHATMOTION and tuple(event.value) != (0, 0)


def is_input(event: pygame.event.Event) -> bool:
    """Anything a visitor does, the stick included."""
    return joins(event) or (event.type == pygame.JOYAXISMOTION and abs(event.value) >= STICK_DEADZONE)


def reaches_arena(event: pygame.event.Event, keymap: KeyMap) -> bool:
    """Whether a visitor's event may reach the agent's game they took over: the game's own keys,
    SPACE / ENTER and the gamepad, never the arena's commands (F-keys, TAB, ESC, BACK, START)."""
    if event.type not in TAKEOVER_EVENTS:
        return False
    if event.type in (pygame.KEYDOWN, pygame.KEYUP):
        name = key_name(event.key)
        return keymap.is_game_key(name) or name in ("space", "return")
    if event.type in (pygame.JOYBUTTONDOWN, pygame.JOYBUTTONUP):
        return event.button not in PAD_COMMANDS
    return True
