"""What the window tests share: an open window, frames run through a scene, key presses, a picture check."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pygame

from game.ui.app import App

FRAME_S = 1 / 60  # one frame at the window's rate


def open_app(size: tuple[int, int] = (1280, 800), **options) -> Iterator[App]:
    """A window (under SDL's dummy driver) for the length of a test: ``yield from open_app()``."""
    window = App(size=size, **options)
    window.open()
    yield window
    window.close()


def run(app: App, scene, frames: int, dt: float = FRAME_S) -> None:
    """Show ``scene`` and run the app ``frames`` frames of ``dt`` seconds."""
    app.scene = scene
    for _ in range(frames):
        app.step(dt)


def post_key(code: int, down: bool = True) -> None:
    """A key press (or release) as the keyboard would send it."""
    kind = pygame.KEYDOWN if down else pygame.KEYUP
    pygame.event.post(pygame.event.Event(kind, key=code, mod=0, unicode="", scancode=0))


def is_picture(surface: pygame.Surface) -> bool:
    """Something was drawn: varied pixels in many colours, not a blank or flat fill."""
    pixels = pygame.surfarray.array3d(surface)
    return pixels.std() > 10 and len(np.unique(pixels.reshape(-1, 3)[::7], axis=0)) > 20
