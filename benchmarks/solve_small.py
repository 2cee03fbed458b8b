"""Agent steps and wall time the game presets need to solve Catch and CartPole-v1, over several seeds.

A run trains with the game's preset (``game.presets``) through the real :class:`Trainer`, in this
process with one torch thread, and evaluates greedily every K agent steps; it stops at the first
evaluation that reaches the target, or at the step budget, and then reports the best evaluation it
saw. "train s" counts only the time inside ``Trainer.step``; "total s" adds the evaluations.

    python -m benchmarks.solve_small                       # Catch x5 seeds, CartPole x3 within 30k steps
    python -m benchmarks.solve_small --games cartpole --cartpole-seeds 5 --cartpole-steps 60000
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if not __package__:  # run as `python benchmarks/solve_small.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from agents.trainer import Trainer
from benchmarks._common import print_footer, print_header, print_table
from game.catalog import find_game
from game.presets import PRESETS


@dataclass(frozen=True)
class Target:
    """What "solved" means for one game, and how a default run looks for it."""

    game_id: str
    """catalog id"""
    threshold: float
    """mean greedy evaluation return that counts as solved"""
    eval_episodes: int
    """episodes per evaluation"""
    eval_every_steps: int
    """agent steps between evaluations (K)"""
    budget_steps: int
    """agent steps before a run gives up"""
    seeds: int
    """seeds 0..seeds-1"""


DEFAULTS = {
    # 9-step episodes with a return of +1 or -1: 0.9 means 95% of fruit caught.
    "catch": Target(
        "catch", threshold=0.9, eval_episodes=50, eval_every_steps=250, budget_steps=6_000, seeds=5
    ),
    # CartPole-v1 is cut at 500 steps, so 500 is a perfect score in every evaluation episode. The
    # preset trains 60,000 steps; the default here is shorter so the benchmark takes minutes.
    "cartpole": Target(
        "CartPole-v1", threshold=500.0, eval_episodes=5, eval_every_steps=2_000, budget_steps=30_000, seeds=3
    ),
}


@dataclass
class RunResult:
    """One seed of one game."""

    game: str
    seed: int
    solved_at: int | None
    steps: int
    updates: int
    best_eval: float
    best_eval_step: int
    train_seconds: float
    total_seconds: float


def run_one(target: Target, seed: int) -> RunResult:
    """Train one seed until the target is met or the budget is spent."""
    spec = find_game(target.game_id)
    base = PRESETS[spec.preset]
    config = dataclasses.replace(
        base,
        total_steps=target.budget_steps,
        eval_every_steps=0,  # this loop evaluates, every target.eval_every_steps
        eval_episodes=target.eval_episodes,
        seed=seed,
        dqn=dataclasses.replace(base.dqn, seed=seed, device="cpu"),
    )
    started = time.perf_counter()
    trainer = Trainer(
        spec.id, lambda: spec.make_env("train"), config, None, make_eval_env=lambda: spec.make_env("show")
    )
    train_seconds = 0.0
    best_eval, best_step, solved_at = float("-inf"), 0, None
    try:
        while trainer.steps < target.budget_steps:
            before = trainer.steps
            tick = time.perf_counter()
            trainer.step()
            train_seconds += time.perf_counter() - tick
            if before // target.eval_every_steps == trainer.steps // target.eval_every_steps:
                continue
            score = trainer.evaluate(target.eval_episodes)
            if score > best_eval:
                best_eval, best_step = score, trainer.steps
            if score >= target.threshold:
                solved_at = trainer.steps
                break
    finally:
        trainer.close()
    return RunResult(
        game=target.game_id,
        seed=seed,
        solved_at=solved_at,
        steps=trainer.steps,
        updates=trainer.agent.update_count,
        best_eval=best_eval,
        best_eval_step=best_step,
        train_seconds=train_seconds,
        total_seconds=time.perf_counter() - started,
    )


def summary_rows(results: list[RunResult], targets: dict[str, Target]) -> list[list[object]]:
    rows: list[list[object]] = []
    for target in targets.values():
        runs = [r for r in results if r.game == target.game_id]
        solved = [r for r in runs if r.solved_at is not None]
        rows.append(
            [
                target.game_id,
                f">= {target.threshold:g} over {target.eval_episodes}",
                f"{len(solved)}/{len(runs)}",
                statistics.median(r.solved_at for r in solved) if solved else "-",
                max(r.solved_at for r in solved) if solved else "-",
                statistics.median(r.train_seconds for r in solved) if solved else "-",
                statistics.median(r.best_eval for r in runs),
                f"{target.budget_steps:,}",
            ]
        )
    return rows


def parse_args(argv: list[str] | None) -> tuple[dict[str, Target], int]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="catch,cartpole", help="comma-separated: catch, cartpole")
    for name, target in DEFAULTS.items():
        parser.add_argument(f"--{name}-seeds", type=int, default=target.seeds, help=f"seeds of {name}")
        parser.add_argument(
            f"--{name}-steps",
            type=int,
            default=target.budget_steps,
            help=f"agent-step budget of one {name} run",
        )
        parser.add_argument(
            f"--{name}-eval-every",
            type=int,
            default=target.eval_every_steps,
            help=f"agent steps between evaluations of {name} (K)",
        )
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are first-seed, first-seed + 1, ...")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.games.split(",") if n.strip()]
    unknown = sorted(set(names) - set(DEFAULTS))
    if unknown:
        parser.error(f"unknown game(s) {unknown}; choose from {sorted(DEFAULTS)}")
    targets = {
        name: dataclasses.replace(
            DEFAULTS[name],
            seeds=getattr(args, f"{name}_seeds"),
            budget_steps=getattr(args, f"{name}_steps"),
            eval_every_steps=getattr(args, f"{name}_eval_every"),
        )
        for name in names
    }
    return targets, args.first_seed


def main(argv: list[str] | None = None) -> None:
    targets, first_seed = parse_args(argv)
    torch.set_num_threads(1)
    print_header("Steps to solve small games with the game presets (Trainer in-process, 1 torch thread)")
    results = []
    for target in targets.values():
        for seed in range(first_seed, first_seed + target.seeds):
            result = run_one(target, seed)
            results.append(result)
            outcome = f"solved at {result.solved_at:,}" if result.solved_at else "not solved"
            print(f"  {target.game_id} seed {seed}: {outcome} ({result.total_seconds:.1f} s)", flush=True)
    print("\nPer run (steps are agent steps; evaluation is greedy, every K steps)\n")
    print_table(
        [
            "game",
            "seed",
            "solved at step",
            "best eval",
            "at step",
            "updates",
            "train s",
            "total s",
            "steps/s",
        ],
        [
            [
                r.game,
                r.seed,
                r.solved_at if r.solved_at is not None else f"- (budget {r.steps:,})",
                r.best_eval,
                r.best_eval_step,
                r.updates,
                r.train_seconds,
                r.total_seconds,
                r.steps / r.train_seconds,
            ]
            for r in results
        ],
    )
    print("\nSummary\n")
    print_table(
        [
            "game",
            "target",
            "solved",
            "median steps",
            "worst steps",
            "median train s",
            "median best eval",
            "budget",
        ],
        summary_rows(results, targets),
    )
    print_footer()


if __name__ == "__main__":
    main()
