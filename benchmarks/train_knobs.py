"""Atari training speed under the knobs around the preset: thread waiting, emulator threads, overlap.

Each variant runs the real Trainer with the atari preset on Pong (``learning_starts`` lowered to
2,000, no evaluations or checkpoints) in a child process of its own, since OpenMP reads its
environment once, when torch loads. Rounds alternate the preset and each variant (P V1 P V2 ...),
so a change in the machine's load falls on both; every child warms up past learning_starts and
then counts agent steps and updates for ``--seconds``. Prints steps/s and updates/s per variant
and its ratio to the preset's rounds next to it.

    python -m benchmarks.train_knobs
    python -m benchmarks.train_knobs --seconds 40 --rounds 3 --variants passive no-overlap
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if not __package__:  # run as `python benchmarks/train_knobs.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import print_footer, print_header, print_table

GAME = "ALE/Pong-v5"
WARM_STEPS = 6_000  # agent steps before counting: past learning_starts (2,000) and 500 updates in


@dataclasses.dataclass(frozen=True)
class Variant:
    description: str
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    overrides: dict[str, object] = dataclasses.field(default_factory=dict)
    emulator_threads: int = 0  # 0: ale-py chooses, as the preset does


VARIANTS = {
    "preset": Variant("the preset (2 torch threads, updates while the emulators step)"),
    "passive": Variant("OpenMP threads sleep between parallel regions", {"OMP_WAIT_POLICY": "PASSIVE"}),
    "active": Variant("OpenMP threads spin between parallel regions", {"OMP_WAIT_POLICY": "ACTIVE"}),
    "one-emulator-thread": Variant("ale-py steps the 8 games on one thread", emulator_threads=1),
    "no-overlap": Variant("step the games, then update (no overlap)", overrides={"overlap": False}),
    "train-every-16": Variant("one update per 16 agent steps instead of 8", overrides={"train_every": 16}),
    "nips": Variant("the 2013 DQN network (16 and 32 filters, 256 units)", overrides={"dqn.network": "nips"}),
    "nips-every-4": Variant(
        "the 2013 network, one update per 4 agent steps", overrides={"dqn.network": "nips", "train_every": 4}
    ),
    "nips-b64": Variant(
        "the 2013 network, batches of 64", overrides={"dqn.network": "nips", "dqn.batch_size": 64}
    ),
}


def child(name: str, seconds: float) -> dict[str, float]:
    """Run variant ``name`` in this process; steps/s and updates/s after the warm-up."""
    import torch

    import game.atari.pool
    from agents.trainer import Trainer
    from game.catalog import find_game
    from game.presets import preset, with_overrides

    variant = VARIANTS[name]
    if variant.emulator_threads:
        make = game.atari.pool.make_atari_vector_env

        def with_threads(*args: object, **kwargs: object) -> object:
            return make(*args, **{**kwargs, "num_threads": variant.emulator_threads})

        game.atari.pool.make_atari_vector_env = with_threads  # type: ignore[assignment]
    torch.set_num_threads(2)
    config = with_overrides(
        preset("atari"),
        {"learning_starts": 2_000, "eval_every_steps": 0, "checkpoint_every_steps": 0, **variant.overrides},
        "the benchmark",
    )
    spec = find_game(GAME)
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, None, make_pool=spec.pool_factory)
    try:
        while trainer.steps < WARM_STEPS:
            trainer.step()
        steps, updates, started = trainer.steps, trainer.agent.update_count, time.perf_counter()
        while time.perf_counter() - started < seconds:
            trainer.step()
        elapsed = time.perf_counter() - started
        return {
            "steps_per_s": (trainer.steps - steps) / elapsed,
            "updates_per_s": (trainer.agent.update_count - updates) / elapsed,
        }
    finally:
        trainer.close()


def run_child(name: str, seconds: float) -> dict[str, float]:
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **VARIANTS[name].environment}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.train_knobs", "--child", name, "--seconds", str(seconds)],
        env=environment,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"The {name} run failed:\n{result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds counted per child")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every variant")
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=[v for v in VARIANTS if v != "preset"],
        default=[v for v in VARIANTS if v != "preset"],
        help="variants to compare with the preset",
    )
    parser.add_argument("--child", choices=list(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.seconds)), flush=True)
        return

    print_header(
        f"Atari training speed around the preset: {GAME}, 2 torch threads, {args.seconds:.0f} s per child"
    )
    results: dict[str, list[dict[str, float]]] = {"preset": []}
    beside: dict[str, list[float]] = {}  # the preset's steps/s in the rounds next to each variant
    for _ in range(args.rounds):
        for name in args.variants:
            before = run_child("preset", args.seconds)
            after = run_child(name, args.seconds)
            results["preset"].append(before)
            results.setdefault(name, []).append(after)
            beside.setdefault(name, []).append(before["steps_per_s"])
            print(
                f"  {name}: {after['steps_per_s']:.0f} steps/s "
                f"(the preset just before: {before['steps_per_s']:.0f})",
                flush=True,
            )

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    rows = []
    for name in ["preset", *args.variants]:
        steps = mean([r["steps_per_s"] for r in results[name]])
        updates = mean([r["updates_per_s"] for r in results[name]])
        ratio = "1.00" if name == "preset" else f"{steps / mean(beside[name]):.2f}"
        rows.append([name, VARIANTS[name].description, f"{steps:.0f}", f"{updates:.1f}", ratio])
    print()
    print_table(["variant", "what changes", "steps/s", "updates/s", "x preset beside it"], rows)
    print_footer()


if __name__ == "__main__":
    main()
