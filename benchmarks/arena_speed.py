"""Learning speed with the arena open at real time, against the headless trainer, in one invocation.

docs/ARCHITECTURE.md's promise: the learner never waits for the display. With the arena drawing at
60 frames a second (SDL's dummy driver: every draw happens, nothing reaches a screen), the worker's
agent steps per second should stay at 80% or more of the headless Trainer's on the same game and
settings, with the "how it learns" layer shown too.

The machine's speed drifts by 10-20% over minutes (other programs, the host of a virtual machine), as
much as the effect measured, so the sides are interleaved: the headless Trainer learns half its
seconds before the arena opens and half after it closes, and in the arena the layer is switched off
and on every few seconds, each switch followed by a second that is not counted.

    python -m benchmarks.arena_speed                 # Catch and Atari Pong, 30 s each side and state
    python -m benchmarks.arena_speed --games ALE/Pong-v5 --seconds 25
    python -m benchmarks.arena_speed --learning-layer off --set dqn.bf16_autocast=false
"""

from __future__ import annotations

import argparse
import dataclasses
import math
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
from benchmarks._arena import LAYER_CHOICES, layer_states, learning_arena, set_learning_layer
from benchmarks._common import print_footer, print_header, print_table
from game.catalog import find_game
from game.presets import preset, with_overrides

LEARNING_STARTS = {"catch": 200, "ALE/Pong-v5": 2_000}  # lowered so both sides measure learning, not filling
BLOCK_S = 5.0  # the arena shows one layer state this long before switching to the other
SETTLE_S = 1.0  # ... and the first second of each block is not counted (the worker starts or stops its views)
REWARM_S = 2.0  # the headless Trainer learns this long, uncounted, before its second half


@dataclasses.dataclass
class Rate:
    """Agent steps (and UI frames and CPU seconds) over counted seconds."""

    steps: int = 0
    frames: int = 0
    cpu_s: float = 0.0
    seconds: float = 0.0

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.seconds

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.seconds

    @property
    def cpu_cores(self) -> float:
        return self.cpu_s / self.seconds

    def add(self, before: tuple[float, int, int, float], after: tuple[float, int, int, float]) -> None:
        """Count the stretch between two readings of (time, steps, frames, CPU seconds)."""
        self.seconds += after[0] - before[0]
        self.steps += after[1] - before[1]
        self.frames += after[2] - before[2]
        self.cpu_s += after[3] - before[3]


class Headless:
    """The Trainer alone in this process (one torch thread, as the worker), learning in measured stretches."""

    def __init__(self, game_id: str, overrides: dict[str, object]):
        torch.set_num_threads(1)
        spec = find_game(game_id)
        config = with_overrides(preset(spec.preset), overrides, "the benchmark")
        config = dataclasses.replace(config, eval_every_steps=0, checkpoint_every_steps=0)
        self.trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, make_pool=spec.pool_factory)
        while self.trainer.steps < config.learning_starts:
            self.trainer.step()

    def learn(self, seconds: float, warmup_s: float) -> Rate:
        """Learn ``warmup_s`` uncounted, then ``seconds`` counted."""
        deadline = time.monotonic() + warmup_s
        while time.monotonic() < deadline:
            self.trainer.step()
        start, steps = time.monotonic(), self.trainer.steps
        while time.monotonic() - start < seconds:
            self.trainer.step()
        return Rate(self.trainer.steps - steps, seconds=time.monotonic() - start)

    def close(self) -> None:
        self.trainer.close()


def arena(
    game_id: str, states: list[str], seconds: float, warmup_s: float, overrides: dict[str, object]
) -> dict[str, Rate]:
    """Per layer state: the worker's agent steps, the UI's frames and CPU, with the arena at 60 frames/s.

    The states take turns in blocks of ``BLOCK_S`` seconds until each has ``seconds`` counted.
    """
    rates = {state: Rate() for state in states}
    blocks = math.ceil(seconds / (BLOCK_S - SETTLE_S))
    with learning_arena(game_id, (1280, 800), {**overrides, "checkpoint_every_steps": 0}) as (
        app,
        scene,
        clock,
    ):

        def run_until(deadline: float) -> None:
            while time.monotonic() < deadline:
                app.step(clock.tick(60) / 1000)

        def reading() -> tuple[float, int, int, float]:
            return time.monotonic(), scene.snapshot.steps, app.frames, time.process_time()

        run_until(time.monotonic() + warmup_s)
        for _ in range(blocks):
            for state in states:
                if not set_learning_layer(scene, state):
                    rates.pop(state, None)  # an arena without the switch: this state cannot be shown
                    continue
                run_until(time.monotonic() + SETTLE_S)
                before = reading()
                run_until(before[0] + BLOCK_S - SETTLE_S)
                rates[state].add(before, reading())
    return rates


def parse_settings(pairs: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` flags as overrides (values are parsed by the type of the setting they replace)."""
    settings: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set takes KEY=VALUE (like dqn.bf16_autocast=false), not {pair!r}.")
        settings[key.strip()] = value.strip()
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--games", nargs="+", default=["catch", "ALE/Pong-v5"], choices=sorted(LEARNING_STARTS)
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="counted seconds per side and state")
    parser.add_argument("--warmup-seconds", type=float, default=5.0)
    parser.add_argument(
        "--learning-layer",
        choices=LAYER_CHOICES,
        default="both",
        help='the arena\'s "how it learns" layer: off, on, or both in turns (default)',
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training setting for both sides, as main.py train takes it (e.g. dqn.bf16_autocast=false)",
    )
    args = parser.parse_args()
    states = layer_states(args.learning_layer)
    settings = parse_settings(args.set)
    print_header("Learning speed: arena open at real time vs the headless trainer")
    rows = []
    ratios: dict[str, list[float]] = {state: [] for state in states}
    for game_id in args.games:
        overrides = {**settings, "learning_starts": LEARNING_STARTS[game_id]}
        alone = Headless(game_id, overrides)
        try:
            before = alone.learn(args.seconds / 2, args.warmup_seconds)
            shown = arena(game_id, states, args.seconds, args.warmup_seconds, overrides)
            after = alone.learn(args.seconds / 2, REWARM_S)
        finally:
            alone.close()
        headless = Rate(before.steps + after.steps, seconds=before.seconds + after.seconds)
        print(
            f"{game_id}: headless {headless.steps_per_s:,.0f} steps/s "
            f"(before the arena {before.steps_per_s:,.0f}, after {after.steps_per_s:,.0f})"
        )
        for state, rate in shown.items():
            ratio = rate.steps_per_s / headless.steps_per_s
            ratios[state].append(ratio)
            print(
                f"  arena, layer {state}: {rate.steps_per_s:,.0f} steps/s at "
                f"{rate.frames_per_s:.0f} frames/s, UI process {rate.cpu_cores:.2f} cores"
            )
            rows.append(
                [
                    game_id,
                    state,
                    f"{headless.steps_per_s:,.0f}",
                    f"{rate.steps_per_s:,.0f}",
                    f"{rate.frames_per_s:.0f}",
                    f"{rate.cpu_cores:.2f}",
                    f"**{ratio:.2f}**",
                ]
            )
        if {"off", "on"} <= shown.keys():
            on_off = shown["on"].steps_per_s / shown["off"].steps_per_s
            print(f"  layer on / off: {on_off:.2f}")
    print()
    print_table(
        ["game", "layer", "headless steps/s", "arena steps/s", "frames/s", "UI cores", "arena / headless"],
        rows,
    )
    print()
    for state, values in ratios.items():
        if values:
            print(f"median arena / headless, layer {state}: {statistics.median(values):.2f} (target >= 0.80)")
    if all(ratios.get(state) for state in ("off", "on")):
        on_off = [on / off for on, off in zip(ratios["on"], ratios["off"], strict=True)]
        print(f"median layer on / off: {statistics.median(on_off):.2f}")
    print_footer()


if __name__ == "__main__":
    main()
