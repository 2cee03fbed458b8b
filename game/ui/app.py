"""The window, the clock, the event pump and scene switching.

A scene is any object with ``handle_event(event)``, ``update(dt)`` and ``draw(surface)``;
:class:`App` owns the window and hands every frame to the current scene. Keys every scene
shares live here: F11 toggles fullscreen, F12 saves a screenshot, F9 saves the last 30 seconds of
the window, overlays and notices included, as a video (see :mod:`game.ui.recorder`). A kiosk app
(``kiosk=True``) keeps visitors in: closing the window is ignored, F11 does nothing, the keyboard is
grabbed and the mouse pointer hidden; only the kiosk scene's operator hotkeys end it. F9 and F12
work in a kiosk too.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Protocol

import pygame

from game.errors import NoDisplayError, UserError
from game.places import made, recordings_dir, screenshots_dir
from game.ui import theme
from game.ui.gamepads import Gamepads
from game.ui.recorder import Recorder, RecordingRefusedError
from game.ui.widgets.text import draw_text

TOAST_SECONDS = 3.0  # how long a notice stays on screen
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # Ctrl-C and `kill`: both end run() as closing the window does


class Scene(Protocol):
    def handle_event(self, event: pygame.event.Event) -> None: ...
    def update(self, dt: float) -> None: ...
    def draw(self, surface: pygame.Surface) -> None: ...


def check_display() -> None:
    """Raise NoDisplayError when no window can be opened, before pygame tries and fails obscurely."""
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver in ("dummy", "offscreen"):
        return
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise NoDisplayError(
            "No display found (DISPLAY is not set): run Q-Arcade on a desktop, "
            "or under a virtual screen with 'xvfb-run -a python main.py ...'."
        )


class App:
    """The arcade window. ``run(scene)`` loops until a scene calls ``quit()``."""

    def __init__(
        self,
        size: tuple[int, int] | None = None,
        fullscreen: bool = False,
        title: str = "Q-Arcade",
        kiosk: bool = False,
        record: bool = True,
    ):
        self.size = size  # None: fitted to the desktop when the window opens (theme.window_size)
        self.fullscreen = fullscreen
        self.kiosk = kiosk
        self.title = title
        self.surface: pygame.Surface | None = None
        self.scene: Scene | None = None
        self.running = False
        self.frames = 0  # display frames drawn since run() began
        self.stopped_by: int | None = None  # the signal that ended run(), if one did
        self._toast: tuple[str, float] | None = None
        self._want_screenshot = False  # taken after the next draw, so it shows the whole frame
        self.clock: pygame.time.Clock | None = None
        self.recorder = Recorder() if record else None  # always running, so F9 can look back
        self.gamepads = Gamepads()  # every make of pad in an Xbox pad's numbering, plugged in any time

    def open(self) -> None:
        """Open the window (raises NoDisplayError without a screen)."""
        check_display()
        os.environ["SDL_VIDEO_X11_WMCLASS"] = "q-arcade"  # how desktops (and xdotool) find the window
        if self.kiosk:
            os.environ["SDL_GRAB_KEYBOARD"] = "1"  # a grab takes the keyboard too, not just the mouse
        pygame.init()
        self.gamepads.open()
        theme.forget_fonts()  # fonts made before a pygame.quit() elsewhere are dead
        pygame.display.set_caption(self.title)
        try:
            self._set_mode()
        except pygame.error as error:
            pygame.quit()
            raise NoDisplayError(
                f"Cannot open a window ({error}): run Q-Arcade on a desktop, "
                "or under a virtual screen with 'xvfb-run -a python main.py ...'."
            ) from error
        pygame.key.set_repeat()  # scenes track held keys themselves
        if self.kiosk:
            pygame.mouse.set_visible(False)
            pygame.event.set_grab(True)  # with SDL_GRAB_KEYBOARD, Alt+Tab and friends stay in the kiosk
        self.clock = pygame.time.Clock()

    def _set_mode(self) -> None:
        if self.fullscreen:
            self.surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)  # the desktop's own size
            return
        if self.size is None:
            desktops = pygame.display.get_desktop_sizes()
            self.size = theme.window_size(desktops[0] if desktops else None)
        os.environ.setdefault("SDL_VIDEO_CENTERED", "1")  # wholly on screen, title bar included
        self.surface = pygame.display.set_mode(self.size, pygame.RESIZABLE)

    def toggle_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen
        self._set_mode()

    def switch(self, scene: Scene) -> None:
        """Show ``scene`` from the next frame on; the old one is closed if it can be."""
        old, self.scene = self.scene, scene
        if old is not None and old is not scene and hasattr(old, "close"):
            old.close()

    def quit(self) -> None:
        self.running = False

    def notify(self, message: str) -> None:
        """Show a short notice at the bottom of the window."""
        self._toast = (message, time.monotonic() + TOAST_SECONDS)

    def screenshot(self, path: Path | None = None) -> Path | None:
        """Save the window as a PNG (in the data folder's screenshots/ unless told where) and say so on
        screen; None when that folder cannot be made (the notice says why)."""
        assert self.surface is not None
        if path is None:
            try:
                folder = made(screenshots_dir())
            except UserError as refusal:
                self.notify(str(refusal))
                return None
            path = folder / time.strftime("q-arcade-%Y%m%d-%H%M%S.png")
        pygame.image.save(self.surface, str(path))
        self.notify(f"Screenshot saved to {path}")
        return path

    def save_recording(self) -> Path | None:
        """Start saving the last seconds of the window in the data folder's recordings/ and say so; None if
        refused."""
        if self.recorder is None:
            self.notify("Recording is off")
            return None
        try:
            path = self.recorder.save(recordings_dir())
        except RecordingRefusedError as refusal:
            self.notify(str(refusal))
            return None
        self.notify(f"Saving the last {self.recorder.seconds:g} s to {path}")
        return path

    def step(self, dt: float) -> None:
        """One frame: events, update, draw (the loop body, callable from tests)."""
        assert self.scene is not None and self.surface is not None
        for event in self.gamepads.translate(pygame.event.get()):
            if event.type == pygame.QUIT:
                if not self.kiosk:
                    self.quit()
            elif event.type == pygame.KEYDOWN and event.key == pygame.K_F11 and not self.kiosk:
                self.toggle_fullscreen()
            elif event.type == pygame.KEYDOWN and event.key == pygame.K_F12:
                self._want_screenshot = True
            elif event.type == pygame.KEYDOWN and event.key == pygame.K_F9:
                self.save_recording()
            else:
                self.scene.handle_event(event)
        self.scene.update(dt)
        if self.recorder is not None and (saved := self.recorder.poll()) is not None:
            self.notify(saved.message)  # the writer thread never touches the window itself
        self.surface = pygame.display.get_surface() or self.surface
        self.scene.draw(self.surface)
        self._draw_toast()
        if self.recorder is not None:
            self.recorder.offer(self.surface)
        if self._want_screenshot:
            self._want_screenshot = False
            self.screenshot()
        pygame.display.flip()
        self.frames += 1

    def run(self, scene: Scene, max_frames: int | None = None) -> None:
        """Show ``scene`` and loop at 60 frames a second until quit (or ``max_frames``).

        SIGINT (Ctrl-C) and SIGTERM end the loop as closing the window does, kiosk or not: the scene
        closes (an arena's worker saves, then stops) and the window with it. Then KeyboardInterrupt
        is raised, so that the program exits as ``main.py train`` does after Ctrl-C, with status 130.
        """
        if self.surface is None:
            self.open()
        assert self.clock is not None
        self.scene = scene
        self.running = True
        self.frames = 0
        self.stopped_by = None
        previous = self._catch_stop_signals()
        try:
            try:
                while self.running and (max_frames is None or self.frames < max_frames):
                    dt = self.clock.tick(theme.FPS) / 1000.0
                    self.step(min(dt, 0.1))
            finally:
                self.close()  # the handlers stay: a second Ctrl-C cannot cut the save short
        finally:
            for number, handler in previous.items():
                signal.signal(number, signal.SIG_DFL if handler is None else handler)  # None: SDL's, gone
        if self.stopped_by is not None:
            raise KeyboardInterrupt(f"stopped by {signal.Signals(self.stopped_by).name}")

    def _catch_stop_signals(self) -> dict[int, object]:
        """Make SIGINT and SIGTERM end the loop at the next frame; returns the handlers they had.

        A handler that only sets a flag cannot interrupt a frame halfway, nor the close that saves.
        Only the main thread may set handlers: elsewhere (a test's thread) nothing changes.
        """
        if threading.current_thread() is not threading.main_thread():
            return {}

        def stop(number: int, frame: object) -> None:
            self.stopped_by = number
            self.running = False

        return {number: signal.signal(number, stop) for number in STOP_SIGNALS}

    def close(self) -> None:
        """Close the scene and the window; fonts made for this window go with it."""
        try:
            if self.scene is not None and hasattr(self.scene, "close"):
                self.scene.close()
        finally:
            self.scene = None
            if self.recorder is not None:
                self.recorder.close()  # a save in progress finishes first
            pygame.quit()
            theme.forget_fonts()
            self.surface = None

    def _draw_toast(self) -> None:
        if self._toast is None or self.surface is None:
            return
        message, until = self._toast
        if time.monotonic() > until:
            self._toast = None
            return
        w, h = self.surface.get_size()
        size = theme.text_size(h, 0.03)
        draw_text(self.surface, message, (w // 2, h - size * 3), size, theme.ACCENT, anchor="midbottom")
