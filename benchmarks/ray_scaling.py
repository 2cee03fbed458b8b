"""Ape-X on Ray against the single-process trainer: the overhead of one actor, and the scaling of N.

Each configuration trains the same game from the same preset (so the same replay ratio: a batch of
B every ``train_every`` agent steps) in a fresh run, for ``--seconds`` after a warm-up past
``learning_starts``; the figure is agent steps per second over that window. The local run is
``main.py train GAME`` (its own games, the default torch threads); an Ape-X run is ``main.py train
GAME --actors N`` on a local Ray (the learner on the cores its actors leave: ``local_learner_threads``).
The configurations take turns, round after round, so a change in the machine's load falls on all.

    overhead = SPS(Ape-X, 1 actor) / SPS(local)          (target >= 0.9)
    E(N)     = SPS(N actors) / (N * SPS(1 actor))         (scaling efficiency)

At a fixed replay ratio the learner's update speed caps the steps: where the learner is the slower
side (a CPU learner beside its actors on two cores), more actors cannot raise SPS, and E(N) says so.

    python -m benchmarks.ray_scaling                                  # ALE/Pong-v5, N = 1 and 2, 60 s each
    python -m benchmarks.ray_scaling --game catch --actors 1 2 4 --seconds 30 --rounds 2
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from benchmarks._common import print_footer, print_header, print_table


def measure(
    game: str, actors: int | None, seconds: float, warmup_s: float, folder: Path, threads: int | None = None
) -> tuple[float, float]:
    """(agent steps/s, updates/s) of one fresh run over ``seconds`` after the warm-up."""
    from game.modes.training import TrainRequest, default_threads, local_learner_threads, make_trainer

    if threads is None:
        threads = local_learner_threads(actors) if actors else default_threads()
    torch.set_num_threads(threads)
    trainer, _, _ = make_trainer(TrainRequest(game=game, steps=10**9, out=str(folder), actors=actors))
    try:
        started = time.monotonic()
        while trainer.steps < trainer.config.learning_starts or time.monotonic() - started < warmup_s:
            trainer.step()
        steps, updates, began = trainer.steps, trainer.agent.update_count, time.monotonic()
        while time.monotonic() - began < seconds:
            trainer.step()
        elapsed = time.monotonic() - began
        return (trainer.steps - steps) / elapsed, (trainer.agent.update_count - updates) / elapsed
    finally:
        trainer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="ALE/Pong-v5")
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2], help="actor counts to measure")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="measured seconds per configuration and round"
    )
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds past learning_starts before measuring"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--learner-threads",
        type=int,
        help="torch threads of the Ape-X learner (default: local_learner_threads)",
    )
    args = parser.parse_args()
    print_header(f"Ape-X on Ray against the local trainer: {args.game}")
    configurations: list[int | None] = [None, *args.actors]
    speeds: dict[int | None, list[tuple[float, float]]] = {c: [] for c in configurations}
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            order = configurations if round_ % 2 == 0 else configurations[::-1]
            for actors in order:
                folder = Path(scratch) / f"r{round_}-{actors or 'local'}"
                threads = args.learner_threads if actors else None
                speeds[actors].append(measure(args.game, actors, args.seconds, args.warmup, folder, threads))
                label = f"{actors} actor(s)" if actors else "local"
                print(f"round {round_ + 1}, {label}: {speeds[actors][-1][0]:.0f} steps/s", flush=True)
    local = statistics.median(s for s, _ in speeds[None])
    one = statistics.median(s for s, _ in speeds[args.actors[0]]) if args.actors[0] == 1 else None
    rows = [
        [
            "local (one process)",
            f"{local:.0f}",
            f"{statistics.median(u for _, u in speeds[None]):.1f}",
            "1.00",
            "-",
        ]
    ]
    for actors in args.actors:
        sps = statistics.median(s for s, _ in speeds[actors])
        ups = statistics.median(u for _, u in speeds[actors])
        efficiency = f"{sps / (actors * one):.2f}" if one else "-"
        rows.append(
            [f"Ape-X, {actors} actor(s)", f"{sps:.0f}", f"{ups:.1f}", f"{sps / local:.2f}", efficiency]
        )
    print()
    print_table(["configuration", "steps/s", "updates/s", "/ local", "E(N)"], rows)
    print_footer()


if __name__ == "__main__":
    main()
