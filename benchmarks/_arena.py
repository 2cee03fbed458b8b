"""An arena with a real worker, for the benchmarks that measure it: open it, and wait until it learns."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pygame

from game.catalog import find_game
from game.modes.protocol import SessionConfig
from game.modes.session import Worker
from game.ui.app import App
from game.ui.scenes.arena import ArenaScene

STARTUP_TIMEOUT_S = 120  # a spawned worker imports torch and gymnasium first


@contextlib.contextmanager
def learning_arena(
    game_id: str, size: tuple[int, int], overrides: dict[str, Any]
) -> Iterator[tuple[App, ArenaScene, pygame.time.Clock]]:
    """An arena on ``game_id`` whose worker has made its first update; closed (worker stopped) after."""
    spec = find_game(game_id)
    with tempfile.TemporaryDirectory() as folder:
        worker = Worker(SessionConfig(spec.id, folder, train_overrides=overrides))
        app = App(size=size)
        app.open()
        scene = ArenaScene(app, spec, worker)
        app.scene = scene
        clock = pygame.time.Clock()
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while (scene.snapshot is None or scene.snapshot.updates == 0) and time.monotonic() < deadline:
                app.step(clock.tick(60) / 1000)
            if scene.snapshot is None:
                raise SystemExit("the worker did not start in time")
            yield app, scene, clock
        finally:
            app.close()
