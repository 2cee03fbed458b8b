"""bfloat16 updates against float32 ones: from the same weights, on the same batches, do they learn alike?

Loads a training run's latest checkpoint and replay memory, makes two copies of its agent, one
updating in float32 and one in bfloat16 autocast, and gives both the same ``--updates`` batches
(drawn uniformly, once, from the run's replay memory). Then it compares them:

- the TD loss of each along the way;
- how far apart the two networks end, against how far either moved from the start (weights);
- on ``--probe`` replay states: the Q-values' mean difference, and how often the greedy actions
  agree, against how often either agrees with the starting network;
- with ``--eval-games N``: both networks' mean score over N games at the evaluation epsilon.

Two float32 copies part ways too, from rounding alone, so a third copy makes the same float32 updates
on a different number of torch threads (another summation order): the yardstick. bfloat16 learns
like float32 when it ends about as far from float32 as that copy does.

    python -m benchmarks.bf16_updates runs/pong-s0 --updates 2000 --eval-games 8
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

if not __package__:  # run as `python benchmarks/bf16_updates.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from agents.checkpoint import load_checkpoint
from agents.dqn import DQNAgent, bf16_is_fast
from agents.pools import play_pool_episodes
from agents.replay import Batch
from agents.trainer import LATEST, REPLAY_FILE, Trainer
from benchmarks._common import print_footer, print_header, print_table
from game.catalog import find_game


class FixedBatches:
    """A replay stand-in that hands out prepared batches in order (both agents get the same ones)."""

    def __init__(self, batches: list[Batch], gamma: float, n_step: int) -> None:
        self.batches = batches
        self.gamma = gamma
        self.n_step = n_step
        self.next = 0

    def sample(self, batch_size: int, beta: float = 1.0) -> Batch:
        batch = self.batches[self.next]
        self.next += 1
        return batch._replace(weight=np.ones_like(batch.weight))  # no priorities: uniform batches

    def update_priorities(self, indices: np.ndarray, td_errors: np.ndarray) -> None:
        pass


def flat_weights(agent: DQNAgent) -> torch.Tensor:
    return torch.cat([p.detach().float().flatten() for p in agent.network.parameters()])


def greedy_and_q(agent: DQNAgent, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    q = np.concatenate(
        [agent.act_batch(states[i : i + 256], 0.0).q_values for i in range(0, len(states), 256)]
    )
    return q.argmax(axis=1), q


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run directory of main.py train (an Atari game)")
    parser.add_argument("--updates", type=int, default=2000, help="updates made by each copy")
    parser.add_argument("--probe", type=int, default=4096, help="replay states the networks are compared on")
    parser.add_argument(
        "--eval-games", type=int, default=0, help="games each copy plays afterwards (0: none)"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    run = Path(args.run)
    game_id, config = Trainer.read_run(run)
    spec = find_game(game_id)
    trainer = Trainer(spec.id, lambda: spec.make_env("train"), config, None, make_pool=spec.pool_factory)
    state, metadata = load_checkpoint(run / "checkpoints" / LATEST, trainer.expected_metadata())
    trainer.agent.load_state_dict(state)
    trainer.agent.replay.load(run / REPLAY_FILE)
    start = trainer.agent
    if not bf16_is_fast(start.device):
        sys.exit("This device does not do bfloat16 natively; there is nothing to compare here.")

    rng = np.random.default_rng(args.seed)
    memory = start.replay
    slots = np.flatnonzero(memory.main.tree.leaves > 0)
    batch_size = config.dqn.batch_size
    batches = [memory.gather(rng.choice(slots, batch_size)) for _ in range(args.updates)]
    probe = memory.main.stacks(rng.choice(slots, args.probe, replace=False))

    start.replay = None  # each copy gets the prepared batches instead of a copy of the memory
    copies: dict[str, DQNAgent] = {}
    losses: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    other_threads = 1 if args.threads > 1 else 2
    contenders = (
        ("float32", False, args.threads),
        (f"float32, {other_threads} thread{'s' * (other_threads > 1)}", False, other_threads),
        ("bfloat16", True, args.threads),
    )
    for name, bf16, threads in contenders:
        torch.set_num_threads(threads)
        agent = copy.deepcopy(start)
        agent.replay = FixedBatches(batches, memory.gamma, memory.n_step)
        agent.bf16 = bf16
        began = time.perf_counter()
        losses[name] = np.array([agent.update()["td_loss"] for _ in range(args.updates)])
        seconds[name] = time.perf_counter() - began
        copies[name] = agent
    torch.set_num_threads(args.threads)
    names = list(copies)

    print_header(f"bfloat16 against float32 updates: {args.updates:,} identical batches from {run}")
    print(
        f"start: step {metadata['steps']:,} of {game_id}; batch {batch_size}; torch threads {args.threads}\n"
    )
    w0 = flat_weights(start)
    weights = {name: flat_weights(agent) for name, agent in copies.items()}
    a0, q0 = greedy_and_q(start, probe)
    greedy, q = {}, {}
    for name, agent in copies.items():
        greedy[name], q[name] = greedy_and_q(agent, probe)
    tenth = max(1, args.updates // 10)

    def row(label: str, value) -> list[str]:
        return [label, *(value(name) for name in names)]

    print_table(
        ["", *names],
        [
            row("ms per update", lambda n: f"{seconds[n] / args.updates * 1e3:.1f}"),
            row("TD loss, first tenth", lambda n: f"{losses[n][:tenth].mean():.5f}"),
            row("TD loss, last tenth", lambda n: f"{losses[n][-tenth:].mean():.5f}"),
            row("weights moved from the start", lambda n: f"{(weights[n] - w0).norm():.4f}"),
            row("greedy action as at the start", lambda n: f"{(greedy[n] == a0).mean():.1%}"),
            row("mean |Q - Q at the start|", lambda n: f"{np.abs(q[n] - q0).mean():.4f}"),
            row("distance to float32's weights", lambda n: f"{(weights[n] - weights[names[0]]).norm():.4f}"),
            row("greedy action as float32's", lambda n: f"{(greedy[n] == greedy[names[0]]).mean():.1%}"),
            row("mean |Q - float32's Q|", lambda n: f"{np.abs(q[n] - q[names[0]]).mean():.4f}"),
        ],
    )
    if args.eval_games:
        print()
        scores = []
        for name, agent in copies.items():
            pool = spec.eval_pool_factory(args.eval_games, 10_000_000 + args.seed)
            try:
                returns = play_pool_episodes(agent, pool, config.eval_epsilon, config.eval_max_steps)
            finally:
                pool.close()
            scores.append([name, f"{np.mean(returns):+.2f}", " ".join(f"{r:g}" for r in returns)])
        print_table(["after the updates", "mean score", "games"], scores)
    trainer.close()
    print_footer()


if __name__ == "__main__":
    main()
