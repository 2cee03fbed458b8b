"""Learning speed with the arena open at real time, against the headless trainer, in one invocation.

docs/ARCHITECTURE.md's promise: the learner never waits for the display. With the arena drawing at
60 frames a second (SDL's dummy driver: every draw happens, nothing reaches a screen), the worker's
agent steps per second should stay at 80% or more of the headless Trainer's on the same game and
settings.

    python -m benchmarks.arena_speed                 # Catch and Atari Pong, 30 s each side
    python -m benchmarks.arena_speed --games catch --seconds 60
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as main.py sets it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from agents.trainer import Trainer
from benchmarks._arena import learning_arena
from benchmarks._common import print_footer, print_header, print_table
from game.catalog import find_game
from game.presets import preset, with_overrides

LEARNING_STARTS = {"catch": 200, "ALE/Pong-v5": 2_000}  # lowered so both sides measure learning, not filling


def headless(game_id: str, seconds: float, warmup_s: float) -> float:
    """Agent steps per second of the Trainer alone, learning, after a warm-up."""
    torch.set_num_threads(1)
    spec = find_game(game_id)
    config = with_overrides(
        preset(spec.preset), {"learning_starts": LEARNING_STARTS[game_id]}, "the benchmark"
    )
    config = dataclasses.replace(config, eval_every_steps=0, checkpoint_every_steps=0)
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, make_pool=spec.pool_factory)
    try:
        while trainer.steps < config.learning_starts:
            trainer.step()
        deadline = time.monotonic() + warmup_s
        while time.monotonic() < deadline:
            trainer.step()
        start, steps = time.monotonic(), trainer.steps
        while time.monotonic() - start < seconds:
            trainer.step()
        return (trainer.steps - steps) / (time.monotonic() - start)
    finally:
        trainer.close()


def arena(game_id: str, seconds: float, warmup_s: float) -> tuple[float, float]:
    """(worker steps per second, UI frames per second) with the arena drawing at 60 frames a second."""
    overrides = {"learning_starts": LEARNING_STARTS[game_id], "checkpoint_every_steps": 0}
    with learning_arena(game_id, (1280, 800), overrides) as (app, scene, clock):
        warm = time.monotonic() + warmup_s
        while time.monotonic() < warm:
            app.step(clock.tick(60) / 1000)
        start, steps, frames = time.monotonic(), scene.snapshot.steps, app.frames
        while time.monotonic() - start < seconds:
            app.step(clock.tick(60) / 1000)
        elapsed = time.monotonic() - start
        return (scene.snapshot.steps - steps) / elapsed, (app.frames - frames) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--games", nargs="+", default=["catch", "ALE/Pong-v5"], choices=sorted(LEARNING_STARTS)
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per side")
    parser.add_argument("--warmup-seconds", type=float, default=5.0)
    args = parser.parse_args()
    print_header("Learning speed: arena open at real time vs the headless trainer")
    rows = []
    for game_id in args.games:
        alone = headless(game_id, args.seconds, args.warmup_seconds)
        with_ui, fps = arena(game_id, args.seconds, args.warmup_seconds)
        rows.append([game_id, f"{alone:,.0f}", f"{with_ui:,.0f}", f"{fps:.0f}", f"**{with_ui / alone:.2f}**"])
        print(f"{game_id}: headless {alone:,.0f} steps/s, arena {with_ui:,.0f} steps/s at {fps:.0f} frames/s")
    print()
    print_table(["game", "headless steps/s", "arena steps/s", "arena frames/s", "arena / headless"], rows)
    print(f"\nmedian ratio {statistics.median(float(r[-1].strip('*')) for r in rows):.2f} (target >= 0.80)")
    print_footer()


if __name__ == "__main__":
    main()
