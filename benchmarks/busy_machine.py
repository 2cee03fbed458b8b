"""Training speed when another busy program shares the machine: fixed thread counts against the governor.

The Trainer learns Pong with the atari preset three ways, each for the same seconds: on two torch
threads, on one, and on two under ``agents.threads.ThreadGovernor`` (as ``main.py train`` runs).
First on the machine as it is, then beside a busy loop started in a session of its own (as a
browser or a second training run would be, so that the kernel schedules it as another program).
The answer is the governor's speed as a ratio to each fixed count, in each condition.

    python -m benchmarks.busy_machine                         # 60 s per run, as main.py train runs
    python -m benchmarks.busy_machine --seconds 30 --every 15    # shorter, with more frequent trials
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import time
from pathlib import Path

if not __package__:  # run as `python benchmarks/busy_machine.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from agents.threads import ThreadGovernor
from agents.trainer import Trainer
from benchmarks._common import print_footer, print_header, print_table
from game.catalog import find_game
from game.presets import PRESETS

MODES = ("2 threads", "1 thread", "governor")
BUSY_LOOP = "while True: pass"


def steps_per_second(mode: str, seconds: float, every_s: float, game_id: str) -> tuple[float, int]:
    """Agent steps per second of a fresh Trainer run for ``seconds`` once learning has begun, and
    how many times the governor changed its thread count (0 without one)."""
    spec = find_game(game_id)
    config = dataclasses.replace(PRESETS["atari"], learning_starts=2_000, eval_every_steps=0)
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, None, make_pool=spec.pool_factory)
    torch.set_num_threads(1 if mode == "1 thread" else 2)
    if mode == "governor":
        trainer.governor = ThreadGovernor(2, every_s=every_s)
    try:
        while trainer.agent.update_count < 50:  # past the start, with the replay's first batches
            trainer.step()
        start_steps, started, deadline = trainer.steps, time.perf_counter(), time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            before, step_started = trainer.steps, time.perf_counter()
            trainer.step()
            if trainer.governor is not None:
                trainer.governor.record(trainer.steps - before, time.perf_counter() - step_started)
        rate = (trainer.steps - start_steps) / (time.perf_counter() - started)
        return rate, trainer.governor.switches if trainer.governor is not None else 0
    finally:
        trainer.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds each run is timed")
    parser.add_argument("--every", type=float, default=90.0, help="the governor's seconds between trials")
    parser.add_argument("--game", default="ALE/Pong-v5")
    args = parser.parse_args()

    print_header(f"Training speed on a busy machine: fixed torch threads against the governor, {args.game}")
    rows = []
    for condition in ("as it is", "beside a busy loop"):
        hog = (
            subprocess.Popen([sys.executable, "-c", BUSY_LOOP], start_new_session=True)
            if condition != "as it is"
            else None
        )
        try:
            rates = {}
            for mode in MODES:
                rates[mode], switches = steps_per_second(mode, args.seconds, args.every, args.game)
                print(
                    f"{condition}, {mode}: {rates[mode]:.0f} steps/s, {switches} switch(es) of thread count",
                    flush=True,
                )
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        rows.append(
            [
                condition,
                *(rates[mode] for mode in MODES),
                rates["governor"] / rates["2 threads"],
                rates["governor"] / rates["1 thread"],
            ]
        )
    print()
    print_table(["machine", *(f"{mode}, steps/s" for mode in MODES), "governor / 2", "governor / 1"], rows)
    print_footer()


if __name__ == "__main__":
    main()
