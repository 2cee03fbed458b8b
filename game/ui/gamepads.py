"""Gamepads of every make in one numbering: SDL's GameController API, translated for the scenes.

SDL's raw joystick numbers a pad's buttons as its driver does: an Xbox pad's A is button 0, while a
PlayStation pad's cross or a Switch pad's B (the bottom button) may be 0, 1 or 2. SDL's
GameController API reads a pad through its mapping database instead, so that ``CONTROLLER_BUTTON_A``
is the bottom face button, ``BACK`` and ``START`` the two in the middle, and the d-pad and sticks the
same on every make it knows.

The scenes keep reading joystick events in an Xbox pad's numbering (``controls.PAD_A`` and friends):
:class:`Gamepads` turns each controller event into the joystick event an Xbox pad would have sent, and
drops the raw joystick events SDL sends as well for the same pad. A pad SDL has no mapping for stays a
raw joystick: its events pass unchanged, as before. Pads may come and go while the window is open.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Protocol

import pygame
from pygame._sdl2 import controller

from game.ui.controls import (
    PAD_A,
    PAD_B,
    PAD_BACK,
    PAD_GUIDE,
    PAD_LB,
    PAD_LEFT_STICK,
    PAD_RB,
    PAD_RIGHT_STICK,
    PAD_START,
    PAD_X,
    PAD_Y,
)

AXIS_FULL = 32767  # SDL's reading of a stick pushed all the way (a joystick event says 1.0)
PAD_BUTTONS = {  # SDL's named buttons -> the joystick numbers the scenes know
    pygame.CONTROLLER_BUTTON_A: PAD_A,
    pygame.CONTROLLER_BUTTON_B: PAD_B,
    pygame.CONTROLLER_BUTTON_X: PAD_X,
    pygame.CONTROLLER_BUTTON_Y: PAD_Y,
    pygame.CONTROLLER_BUTTON_LEFTSHOULDER: PAD_LB,
    pygame.CONTROLLER_BUTTON_RIGHTSHOULDER: PAD_RB,
    pygame.CONTROLLER_BUTTON_BACK: PAD_BACK,
    pygame.CONTROLLER_BUTTON_START: PAD_START,
    pygame.CONTROLLER_BUTTON_LEFTSTICK: PAD_LEFT_STICK,
    pygame.CONTROLLER_BUTTON_RIGHTSTICK: PAD_RIGHT_STICK,
    pygame.CONTROLLER_BUTTON_GUIDE: PAD_GUIDE,
}
DPAD = {  # the d-pad's buttons -> their direction on a joystick hat (x right, y up)
    pygame.CONTROLLER_BUTTON_DPAD_UP: (0, 1),
    pygame.CONTROLLER_BUTTON_DPAD_DOWN: (0, -1),
    pygame.CONTROLLER_BUTTON_DPAD_LEFT: (-1, 0),
    pygame.CONTROLLER_BUTTON_DPAD_RIGHT: (1, 0),
}
DPAD_HAT = 0  # the hat number the d-pad arrives as
RAW_EVENTS = frozenset(  # what SDL also sends for a pad opened as a controller, in its own numbering
    (
        pygame.JOYAXISMOTION,
        pygame.JOYBALLMOTION,
        pygame.JOYHATMOTION,
        pygame.JOYBUTTONDOWN,
        pygame.JOYBUTTONUP,
    )
)
CONTROLLER_EVENTS = frozenset(  # SDL's controller events: translated here, never seen by a scene
    (
        pygame.CONTROLLERDEVICEADDED,
        pygame.CONTROLLERDEVICEREMOVED,
        pygame.CONTROLLERDEVICEREMAPPED,
        pygame.CONTROLLERAXISMOTION,
        pygame.CONTROLLERBUTTONDOWN,
        pygame.CONTROLLERBUTTONUP,
        pygame.CONTROLLERTOUCHPADDOWN,
        pygame.CONTROLLERTOUCHPADMOTION,
        pygame.CONTROLLERTOUCHPADUP,
        pygame.CONTROLLERSENSORUPDATE,
    )
)


class Pad(Protocol):
    """A pad opened as a controller."""

    instance_id: int
    """SDL's id for the pad while it stays plugged in (every event of it carries this)"""
    device_index: int
    """its place among the plugged-in pads when it was opened"""

    def close(self) -> None: ...


class ControllerPad:
    """A pad opened through SDL's GameController API (``pygame._sdl2.controller``)."""

    def __init__(self, device_index: int):
        self.controller = controller.Controller(device_index)
        self.instance_id = self.controller.as_joystick().get_instance_id()
        self.device_index = device_index

    def close(self) -> None:
        if controller.get_init():  # pygame.quit() closes every controller itself
            self.controller.quit()


def is_mapped(device_index: int) -> bool:
    """Whether SDL knows the pad at ``device_index`` as a controller (it has a mapping for it)."""
    try:
        return controller.get_init() and controller.is_controller(device_index)
    except pygame.error:  # the index is gone already: the pad was unplugged again
        return False


def scaled(value: int) -> float:
    """A controller axis (-32768..32767) as a joystick event's value, -1.0..1.0."""
    return max(-1.0, min(1.0, value / AXIS_FULL))


class Gamepads:
    """Every plugged-in gamepad, read as joystick events in an Xbox pad's numbering.

    Args:
        open_pad: opens the pad at a device index as a controller (tests give a stand-in)
    """

    def __init__(self, open_pad: Callable[[int], Pad] = ControllerPad):
        self.open_pad = open_pad
        self.pads: dict[int, Pad] = {}  # instance id -> a pad read through the controller API
        self.joysticks: dict[int, pygame.joystick.JoystickType] = {}  # instance id -> an unmapped pad
        self._dpads: dict[int, set[int]] = {}  # instance id -> the d-pad buttons held

    def open(self) -> None:
        """Start reading pads as controllers (after ``pygame.init()``); SDL then announces each pad
        already plugged in with a device-added event. Without the controller API, pads stay raw."""
        self.close()
        with contextlib.suppress(pygame.error):
            controller.init()

    def close(self) -> None:
        """Close every pad and forget them."""
        for pad in self.pads.values():
            pad.close()
        self.pads.clear()
        self.joysticks.clear()
        self._dpads.clear()

    def translate(self, events: Iterable[pygame.event.Event]) -> list[pygame.event.Event]:
        """The events as the scenes read them: controllers as joystick events in XInput numbering, their
        raw duplicates dropped, every other event (unmapped pads included) unchanged."""
        translated: list[pygame.event.Event] = []
        for event in events:
            if event.type in CONTROLLER_EVENTS:
                translated.extend(self._from_controller(event))
            elif event.type in RAW_EVENTS:
                if event.dict.get("translated") or event.dict.get("instance_id") not in self.pads:
                    translated.append(event)
            else:
                if event.type == pygame.JOYDEVICEADDED:
                    self._joystick_added(event.device_index)
                elif event.type == pygame.JOYDEVICEREMOVED:
                    self._removed(event.instance_id)
                translated.append(event)
        return translated

    def _from_controller(self, event: pygame.event.Event) -> list[pygame.event.Event]:
        if event.type == pygame.CONTROLLERDEVICEADDED:
            self._controller_added(event.device_index)
            return []
        if event.type == pygame.CONTROLLERDEVICEREMOVED:
            self._removed(event.instance_id)
            return []
        pad = self.pads.get(event.dict.get("instance_id", -1))
        if pad is None:  # a pad opened elsewhere: its raw events pass instead
            return []
        if event.type == pygame.CONTROLLERAXISMOTION:
            return [self._event(pygame.JOYAXISMOTION, pad, axis=event.axis, value=scaled(event.value))]
        if event.type not in (pygame.CONTROLLERBUTTONDOWN, pygame.CONTROLLERBUTTONUP):
            return []  # touchpad, motion sensors, remapping: no scene uses them
        down = event.type == pygame.CONTROLLERBUTTONDOWN
        if event.button in DPAD:
            held = self._dpads.setdefault(pad.instance_id, set())
            if down:
                held.add(event.button)
            else:
                held.discard(event.button)
            x = max(-1, min(1, sum(DPAD[b][0] for b in held)))
            y = max(-1, min(1, sum(DPAD[b][1] for b in held)))
            return [self._event(pygame.JOYHATMOTION, pad, hat=DPAD_HAT, value=(x, y))]
        if event.button in PAD_BUTTONS:
            kind = pygame.JOYBUTTONDOWN if down else pygame.JOYBUTTONUP
            return [self._event(kind, pad, button=PAD_BUTTONS[event.button])]
        return []  # paddles, the touchpad's click and such: beyond an Xbox pad

    @staticmethod
    def _event(kind: int, pad: Pad, **fields: object) -> pygame.event.Event:
        """A joystick event as SDL would send it for ``pad`` (marked, so it is never dropped as raw)."""
        return pygame.event.Event(
            kind, instance_id=pad.instance_id, joy=pad.device_index, translated=True, **fields
        )

    def _controller_added(self, device_index: int) -> None:
        try:
            pad = self.open_pad(device_index)
        except pygame.error:  # unplugged again before we got to it
            return
        if pad.instance_id in self.pads:  # announced twice: SDL hands back the pad already open
            return
        self.pads[pad.instance_id] = pad
        self.joysticks.pop(pad.instance_id, None)

    def _joystick_added(self, device_index: int) -> None:
        """Open a pad SDL has no mapping for as a raw joystick, so that SDL sends its events."""
        if is_mapped(device_index):
            return  # its controller-added event opens it (that event comes first)
        try:
            stick = pygame.joystick.Joystick(device_index)
        except pygame.error:
            return
        if stick.get_instance_id() not in self.pads:
            self.joysticks[stick.get_instance_id()] = stick

    def _removed(self, instance_id: int) -> None:
        pad = self.pads.pop(instance_id, None)
        if pad is not None:
            pad.close()
        self.joysticks.pop(instance_id, None)
        self._dpads.pop(instance_id, None)
