"""The cost of one Atari update: the target network stored in bfloat16 against float32.

Builds two of the atari preset's agents (Nature CNN, batch 32, Double DQN, 3-step returns, bfloat16
autocast) for Pong's observations, fills their replay memories with the same random frames, and
times ``agent.update()`` in alternating rounds: one agent keeps its target network's weights in
float32 (which autocast rounds to bfloat16 on every forward pass), the other stores them in
bfloat16 (what the agent does where bfloat16 is native). The two compute the same targets
(``tests/test_agents_dqn.py`` checks); only the time differs. Prints milliseconds per update and
the ratio.

    python -m benchmarks.update_cost
    python -m benchmarks.update_cost --rounds 4 --updates 500 --threads 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if not __package__:  # run as `python benchmarks/update_cost.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym
import numpy as np
import torch

from agents.dqn import DQNAgent, make_agent
from benchmarks._common import print_footer, print_header, print_table
from game.presets import preset

MODES = ("float32 target", "bfloat16 target")


def filled_agent(transitions: int, seed: int) -> DQNAgent:
    """The preset's agent with ``transitions`` random Pong-sized transitions from 8 streams."""
    config = preset("atari").dqn
    space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    agent = make_agent(space, gym.spaces.Discrete(6), config, "cpu", n_streams=8)
    rng = np.random.default_rng(seed)
    obs = rng.integers(0, 255, (8, 4, 84, 84), dtype=np.uint8)
    no = np.zeros(8, dtype=bool)
    for _ in range(transitions // 8):
        next_obs = np.concatenate([obs[:, 1:], rng.integers(0, 255, (8, 1, 84, 84), dtype=np.uint8)], axis=1)
        agent.observe_batch(obs, rng.integers(0, 6, 8), rng.choice([-1.0, 0.0, 1.0], 8), next_obs, no, no)
        obs = next_obs
    return agent


def time_updates(agent: DQNAgent, updates: int) -> float:
    """Milliseconds per update over ``updates`` updates, after 20 to warm up."""
    for _ in range(20):
        agent.update()
    started = time.perf_counter()
    for _ in range(updates):
        agent.update()
    return (time.perf_counter() - started) / updates * 1000.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds of each mode")
    parser.add_argument("--updates", type=int, default=300, help="updates timed per round")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (main.py train uses 2)")
    parser.add_argument("--transitions", type=int, default=50_000, help="random transitions in replay")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print_header(
        f"Atari update cost: bfloat16 against float32 target weights, {args.threads} torch thread(s)"
    )
    agents = {mode: filled_agent(args.transitions, seed=0) for mode in MODES}
    if not agents[MODES[1]].bf16:
        print(
            "This CPU does not do bfloat16 natively, so updates run in float32 and the target stays float32."
        )
        print_footer()
        return
    agents[MODES[0]].target_network.float()  # in place: the same weights, widened
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_number in range(args.rounds):
        order = MODES if round_number % 2 == 0 else MODES[::-1]  # neither always goes first
        for mode in order:
            times[mode].append(time_updates(agents[mode], args.updates))
    rows = [
        [mode, float(np.median(times[mode])), " ".join(f"{t:.2f}" for t in times[mode])] for mode in MODES
    ]
    print_table(["target weights", "ms per update (median)", "each round"], rows)
    ratio = np.median(times[MODES[0]]) / np.median(times[MODES[1]])
    print(f"\nfloat32 / bfloat16 target: {ratio:.2f}x")
    print_footer()


if __name__ == "__main__":
    main()
