"""Gamepads of every make reach the scenes in an Xbox pad's numbering (game.ui.gamepads).

Most tests post SDL's controller events by hand, with a stand-in for opening a pad; the last ones plug
in a virtual pad through SDL's own virtual joystick driver (skipped where this SDL lacks it).
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pygame
import pytest

from game.ui.controls import PAD_A, PAD_B, PAD_BACK, PAD_START, PAD_X, PAD_Y, HeldKeys
from game.ui.gamepads import DPAD_HAT, Gamepads
from game.ui.scenes.menu import MenuScene
from tests.screen import open_app, run

PAD_INSTANCE = 7  # the instance id SDL gave the stand-in pad
OTHER_INSTANCE = 3  # a pad without a mapping: a raw joystick
SDL_HAT_UP, SDL_HAT_DOWN = 1, 4  # SDL's hat bits
PS_STYLE_MAPPING = (  # a PlayStation pad as SDL's database maps it: square 0, cross 1, circle 2, triangle 3
    "a:b1,b:b2,x:b0,y:b3,back:b8,start:b9,dpup:h0.1,dpdown:h0.4,dpleft:h0.8,dpright:h0.2,leftx:a0,lefty:a1,"
)


@dataclass
class StandInPad:
    """A pad 'opened' without SDL: device index d gets instance id PAD_INSTANCE + d."""

    device_index: int
    closed: bool = False

    @property
    def instance_id(self) -> int:
        return PAD_INSTANCE + self.device_index

    def close(self) -> None:
        self.closed = True


def ev(kind: int, **fields: object) -> pygame.event.Event:
    return pygame.event.Event(kind, **fields)


def plugged_in() -> Gamepads:
    """A translator with the stand-in pad at device index 0 plugged in."""
    pads = Gamepads(open_pad=StandInPad)
    assert pads.translate([ev(pygame.CONTROLLERDEVICEADDED, device_index=0)]) == []
    return pads


def button(pads: Gamepads, sdl_button: int, down: bool = True) -> list[pygame.event.Event]:
    kind = pygame.CONTROLLERBUTTONDOWN if down else pygame.CONTROLLERBUTTONUP
    return pads.translate([ev(kind, instance_id=PAD_INSTANCE, button=sdl_button)])


@pytest.mark.parametrize(
    ("sdl_button", "pad_button"),
    [
        (pygame.CONTROLLER_BUTTON_A, PAD_A),  # a PlayStation pad's cross, a Switch pad's B: the bottom one
        (pygame.CONTROLLER_BUTTON_B, PAD_B),
        (pygame.CONTROLLER_BUTTON_X, PAD_X),
        (pygame.CONTROLLER_BUTTON_Y, PAD_Y),
        (pygame.CONTROLLER_BUTTON_BACK, PAD_BACK),
        (pygame.CONTROLLER_BUTTON_START, PAD_START),
    ],
)
def test_named_buttons_arrive_as_xinput_joystick_buttons(sdl_button, pad_button):
    pads = plugged_in()
    (down,) = button(pads, sdl_button)
    (up,) = button(pads, sdl_button, down=False)
    assert (down.type, down.button, down.instance_id) == (pygame.JOYBUTTONDOWN, pad_button, PAD_INSTANCE)
    assert (up.type, up.button) == (pygame.JOYBUTTONUP, pad_button)


def test_dpad_buttons_arrive_as_hat_values():
    pads = plugged_in()
    presses = [
        (pygame.CONTROLLER_BUTTON_DPAD_UP, True, (0, 1)),
        (pygame.CONTROLLER_BUTTON_DPAD_LEFT, True, (-1, 1)),
        (pygame.CONTROLLER_BUTTON_DPAD_UP, False, (-1, 0)),
        (pygame.CONTROLLER_BUTTON_DPAD_LEFT, False, (0, 0)),
        (pygame.CONTROLLER_BUTTON_DPAD_DOWN, True, (0, -1)),
        (pygame.CONTROLLER_BUTTON_DPAD_RIGHT, True, (1, -1)),
    ]
    for sdl_button, down, value in presses:
        (hat,) = button(pads, sdl_button, down)
        assert (hat.type, hat.hat, hat.value) == (pygame.JOYHATMOTION, DPAD_HAT, value)


def test_stick_axes_arrive_as_joystick_axes_from_minus_one_to_one():
    pads = plugged_in()
    moves = [
        (pygame.CONTROLLER_AXIS_LEFTX, 32767, 0, 1.0),
        (pygame.CONTROLLER_AXIS_LEFTY, -32768, 1, -1.0),
        (pygame.CONTROLLER_AXIS_LEFTX, 0, 0, 0.0),
        (pygame.CONTROLLER_AXIS_TRIGGERRIGHT, 32767, 5, 1.0),
    ]
    for axis, value, joystick_axis, scaled in moves:
        (motion,) = pads.translate(
            [ev(pygame.CONTROLLERAXISMOTION, instance_id=PAD_INSTANCE, axis=axis, value=value)]
        )
        assert (motion.type, motion.axis, motion.value) == (pygame.JOYAXISMOTION, joystick_axis, scaled)


def test_raw_events_of_a_controller_are_dropped_and_of_an_unmapped_pad_kept():
    pads = plugged_in()
    raw = [
        ev(pygame.JOYBUTTONDOWN, instance_id=PAD_INSTANCE, joy=0, button=1),  # a PS cross in raw numbering
        ev(pygame.JOYHATMOTION, instance_id=PAD_INSTANCE, joy=0, hat=0, value=(0, 1)),
        ev(pygame.JOYAXISMOTION, instance_id=PAD_INSTANCE, joy=0, axis=4, value=-1.0),
    ]
    unmapped = ev(pygame.JOYBUTTONDOWN, instance_id=OTHER_INSTANCE, joy=1, button=1)
    assert pads.translate([*raw, unmapped]) == [unmapped]
    translated = button(pads, pygame.CONTROLLER_BUTTON_A)
    assert pads.translate(translated) == translated, "translating twice changes nothing"


def test_pads_come_and_go_while_the_window_is_open():
    pads = plugged_in()
    assert set(pads.pads) == {PAD_INSTANCE}
    pad = pads.pads[PAD_INSTANCE]
    pads.translate([ev(pygame.CONTROLLERDEVICEADDED, device_index=1)])
    assert set(pads.pads) == {PAD_INSTANCE, PAD_INSTANCE + 1}
    held = button(pads, pygame.CONTROLLER_BUTTON_DPAD_UP)
    assert held[0].value == (0, 1)
    unplugged = ev(pygame.JOYDEVICEREMOVED, instance_id=PAD_INSTANCE)
    assert pads.translate([ev(pygame.CONTROLLERDEVICEREMOVED, instance_id=PAD_INSTANCE), unplugged]) == [
        unplugged
    ], "the joystick's removal still reaches the scenes"
    assert set(pads.pads) == {PAD_INSTANCE + 1} and pad.closed
    assert button(pads, pygame.CONTROLLER_BUTTON_A) == [], "nothing more from an unplugged pad"
    pads.translate([ev(pygame.CONTROLLERDEVICEADDED, device_index=0)])  # plugged in again
    assert button(pads, pygame.CONTROLLER_BUTTON_DPAD_LEFT)[0].value == (-1, 0), "the d-pad starts afresh"
    pads.close()
    assert pads.pads == {}


def test_held_keys_follow_a_translated_pad():
    pads, held = plugged_in(), HeldKeys()

    def feed(events: list[pygame.event.Event]) -> None:
        for event in pads.translate(events):
            held.handle_event(event)

    feed([ev(pygame.CONTROLLERBUTTONDOWN, instance_id=PAD_INSTANCE, button=pygame.CONTROLLER_BUTTON_A)])
    feed(
        [ev(pygame.CONTROLLERBUTTONDOWN, instance_id=PAD_INSTANCE, button=pygame.CONTROLLER_BUTTON_DPAD_DOWN)]
    )
    feed([ev(pygame.CONTROLLERAXISMOTION, instance_id=PAD_INSTANCE, axis=0, value=-30000)])
    assert held.held == {"space", "down", "left"}
    assert held.take_pressed() == ["space", "down", "left"]
    feed([ev(pygame.CONTROLLERBUTTONUP, instance_id=PAD_INSTANCE, button=pygame.CONTROLLER_BUTTON_A)])
    feed([ev(pygame.CONTROLLERAXISMOTION, instance_id=PAD_INSTANCE, axis=0, value=0)])
    assert held.held == {"down"}
    feed(
        [
            ev(pygame.CONTROLLERDEVICEREMOVED, instance_id=PAD_INSTANCE),
            ev(pygame.JOYDEVICEREMOVED, instance_id=PAD_INSTANCE),
        ]
    )
    assert held.held == frozenset(), "an unplugged pad holds nothing"


@pytest.fixture
def app():
    yield from open_app((800, 600))


def menu_for(app, log: list[str]) -> MenuScene:
    """The menu, with its choices written to ``log`` instead of opening scenes or quitting."""
    menu = MenuScene(
        app,
        on_watch=lambda spec, agent: log.append(f"watch {spec.id}"),
        on_play=lambda spec: log.append(f"play {spec.id}"),
    )
    app.quit = lambda: log.append("quit")
    return menu


def test_the_menu_answers_a_controller_as_it_answered_an_xbox_pad(app):
    log: list[str] = []
    menu = menu_for(app, log)
    app.gamepads.open_pad = StandInPad
    post = pygame.event.post
    post(ev(pygame.CONTROLLERDEVICEADDED, device_index=0))
    post(ev(pygame.CONTROLLERBUTTONDOWN, instance_id=PAD_INSTANCE, button=pygame.CONTROLLER_BUTTON_DPAD_DOWN))
    post(ev(pygame.CONTROLLERBUTTONUP, instance_id=PAD_INSTANCE, button=pygame.CONTROLLER_BUTTON_DPAD_DOWN))
    post(ev(pygame.JOYBUTTONDOWN, instance_id=PAD_INSTANCE, joy=0, button=1))  # the same press, raw
    post(ev(pygame.CONTROLLERBUTTONDOWN, instance_id=PAD_INSTANCE, button=pygame.CONTROLLER_BUTTON_A))
    run(app, menu, 1)
    assert menu.choice == 1
    assert log == [f"watch {menu.spec.id}"], "A watches; the raw duplicate (B in raw numbers) quits nothing"


# ------------------------------------------------------------------ a virtual pad, through SDL itself


def sdl_library() -> ctypes.CDLL | None:
    """The SDL that pygame loaded (its wheel's own copy), or None where it cannot be found."""
    here = os.path.dirname(pygame.__file__)
    names = ("libSDL2-*.so*", "libSDL2-*.dylib", "SDL2.dll")
    for folder in (os.path.join(here, "..", "pygame_ce.libs"), os.path.join(here, ".dylibs"), here):
        for name in names:
            for path in glob.glob(os.path.join(folder, name)):
                sdl = ctypes.CDLL(path)
                if hasattr(sdl, "SDL_JoystickAttachVirtual"):
                    return sdl
    return None


class VirtualPad:
    """A pad plugged in through SDL's virtual joystick driver; press its raw buttons and hat."""

    def __init__(self, sdl: ctypes.CDLL, mapping: str | None, controller: bool = True):
        self.sdl = sdl
        sdl.SDL_JoystickAttachVirtual.argtypes = [ctypes.c_int] * 4
        sdl.SDL_JoystickOpen.argtypes = [ctypes.c_int]
        sdl.SDL_JoystickOpen.restype = ctypes.c_void_p
        sdl.SDL_JoystickSetVirtualButton.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
        sdl.SDL_JoystickSetVirtualHat.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
        sdl.SDL_JoystickClose.argtypes = [ctypes.c_void_p]
        sdl.SDL_GameControllerAddMapping.argtypes = [ctypes.c_char_p]
        self.index = sdl.SDL_JoystickAttachVirtual(1 if controller else 0, 6, 15, 1)  # 1: a gamepad
        if self.index < 0:
            pytest.skip("SDL's virtual joystick driver is not available")
        if mapping is not None:
            guid = pygame.joystick.Joystick(self.index).get_guid()
            assert sdl.SDL_GameControllerAddMapping(f"{guid},Virtual PS-style pad,{mapping}".encode()) >= 0
        self.handle = sdl.SDL_JoystickOpen(self.index)

    def button(self, number: int, down: bool) -> None:
        self.sdl.SDL_JoystickSetVirtualButton(self.handle, number, int(down))

    def hat(self, bits: int) -> None:
        self.sdl.SDL_JoystickSetVirtualHat(self.handle, 0, bits)

    def unplug(self) -> None:
        if self.handle:
            self.sdl.SDL_JoystickClose(self.handle)
            self.handle = None
            self.sdl.SDL_JoystickDetachVirtual(self.index)


@pytest.fixture
def virtual_pads(app) -> Iterator[list[VirtualPad]]:
    """Virtual pads to plug in (unplugged again after the test, before the window closes)."""
    sdl = sdl_library()
    if sdl is None:
        pytest.skip("pygame's SDL library was not found")
    plugged: list[VirtualPad] = []
    yield plugged
    for pad in reversed(plugged):
        pad.unplug()


def test_a_playstation_style_pad_plugged_in_mid_game_reads_like_an_xbox_pad(app, virtual_pads):
    log: list[str] = []
    menu = menu_for(app, log)
    run(app, menu, 2)
    pad = VirtualPad(sdl_library(), PS_STYLE_MAPPING)
    virtual_pads.append(pad)
    run(app, menu, 1)
    assert len(app.gamepads.pads) == 1, "opened as a controller"
    pad.hat(SDL_HAT_DOWN)
    run(app, menu, 1)
    pad.hat(0)
    pad.button(1, True)  # cross: raw button 1 (PAD_B in Xbox numbers, which would quit the menu)
    run(app, menu, 1)
    pad.button(1, False)
    run(app, menu, 1)
    assert menu.choice == 1
    assert log == [f"watch {menu.spec.id}"]
    pad.unplug()
    run(app, menu, 1)
    assert app.gamepads.pads == {}, "unplugged mid-game"


def test_a_pad_without_a_mapping_stays_a_raw_joystick(app, virtual_pads):
    log: list[str] = []
    menu = menu_for(app, log)
    pad = VirtualPad(sdl_library(), mapping=None, controller=False)
    virtual_pads.append(pad)
    run(app, menu, 1)
    assert app.gamepads.pads == {} and len(app.gamepads.joysticks) == 1
    pad.button(PAD_X, True)
    pad.hat(SDL_HAT_UP)
    run(app, menu, 1)
    assert log == [f"play {menu.spec.id}"]
