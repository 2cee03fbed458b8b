"""The arena's frame time and its key-press latency, while the agent trains in its worker.

Frame time: the time one frame of the arena takes to handle events, take the newest snapshot and
draw every overlay, at 1280x720 (SDL's dummy driver: everything is drawn, nothing reaches a
screen). A frame every 16.7 ms is 60 frames a second, so the 99th percentile must stay under that.

Latency: from a game key pressed to a snapshot of the game played with that key's action. The
showcase decides once per agent step (Catch: 10 a second; Atari: every 4th of 60 frames), so that
step sets the floor.

With the "how it learns" layer (``--learning-layer``: off, on, or both, one after the other in the
same arena) each state is timed on its own.

    python -m benchmarks.arena_frames
    python -m benchmarks.arena_frames --games catch runner ALE/Pong-v5 --seconds 30
    python -m benchmarks.arena_frames --games ALE/Pong-v5 --learning-layer on
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as main.py sets it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pygame

from benchmarks._arena import LAYER_CHOICES, layer_states, learning_arena, set_learning_layer
from benchmarks._common import print_footer, print_header, print_table
from game.ui.app import App
from game.ui.scenes.arena import ArenaScene

FRAME_BUDGET_MS = 1000 / 60  # one frame at 60 frames a second
SETTLE_S = 1.0  # after the layer is switched, frames are not timed for this long
PRESSES = 12  # key presses timed per game
TAKE_KEY = {
    "catch": pygame.K_LEFT,
    "runner": pygame.K_UP,
    "ALE/Pong-v5": pygame.K_UP,
}  # a key each game obeys


def post(kind: int, key: int) -> None:
    pygame.event.post(pygame.event.Event(kind, key=key, mod=0, unicode="", scancode=0))


def measure(game_id: str, seconds: float, states: list[str]) -> dict[str, tuple[float, float, float, float]]:
    """Per layer state: (median frame ms, p99 frame ms, median latency ms, worst latency ms)."""
    results = {}
    with learning_arena(game_id, (1280, 720), {"learning_starts": 500}) as (app, scene, clock):
        scene.takeover.idle_s = 0.5
        for state in states:
            if not set_learning_layer(scene, state):
                continue  # an arena without the switch cannot show this state
            settled = time.monotonic() + SETTLE_S
            while time.monotonic() < settled:
                app.step(clock.tick(60) / 1000)
            frame_ms = []
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                dt = clock.tick(60) / 1000
                began = time.perf_counter()
                app.step(dt)
                frame_ms.append((time.perf_counter() - began) * 1000)
            latencies = [press_latency(app, scene, clock, TAKE_KEY[game_id]) for _ in range(PRESSES)]
            results[state] = (
                float(np.median(frame_ms)),
                float(np.percentile(frame_ms, 99)),
                float(np.median(latencies)),
                float(np.max(latencies)),
            )
    return results


def press_latency(app: App, scene: ArenaScene, clock: pygame.time.Clock, key: int) -> float:
    """Milliseconds from pressing ``key`` until a snapshot shows the game played with its action."""
    while scene.takeover.human or (scene.snapshot is not None and scene.snapshot.controller == "human"):
        app.step(clock.tick(60) / 1000)  # wait until the agent has the controls back
    action = scene.keymap.action_for({pygame.key.name(key)})
    post(pygame.KEYDOWN, key)
    pressed = time.perf_counter()
    while not (scene.snapshot.controller == "human" and scene.snapshot.action == action):
        app.step(clock.tick(60) / 1000)
    latency = (time.perf_counter() - pressed) * 1000
    post(pygame.KEYUP, key)
    return latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--games", nargs="+", default=["catch", "runner", "ALE/Pong-v5"], choices=sorted(TAKE_KEY)
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="seconds of frames timed per game and layer state"
    )
    parser.add_argument(
        "--learning-layer",
        choices=LAYER_CHOICES,
        default="both",
        help='the arena\'s "how it learns" layer: off, on, or both, one after the other (default)',
    )
    args = parser.parse_args()
    print_header("Arena frame time at 1280x720 and key-press latency, while the agent trains")
    rows = []
    for game_id in args.games:
        for state, (median, p99, latency, worst) in measure(
            game_id, args.seconds, layer_states(args.learning_layer)
        ).items():
            rows.append(
                [
                    game_id,
                    state,
                    f"{median:.1f}",
                    f"{p99:.1f}",
                    f"{FRAME_BUDGET_MS:.1f}",
                    f"{latency:.0f}",
                    f"{worst:.0f}",
                ]
            )
            print(
                f"{game_id}, layer {state}: frame median {median:.1f} ms, p99 {p99:.1f} ms; "
                f"key to game median {latency:.0f} ms",
                flush=True,
            )
    print()
    headers = [
        "game",
        "layer",
        "frame median ms",
        "frame p99 ms",
        "budget ms",
        "key->game median ms",
        "key->game worst ms",
    ]
    print_table(headers, rows)
    print_footer()


if __name__ == "__main__":
    main()
