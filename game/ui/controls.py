"""Keyboard and gamepad -> held key names -> a game's action.

Every input device is reduced to a set of held key names in pygame's spelling ("up", "space",
"1"): arrows and WASD, the keypad, a gamepad's d-pad, left stick and buttons all end up there.
A :class:`KeyMap` then turns the held set into an action with the game's own bindings, so
combined actions (UP+FIRE -> UPFIRE) work on every device alike.

Also here: the gamepad's button numbers, the keys every game screen shares (:class:`MatchKeys`: P, R,
ESC) and who holds the showcase game's controls in the arena (:class:`ControlHolder`).

Scenes read every gamepad as joystick events in an Xbox (XInput) pad's numbering: PAD_A is the bottom
face button whatever the make. :mod:`game.ui.gamepads` reads Xbox, PlayStation and Switch pads alike
through SDL's GameController API and hands the scenes the joystick events an Xbox pad would send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pygame

from game.arcade.common import KeyCombo

PAD_A, PAD_B, PAD_X, PAD_Y = 0, 1, 2, 3  # the face buttons (bottom, right, left, top): XInput's numbers
PAD_LB, PAD_RB = 4, 5  # the shoulder buttons
PAD_BACK, PAD_START = 6, 7  # the two small buttons in the middle (PlayStation: share/create, options)
PAD_LEFT_STICK, PAD_RIGHT_STICK, PAD_GUIDE = 8, 9, 10  # stick clicks and the logo button
STICK_X_AXIS, STICK_Y_AXIS = 0, 1  # the left stick's joystick axes (then right x, y, left, right trigger)
STICK_DEADZONE = 0.5  # share of full tilt before a stick counts as a direction
GAMEPAD_BUTTONS = {PAD_A: "space", PAD_B: "return", PAD_X: "space", PAD_Y: "return"}  # buttons -> keys
WASD = {"w": "up", "a": "left", "s": "down", "d": "right"}  # letter aliases for the arrows
PAUSE_KEY, RESTART_KEY, LEAVE_KEY = pygame.K_p, pygame.K_r, pygame.K_ESCAPE  # on every game screen


def key_name(key: int) -> str:
    """pygame's name for a key code, with keypad digits folded onto the number row."""
    name = pygame.key.name(key)
    if len(name) == 3 and name[0] == "[" and name[2] == "]" and name[1].isdigit():
        return name[1]
    return name


class KeyMap:
    """A game's key bindings: held key names -> action."""

    def __init__(self, bindings: dict[KeyCombo, int]):
        self.bindings = {tuple(sorted(keys)): action for keys, action in bindings.items()}
        self.noop = self.bindings.get(())
        self.bound_keys = frozenset(k for keys in self.bindings for k in keys)
        # Letters the game does not use itself may stand in for the arrows.
        self.aliases = {k: v for k, v in WASD.items() if k not in self.bound_keys}

    def normalise(self, held: frozenset[str] | set[str]) -> frozenset[str]:
        """The held keys with aliases replaced by what they stand for."""
        return frozenset(self.aliases.get(k, k) for k in held)

    def is_game_key(self, name: str) -> bool:
        """Whether pressing ``name`` does something in this game."""
        return self.aliases.get(name, name) in self.bound_keys

    def action_for(self, held: frozenset[str] | set[str]) -> int | None:
        """The action of the largest binding whose keys are all held; NOOP (or None) when none is."""
        held = self.normalise(held)
        best: tuple[int, int] | None = None
        for keys, action in self.bindings.items():
            if keys and set(keys) <= held and (best is None or len(keys) > best[0]):
                best = (len(keys), action)
        return best[1] if best else self.noop


class HeldKeys:
    """Tracks which key names are held, from keyboard and gamepad events alike."""

    def __init__(self) -> None:
        self.keyboard: set[str] = set()
        self.pad_buttons: set[str] = set()
        self._hat: set[str] = set()
        self._stick: set[str] = set()
        self._joysticks: dict[int, pygame.joystick.JoystickType] = {}
        self.pressed: list[str] = []  # names newly pressed since the last take_pressed()

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self.keyboard | self.pad_buttons | self._hat | self._stick)

    def take_pressed(self) -> list[str]:
        """Names pressed since the last call (for turn-based games and menus)."""
        pressed, self.pressed = self.pressed, []
        return pressed

    def clear(self) -> None:
        self.keyboard.clear()
        self.pad_buttons.clear()
        self._hat.clear()
        self._stick.clear()
        self.pressed.clear()

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Update from one event; True when the event was a game input."""
        if event.type == pygame.KEYDOWN:
            name = key_name(event.key)
            self.keyboard.add(name)
            self.pressed.append(name)
            return True
        if event.type == pygame.KEYUP:
            self.keyboard.discard(key_name(event.key))
            return True
        if event.type == pygame.JOYDEVICEADDED:
            stick = pygame.joystick.Joystick(event.device_index)
            self._joysticks[stick.get_instance_id()] = stick
            return False
        if event.type == pygame.JOYDEVICEREMOVED:
            self._joysticks.pop(event.instance_id, None)
            self._hat.clear()
            self._stick.clear()
            self.pad_buttons.clear()
            return False
        if event.type == pygame.JOYBUTTONDOWN:
            name = GAMEPAD_BUTTONS.get(event.button, "space")
            self.pad_buttons.add(name)
            self.pressed.append(name)
            return True
        if event.type == pygame.JOYBUTTONUP:
            self.pad_buttons.discard(GAMEPAD_BUTTONS.get(event.button, "space"))
            return True
        if event.type == pygame.JOYHATMOTION:
            x, y = event.value
            new = {n for n, on in (("left", x < 0), ("right", x > 0), ("up", y > 0), ("down", y < 0)) if on}
            self.pressed.extend(sorted(new - self._hat))
            self._hat = new
            return True
        if event.type == pygame.JOYAXISMOTION and event.axis in (STICK_X_AXIS, STICK_Y_AXIS):
            names = ("left", "right") if event.axis == STICK_X_AXIS else ("up", "down")
            before = set(self._stick)
            self._stick -= set(names)
            if event.value <= -STICK_DEADZONE:
                self._stick.add(names[0])
            elif event.value >= STICK_DEADZONE:
                self._stick.add(names[1])
            self.pressed.extend(sorted(self._stick - before))
            return True
        return False


@dataclass
class MatchKeys:
    """The keys every game screen shares: P pauses and resumes, R restarts, ESC leaves."""

    app: Any
    """the window; ESC without ``on_exit`` ends it (``app.quit()``)"""
    restart: Callable[[], None]
    """starts the game again from its start"""
    on_exit: Callable[[], None] | None = None
    """what ESC does, such as going back to the menu (None: the app quits)"""
    kiosk: bool = False
    """ESC does nothing: a visitor stays until their time is up"""
    resume_on_restart: bool = True
    """R also ends a pause (False: the restarted game waits, paused)"""
    paused: bool = False

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Act on P, R or ESC; True when ``event`` pressed one of them (so it is no game input)."""
        if event.type != pygame.KEYDOWN or event.key not in (PAUSE_KEY, RESTART_KEY, LEAVE_KEY):
            return False
        if event.key == LEAVE_KEY:
            if not self.kiosk:
                self.leave()
        elif event.key == PAUSE_KEY:
            self.paused = not self.paused
        else:
            self.paused = self.paused and not self.resume_on_restart
            self.restart()
        return True

    def leave(self) -> None:
        """Leave the screen: ``on_exit``, or the end of the app when there is none."""
        if self.on_exit is not None:
            self.on_exit()
        else:
            self.app.quit()


TAKEOVER_IDLE_S = 4.0  # seconds without input before the agent takes the controls back


class ControlHolder:
    """Who holds the controls of the showcase game: the agent, or a person who pressed one of the game's keys.

    Pressing a game key hands the controls to the person at once; they return to the agent after
    ``idle_s`` seconds without any game input, or at once with :meth:`hand_back`. The arena tells its
    worker of each change with the commands ``game.modes.session.TakeOver`` and ``HandBack``.
    """

    def __init__(self, idle_s: float = TAKEOVER_IDLE_S):
        self.idle_s = idle_s
        self.human = False
        self.idle = 0.0  # seconds since the person last touched a game key

    def input(self) -> bool:
        """A game key was pressed or is held; True when this takes the controls (it was the agent's)."""
        self.idle = 0.0
        taken = not self.human
        self.human = True
        return taken

    def tick(self, dt: float, holding: bool) -> bool:
        """Advance the idle clock; True when the controls just went back to the agent."""
        if not self.human:
            return False
        if holding:
            self.idle = 0.0
            return False
        self.idle += dt
        if self.idle >= self.idle_s:
            self.human = False
            return True
        return False

    def hand_back(self) -> bool:
        """Give the controls back now; True if a person had them."""
        was = self.human
        self.human = False
        return was

    @property
    def seconds_left(self) -> float:
        """Seconds until an idle person loses the controls."""
        return max(0.0, self.idle_s - self.idle) if self.human else 0.0


PERSON_EVENTS = (  # a person at the controls: keys, gamepad buttons and d-pad, mouse clicks
    pygame.KEYDOWN,
    pygame.KEYUP,
    pygame.JOYBUTTONDOWN,
    pygame.JOYBUTTONUP,
    pygame.JOYHATMOTION,
    pygame.MOUSEBUTTONDOWN,
)


def is_person_input(event: pygame.event.Event) -> bool:
    """Whether ``event`` is a person doing something (a stick only past its dead zone, so a drifting
    stick does not keep a screen awake)."""
    return event.type in PERSON_EVENTS or (
        event.type == pygame.JOYAXISMOTION and abs(event.value) >= STICK_DEADZONE
    )


def move_on_board(cell: int, direction: str, n_cells: int) -> int:
    """The cell next to ``cell`` on a square board of ``n_cells`` in reading order, wrapping at the edges."""
    side = round(n_cells**0.5)
    row, col = divmod(cell, side)
    row += {"up": -1, "down": 1}.get(direction, 0)
    col += {"left": -1, "right": 1}.get(direction, 0)
    return (row % side) * side + (col % side)
