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
LAYER_CHOICES = ("off", "on", "both")  # the --learning-layer flag's values


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


def layer_states(choice: str) -> list[str]:
    """The states of the "how it learns" layer that a ``--learning-layer`` choice measures, in order."""
    assert choice in LAYER_CHOICES, choice
    return ["off", "on"] if choice == "both" else [choice]


def set_learning_layer(scene: ArenaScene, state: str) -> bool:
    """Turn the arena's "how it learns" layer on or off; False where the arena has no switch for it."""
    switch = getattr(scene, "set_learning_layer", None)
    if switch is None:
        if state == "on":
            print("layer switch not available yet", flush=True)
        return state == "off"
    switch(state == "on")
    return True
