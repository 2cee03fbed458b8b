"""Does training come back to two torch threads once another busy program has stopped?

The Trainer learns Pong with the atari preset (as ``benchmarks/busy_machine.py`` builds it) for
``--minutes`` minutes, beside a busy loop (started in a session of its own, so that the kernel
schedules it as another program) for the first ``--load`` seconds only. Two sides, one after the
other in the same invocation: under ``agents.threads.ThreadGovernor`` (as ``main.py train`` runs),
and fixed at two threads, the baseline. Each minute it prints both sides' steps/s, the governor's
share of time on two threads and the count it kept at the minute's end; then the governor's trials.

    python -m benchmarks.thread_recovery                  # 4 minutes per side, the first one busy
    python -m benchmarks.thread_recovery --minutes 6 --load 120
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import time
from pathlib import Path

if not __package__:  # run as `python benchmarks/thread_recovery.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from agents.threads import ThreadGovernor, Trial
from agents.trainer import Trainer
from benchmarks._common import machine_load, print_footer, print_header, print_table
from game.catalog import find_game
from game.presets import PRESETS

BUSY_LOOP = "while True: pass"  # the other program: one core's worth of pure Python
WARMUP_UPDATES = 50  # updates before the clock starts: past the start, with the replay's first batches
SIDES = ("governor", "2 threads")  # in the order they run


@dataclasses.dataclass
class Minute:
    """What one side did in one minute after the load started."""

    steps: int = 0
    seconds: float = 0.0
    """inside ``Trainer.step`` (what the governor is fed)"""
    seconds_on_two: float = 0.0
    """of ``seconds``, those with two torch threads running (trials included)"""
    kept: int = 0
    """the governor's kept count at the minute's end (the fixed count without one)"""

    @property
    def rate(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


def run_side(
    side: str, minutes: int, load_s: float, every_s: float, game_id: str
) -> tuple[list[Minute], list[tuple[float, Trial]]]:
    """Train a fresh Trainer for ``minutes`` with a busy loop for the first ``load_s`` seconds;
    returns each minute's tally and the governor's trials with the second each ended at."""
    spec = find_game(game_id)
    config = dataclasses.replace(PRESETS["atari"], learning_starts=2_000, eval_every_steps=0)
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, None, make_pool=spec.pool_factory)
    torch.set_num_threads(2)
    governor = ThreadGovernor(2, every_s=every_s) if side == "governor" else None
    tally = [Minute() for _ in range(minutes)]
    trials: list[tuple[float, Trial]] = []
    hog = None
    try:
        while trainer.agent.update_count < WARMUP_UPDATES:
            trainer.step()
        hog = subprocess.Popen([sys.executable, "-c", BUSY_LOOP], start_new_session=True)
        started = time.perf_counter()
        while (now := time.perf_counter() - started) < 60.0 * minutes:
            if hog is not None and now >= load_s:
                hog.kill()
                hog.wait()
                hog = None
            minute = tally[int(now // 60.0)]
            running = torch.get_num_threads()
            before, step_started = trainer.steps, time.perf_counter()
            trainer.step()
            seconds = time.perf_counter() - step_started
            minute.steps += trainer.steps - before
            minute.seconds += seconds
            minute.seconds_on_two += seconds if running == 2 else 0.0
            if governor is not None:
                count = len(governor.trials)
                governor.record(trainer.steps - before, seconds)
                if len(governor.trials) > count:
                    trials.append((time.perf_counter() - started, governor.trials[-1]))
            minute.kept = governor.threads if governor is not None else torch.get_num_threads()
        return tally, trials
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
        trainer.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=int, default=4, help="minutes each side runs, load included")
    parser.add_argument("--load", type=float, default=60.0, help="seconds the busy loop runs at the start")
    parser.add_argument("--every", type=float, default=90.0, help="the governor's seconds between trials")
    parser.add_argument("--game", default="ALE/Pong-v5")
    args = parser.parse_args()
    if args.minutes < 1 or args.load < 0:
        parser.error("--minutes must be at least 1 and --load at least 0.")

    print_header(
        f"Back to two threads after a load: the governor against fixed 2 threads, {args.game}, "
        f"{args.minutes} min per side, busy loop for the first {args.load:g} s"
    )
    results = {}
    for side in SIDES:
        print(f"{side}: starting; load {machine_load()}", flush=True)
        results[side] = run_side(side, args.minutes, args.load, args.every, args.game)
        for number, minute in enumerate(results[side][0], start=1):
            print(f"  minute {number}: {minute.rate:.0f} steps/s, kept {minute.kept} thread(s)", flush=True)
    governed, fixed = results["governor"][0], results["2 threads"][0]
    rows = [
        [
            number,
            "busy loop" if args.load > 60.0 * (number - 1) else "quiet",
            mine.rate,
            f"{100 * mine.seconds_on_two / mine.seconds:.0f}%" if mine.seconds else "-",
            mine.kept,
            base.rate,
            mine.rate / base.rate if base.rate else float("nan"),
        ]
        for number, (mine, base) in enumerate(zip(governed, fixed, strict=True), start=1)
    ]
    print()
    print_table(
        [
            "minute",
            "other program",
            "governor steps/s",
            "time on 2 threads",
            "kept at end",
            "fixed 2 steps/s",
            "governor / fixed 2",
        ],
        rows,
    )
    print()
    print_table(
        [
            "trial ended at s",
            "tried",
            "kept count's stretch, steps/s",
            "warm-up steps/s",
            "trial steps/s",
            "kept",
        ],
        [
            [
                round(at, 1),
                trial.threads,
                trial.kept_rate,
                trial.warmup_rate,
                trial.rate,
                "yes" if trial.kept else "no",
            ]
            for at, trial in results["governor"][1]
        ],
    )
    print_footer()


if __name__ == "__main__":
    main()
