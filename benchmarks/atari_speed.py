"""Atari training speed: our Trainer (atari preset) against a plain single-environment DQN loop.

Both learn Pong with the Nature CNN at the atari preset's replay ratio (a batch of 32 every 8 agent
steps, 4 samples per step), with the same torch threads (one unless ``--threads``), in this process,
for the same number of seconds, after a warm-up past ``learning_starts``. The time is cut into
rounds run in the order T P P T T P ... so that a change in the machine's load falls on both alike.
The answer is a ratio (Trainer / plain).

The plain loop is written here, in the manner of CleanRL's ``dqn_atari.py``: one ``AtariEnv``, a
``NatureCNN`` in PyTorch's default NCHW layout (``--plain-channels-last``: NHWC, as ours), a numpy
ring holding the stacked obs and next_obs of every transition, Adam, one-step DQN with the Huber
loss and gradient clipping, with the preset's head (dueling or plain) and target (Double DQN or
the target network's max). Like the Trainer, it runs the network on every step, even when it
explores (the app shows Q-values).

Where the Trainer's time goes is measured by timing around ``act_batch``, the pool's ``step``,
``observe`` and ``update`` (and ``replay.sample`` within it), wrapped on the instances; the same
phases are timed inside the plain loop.

Last, ``AtariEnv.step`` is timed alone with numpy's OpenBLAS on all cores (its default) and on one
thread, switched at run time and alternated in this process (``--env-seconds``; 0 skips it).

    python -m benchmarks.atari_speed                 # 60 s each, in 4 rounds
    python -m benchmarks.atari_speed --seconds 300 --rounds 6
    python -m benchmarks.atari_speed --fp32          # the Trainer's updates in float32, not bfloat16
    python -m benchmarks.atari_speed --threads 2     # two torch threads for both loops
    python -m benchmarks.atari_speed --no-overlap    # the Trainer learns only after the games step
    OPENBLAS_NUM_THREADS=1 python -m benchmarks.atari_speed   # numpy's BLAS on one thread
"""

from __future__ import annotations

import argparse
import copy
import ctypes
import dataclasses
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

if not __package__:  # run as `python benchmarks/atari_speed.py`: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from agents.dqn import DQNConfig, bf16_is_fast
from agents.networks import NatureCNN
from agents.schedules import LinearSchedule
from agents.train_config import TrainConfig
from agents.trainer import Trainer
from benchmarks._common import print_footer, print_header, print_table
from game.atari.env import AtariEnv
from game.catalog import find_game
from game.presets import PRESETS

PHASES = ("act", "env step", "replay add", "update", "other")
SAMPLE = "replay sample"  # inside "update"


class PhaseClock:
    """Seconds spent in named phases, summed; ``wrap`` times every call of a function."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def reset(self) -> None:
        self.seconds.clear()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed


class Contender(Protocol):
    """What a round needs from a training loop."""

    name: str
    clock: PhaseClock

    @property
    def steps(self) -> int: ...

    @property
    def updates(self) -> int: ...

    def step(self) -> None: ...


# --------------------------------------------------------------------------- ours


class TimedTrainer:
    """Our Trainer with its collaborators' calls timed; ``step()`` is ``Trainer.step``, untouched."""

    name = "Trainer"

    def __init__(self, config: TrainConfig, game_id: str) -> None:
        spec = find_game(game_id)
        self.trainer = Trainer(
            spec.id, lambda: spec.make_env("train"), config, None, make_pool=spec.pool_factory
        )
        self.clock = PhaseClock()
        agent, pool = self.trainer.agent, self.trainer.pool
        agent.act_batch = self.clock.wrap("act", agent.act_batch)
        pool.step = self.clock.wrap("env step", pool.step)
        agent.observe = self.clock.wrap("replay add", agent.observe)
        agent.update = self.clock.wrap("update", agent.update)
        agent.replay.sample = self.clock.wrap(SAMPLE, agent.replay.sample)
        self.step = self.clock.wrap("total", self.trainer.step)

    @property
    def steps(self) -> int:
        return self.trainer.steps

    @property
    def updates(self) -> int:
        return self.trainer.agent.update_count

    def close(self) -> None:
        self.trainer.close()


# --------------------------------------------------------------------------- the plain baseline


class PlainDQN:
    """A single-environment DQN loop as a tutorial writes it: the baseline.

    Args:
        env: the Atari environment (frame stacks of uint8).
        capacity: transitions in the ring.
        config: learning rate, Adam epsilon, gamma, batch size, target period, gradient clip.
        epsilon: exploration as a function of the agent step.
        learning_starts: agent steps before the first update.
        train_every: agent steps per update.
        seed: seed of the environment, the weights and exploration.
        channels_last: run the network in NHWC memory format (default: PyTorch's NCHW).
    """

    name = "plain"

    def __init__(
        self,
        env: AtariEnv,
        capacity: int,
        config: DQNConfig,
        epsilon: Callable[[int], float],
        learning_starts: int,
        train_every: int,
        seed: int,
        channels_last: bool = False,
    ) -> None:
        torch.manual_seed(seed)
        self.env = env
        self.config = config
        self.epsilon = epsilon
        self.learning_starts = learning_starts
        self.train_every = train_every
        self.rng = np.random.default_rng(seed)
        shape = env.observation_space.shape
        assert shape is not None and env.observation_space.dtype == np.uint8, env.observation_space
        self.n_actions = int(env.action_space.n)
        self.network = NatureCNN(self.n_actions, shape, dueling=config.dueling)
        if channels_last:
            self.network.to_channels_last()
        self.target = copy.deepcopy(self.network).requires_grad_(False)
        self.optimizer = torch.optim.Adam(
            self.network.parameters(), lr=config.learning_rate, eps=config.adam_eps
        )
        self.obs_ring = np.zeros((capacity, *shape), dtype=np.uint8)
        self.next_obs_ring = np.zeros((capacity, *shape), dtype=np.uint8)
        self.action_ring = np.zeros(capacity, dtype=np.int64)
        self.reward_ring = np.zeros(capacity, dtype=np.float32)
        self.terminated_ring = np.zeros(capacity, dtype=np.float32)
        self.capacity, self.cursor, self.size = capacity, 0, 0
        self.obs, _ = env.reset(seed=seed)
        self._steps = 0
        self._updates = 0
        self.clock = PhaseClock()

    @property
    def steps(self) -> int:
        return self._steps

    @property
    def updates(self) -> int:
        return self._updates

    def step(self) -> None:
        """One agent step, and an update every ``train_every`` steps once learning has started."""
        seconds = self.clock.seconds
        t0 = time.perf_counter()
        with torch.inference_mode():
            q_values = self.network(torch.from_numpy(self.obs).unsqueeze(0))
        if self.rng.random() < self.epsilon(self._steps):
            action = int(self.rng.integers(self.n_actions))
        else:
            action = int(q_values.argmax())
        t1 = time.perf_counter()
        next_obs, reward, terminated, truncated, _ = self.env.step(action)
        t2 = time.perf_counter()
        i = self.cursor
        self.obs_ring[i] = self.obs
        self.next_obs_ring[i] = next_obs
        self.action_ring[i] = action
        self.reward_ring[i] = np.sign(reward)
        self.terminated_ring[i] = terminated
        self.cursor = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        self.obs = self.env.reset()[0] if terminated or truncated else next_obs
        self._steps += 1
        t3 = time.perf_counter()
        if self._steps >= self.learning_starts and self._steps % self.train_every == 0:
            self.update()
        t4 = time.perf_counter()
        seconds["act"] += t1 - t0
        seconds["env step"] += t2 - t1
        seconds["replay add"] += t3 - t2
        seconds["update"] += t4 - t3
        seconds["total"] += t4 - t0

    def update(self) -> None:
        """One-step DQN (Double DQN where the config says) on a uniform batch: Huber loss, clipped
        gradients, Adam."""
        config = self.config
        started = time.perf_counter()
        index = self.rng.integers(0, self.size, config.batch_size)
        obs = torch.from_numpy(self.obs_ring[index])
        next_obs = torch.from_numpy(self.next_obs_ring[index])
        action = torch.from_numpy(self.action_ring[index])
        reward = torch.from_numpy(self.reward_ring[index])
        terminated = torch.from_numpy(self.terminated_ring[index])
        self.clock.seconds[SAMPLE] += time.perf_counter() - started
        with torch.no_grad():
            next_q = self.target(next_obs)
            if config.double_dqn:
                next_action = self.network(next_obs).argmax(dim=1, keepdim=True)
                next_value = next_q.gather(1, next_action).squeeze(1)
            else:
                next_value = next_q.max(dim=1).values
            target = reward + config.gamma * (1.0 - terminated) * next_value
        q_taken = self.network(obs).gather(1, action.unsqueeze(1)).squeeze(1)
        loss = functional.huber_loss(q_taken, target, delta=config.huber_delta)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.network.parameters(), config.max_grad_norm)
        self.optimizer.step()
        self._updates += 1
        if self._updates % config.target_update_period == 0:
            self.target.load_state_dict(self.network.state_dict())

    def close(self) -> None:
        self.env.close()


# --------------------------------------------------------------------------- numpy's BLAS threads


class BlasThreads:
    """Read and set the thread count of the OpenBLAS that numpy loaded, at run time (as threadpoolctl
    does), so that one process can time the same work with BLAS on its default threads and on one."""

    PREFIXES = ("scipy_openblas", "openblas")  # numpy's wheels ship scipy-openblas; others plain OpenBLAS
    SUFFIXES = ("64_", "_64_", "")

    def __init__(self, library: ctypes.CDLL, setter: str, getter: str) -> None:
        self._set = getattr(library, setter)
        self._get = getattr(library, getter)

    @classmethod
    def find(cls) -> BlasThreads | None:
        """The OpenBLAS mapped into this process, or None (another BLAS, or not Linux)."""
        try:
            maps = Path("/proc/self/maps").read_text().splitlines()
        except OSError:
            return None
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.split()[-1].lower()})
        for path in paths:
            library = ctypes.CDLL(path)
            for prefix in cls.PREFIXES:
                for suffix in cls.SUFFIXES:
                    setter, getter = f"{prefix}_set_num_threads{suffix}", f"{prefix}_get_num_threads{suffix}"
                    if hasattr(library, setter) and hasattr(library, getter):
                        return cls(library, setter, getter)
        return None

    @property
    def count(self) -> int:
        return int(self._get())

    @count.setter
    def count(self, threads: int) -> None:
        self._set(threads)


def time_env_steps(env: AtariEnv, seconds: float, rng: np.random.Generator) -> tuple[int, float]:
    """(steps, seconds inside ``env.step``) of ``seconds`` of random play (resets not counted)."""
    steps, spent = 0, 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        action = int(rng.integers(env.action_space.n))
        started = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(action)
        spent += time.perf_counter() - started
        steps += 1
        if terminated or truncated:
            env.reset()
    return steps, spent


def compare_blas_threads(game_id: str, seconds: float, rounds: int, seed: int) -> None:
    """AtariEnv.step with numpy's BLAS on every core (OpenBLAS's default) against one thread, alternated."""
    blas = BlasThreads.find()
    if blas is None:
        print("\n(numpy does not use an OpenBLAS this benchmark can find: no BLAS-thread comparison)")
        return
    default = blas.count
    many = max(default, os.cpu_count() or 1)
    if many == 1:
        print("\n(one core: no BLAS-thread comparison)")
        return
    env = find_game(game_id).make_env("train")
    assert isinstance(env, AtariEnv)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    runs: dict[int, list[tuple[int, float]]] = {many: [], 1: []}
    try:
        for round_index in range(rounds):
            for threads in (many, 1) if round_index % 2 == 0 else (1, many):
                blas.count = threads
                runs[threads].append(time_env_steps(env, seconds / rounds, rng))
    finally:
        blas.count = default
        env.close()
    print(
        f"\nAtariEnv.step alone (its area resize is two small numpy matmuls), numpy's OpenBLAS on "
        f"{many} threads vs 1, {rounds} alternated rounds of {seconds / rounds:g} s (it had {default})\n"
    )
    rate = {t: sum(n for n, _ in r) / sum(s for _, s in r) for t, r in runs.items()}
    per_round = {t: [n / s for n, s in r] for t, r in runs.items()}
    print_table(
        ["BLAS threads", "env steps/s", "ms/step", "slowest round", "fastest round"],
        [
            [f"{t}" + (" (default)" if t == default else ""), rate[t], 1e3 / rate[t], min(r), max(r)]
            for t, r in per_round.items()
        ],
    )
    print(f"\nratio 1 thread / {many} threads: {rate[1] / rate[many]:.2f}x")


# --------------------------------------------------------------------------- the race


@dataclasses.dataclass
class Tally:
    """Agent steps, updates and seconds a contender ran while it was measured."""

    steps: int = 0
    updates: int = 0
    seconds: float = 0.0
    per_round: list[float] = dataclasses.field(default_factory=list)


def warm_up(contender: Contender, learning_starts: int, seconds: float) -> None:
    """Run past ``learning_starts``, then ``seconds`` more, so that measuring starts mid-learning."""
    while contender.steps < learning_starts:
        contender.step()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or contender.updates == 0:
        contender.step()


def run_for(contender: Contender, seconds: float, tally: Tally) -> None:
    """Step whole steps until ``seconds`` have passed; add what was done to ``tally``."""
    steps, updates = contender.steps, contender.updates
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        contender.step()
    elapsed = time.perf_counter() - started
    tally.steps += contender.steps - steps
    tally.updates += contender.updates - updates
    tally.seconds += elapsed
    tally.per_round.append((contender.steps - steps) / elapsed)


def phase_rows(contender: Contender, tally: Tally) -> list[list[object]]:
    seconds = dict(contender.clock.seconds)
    total = seconds.pop("total")
    seconds["other"] = total - sum(seconds.get(p, 0.0) for p in PHASES if p != "other")
    rows: list[list[object]] = []
    for phase in PHASES:
        rows.append(
            [
                phase,
                1e3 * seconds.get(phase, 0.0) / tally.steps,
                f"{100 * seconds.get(phase, 0.0) / total:.1f}%",
            ]
        )
        if phase == "update":
            share = 100 * seconds.get(SAMPLE, 0.0) / total
            rows.append(
                [f"  of which {SAMPLE}", 1e3 * seconds.get(SAMPLE, 0.0) / tally.steps, f"{share:.1f}%"]
            )
    rows.append(["total", 1e3 * total / tally.steps, "100%"])
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="ALE/Pong-v5", help="Atari game id")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds per contender")
    parser.add_argument("--rounds", type=int, default=4, help="rounds the measured seconds are cut into")
    parser.add_argument(
        "--warmup-seconds", type=float, default=10.0, help="per contender, after learning starts"
    )
    parser.add_argument(
        "--learning-starts", type=int, default=1_000, help="agent steps before the first update"
    )
    parser.add_argument(
        "--plain-channels-last",
        action="store_true",
        help="run the plain loop's network in NHWC like the Trainer's, to isolate the loop from the layout",
    )
    parser.add_argument("--plain-capacity", type=int, default=100_000, help="transitions in the plain ring")
    parser.add_argument(
        "--env-seconds", type=float, default=20.0, help="seconds of the BLAS-thread env comparison (0 = skip)"
    )
    parser.add_argument(
        "--fp32",
        action="store_true",
        help="the Trainer's updates in float32 (the preset: bfloat16 where native)",
    )
    parser.add_argument("--no-overlap", action="store_true", help="the Trainer steps the games, then learns")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, for both contenders")
    parser.add_argument(
        "--prioritized", action="store_true", help="the Trainer samples by priority (the preset: uniformly)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1 or args.threads < 1:
        parser.error("--seconds must be positive, and --rounds and --threads at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    base = PRESETS["atari"]
    config = dataclasses.replace(
        base,
        learning_starts=args.learning_starts,
        eval_every_steps=0,
        save_replay=False,
        seed=args.seed,
        overlap=not args.no_overlap,
        dqn=dataclasses.replace(
            base.dqn,
            device="cpu",
            seed=args.seed,
            bf16_autocast=base.dqn.bf16_autocast and not args.fp32,
            prioritized=base.dqn.prioritized or args.prioritized,
        ),
    )
    bf16 = config.dqn.bf16_autocast and bf16_is_fast(torch.device("cpu"))  # what the updates will run in
    print_header(f"Atari training speed: Trainer (atari preset) vs a plain single-env DQN loop, {args.game}")
    print(
        f"Trainer: {config.num_envs} envs, batch {config.dqn.batch_size} every {config.train_every} "
        f"agent steps, n_step {config.dqn.n_step}, channels_last {config.dqn.channels_last}, "
        f"replay capacity {config.dqn.replay_capacity:,}, bf16 autocast {bf16}, "
        f"learning while the games step {config.overlap}"
    )
    print(
        f"plain:   1 env, batch {config.dqn.batch_size} every {config.train_every} agent steps, n_step 1, "
        f"{'NHWC' if args.plain_channels_last else 'NCHW'}, ring of obs+next_obs stacks, "
        f"capacity {args.plain_capacity:,}"
    )
    print(
        f"threads: torch {torch.get_num_threads()}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}\n",
        flush=True,
    )

    ours = TimedTrainer(config, args.game)
    plain = PlainDQN(
        find_game(args.game).make_env("train"),  # an AtariEnv with the training preprocessing
        args.plain_capacity,
        config.dqn,
        LinearSchedule(config.epsilon_start, config.epsilon_end, config.epsilon_decay_steps),
        learning_starts=args.learning_starts,
        train_every=config.train_every,
        seed=args.seed,
        channels_last=args.plain_channels_last,
    )
    assert isinstance(plain.env, AtariEnv)
    contenders: list[Contender] = [ours, plain]
    tallies = {c.name: Tally() for c in contenders}
    try:
        for contender in contenders:
            print(f"warming up {contender.name} ...", flush=True)
            warm_up(contender, args.learning_starts, args.warmup_seconds)
            contender.clock.reset()
        for round_index in range(args.rounds):
            order = contenders if round_index % 2 == 0 else contenders[::-1]
            for contender in order:
                run_for(contender, args.seconds / args.rounds, tallies[contender.name])
            print(
                f"round {round_index + 1}/{args.rounds}: "
                + ", ".join(f"{c.name} {tallies[c.name].per_round[-1]:.1f} steps/s" for c in contenders),
                flush=True,
            )
    finally:
        ours.close()
        plain.close()

    expected = config.dqn.batch_size / config.train_every
    print(f"\nSpeed (agent steps per second of training, learning on; samples/step: {expected:g})\n")
    rate = {name: t.steps / t.seconds for name, t in tallies.items()}
    print_table(
        [
            "loop",
            "agent steps",
            "updates",
            "seconds",
            "steps/s",
            "samples/step",
            "slowest round",
            "fastest round",
        ],
        [
            [
                name,
                t.steps,
                t.updates,
                t.seconds,
                rate[name],
                t.updates * config.dqn.batch_size / t.steps,
                min(t.per_round),
                max(t.per_round),
            ]
            for name, t in tallies.items()
        ],
    )
    ratios = [a / b for a, b in zip(tallies["Trainer"].per_round, tallies["plain"].per_round, strict=True)]
    print(
        f"\nratio Trainer / plain: {rate['Trainer'] / rate['plain']:.2f}x "
        f"(per round {min(ratios):.2f}x to {max(ratios):.2f}x)"
    )
    for contender in contenders:
        print(f"\nWhere {contender.name}'s time goes (ms per agent step, share of its step time)\n")
        print_table(["phase", "ms/step", "share"], phase_rows(contender, tallies[contender.name]))
    if args.env_seconds > 0:
        compare_blas_threads(args.game, args.env_seconds, args.rounds, args.seed)
    print_footer()


if __name__ == "__main__":
    main()
