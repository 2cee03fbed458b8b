"""An Ape-X actor: its own environments, a copy of the network for acting, its own epsilon.

Each call of :meth:`Actor.collect` plays a few steps in every environment with the newest weights it
was given and returns them as chunks (one per environment, see :mod:`agents.apex.chunks`) with the
episodes that ended. An actor never learns; the learner sends it weights with a version number, and
it keeps acting with the last ones it got.

Exploration (Ape-X): with N > 1 actors, actor i plays with epsilon_i = 0.4 ** (1 + 7 i / (N - 1)),
from 0.4 down to 0.4 ** 8, for the whole run. A lone actor follows the preset's schedule, by the
learner's step count, like a local run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from agents.acting import Act, ActBatch, epsilon_greedy_batch
from agents.apex.chunks import CODEC, Chunk, ChunkWriter
from agents.networks import QNetwork
from agents.pools import Pool
from agents.replay import observation_layout
from agents.train_config import TrainConfig

APEX_EPSILON = 0.4  # epsilon of actor 0 (Horgan et al. 2018)
APEX_ALPHA = 7.0  # the exponent's spread: the last actor explores with 0.4 ** 8


def apex_epsilon(index: int, actors: int, base: float = APEX_EPSILON, alpha: float = APEX_ALPHA) -> float:
    """Actor ``index``'s epsilon out of ``actors`` (more than one)."""
    if not 0 <= index < actors:
        raise ValueError(f"actor {index} out of range for {actors} actors")
    if actors == 1:
        return base
    return base ** (1.0 + alpha * index / (actors - 1))


def actor_epsilons(config: TrainConfig, index: int, actors: int, step: int) -> np.ndarray:
    """The epsilon of each of actor ``index``'s environments when the learner is at ``step``."""
    if actors == 1:
        return config.epsilons(step)
    return np.full(config.num_envs, apex_epsilon(index, actors))


class NetworkPolicy:
    """A network acting epsilon-greedily on the CPU: what actors and evaluators play with (an agent's
    ``act`` and ``act_batch`` without its replay memory and optimizer)."""

    def __init__(self, network: QNetwork, seed: int = 0):
        self.network = network.eval()
        self.rng = np.random.default_rng(seed)

    def act_batch(self, obs_batch: np.ndarray, epsilon: float | np.ndarray) -> ActBatch:
        with torch.inference_mode():
            q_values = self.network(torch.as_tensor(np.asarray(obs_batch))).float().numpy()
        actions, greedy, explored = epsilon_greedy_batch(q_values, epsilon, self.rng)
        return ActBatch(actions=actions, q_values=q_values, greedy_actions=greedy, explored=explored)

    def act(self, obs: np.ndarray, epsilon: float) -> Act:
        return self.act_batch(np.asarray(obs)[None], epsilon)[0]


@dataclass(frozen=True)
class Episode:
    """An episode an actor finished (a whole game: with episodic life, a lost life does not end one)."""

    stream: int
    ret: float
    """the game's score, unclipped"""
    length: int
    """agent steps"""
    epsilon: float


@dataclass(frozen=True)
class Collected:
    """What one ``collect`` call brought back."""

    actor: int
    chunks: list[Chunk]
    episodes: list[Episode]
    version: int
    """the weights version the steps were played with (0: the actor's own first weights)"""
    epsilon: float
    """the mean epsilon of its environments"""
    seconds: float
    """how long the steps took"""
    error: str | None = None
    """set when the actor died and the steps were lost (``chunks`` is then empty)"""

    @property
    def transitions(self) -> int:
        return sum(chunk.steps for chunk in self.chunks)


class Actor:
    """Plays ``pool``'s environments with ``network`` and the epsilon of actor ``index``.

    Args:
        index: this actor's number, from 0.
        actors: how many actors the run has.
        pool: the environments (``config.num_envs`` of them), seeded already.
        network: a network of the learner's kind, on the CPU; its weights come from the learner.
        config: the run's settings (exploration, environments).
        seed: seed of the exploration's random numbers.
        codec: how frames are compressed for sending.
    """

    def __init__(
        self,
        index: int,
        actors: int,
        pool: Pool,
        network: QNetwork,
        config: TrainConfig,
        seed: int = 0,
        codec: str = CODEC,
    ):
        self.index = index
        self.actors = actors
        self.pool = pool
        self.policy = NetworkPolicy(network, seed)
        self.config = config
        self.version = 0
        stacked = observation_layout(pool.observation_space)[2]
        first = index * pool.num_envs
        self.writers = [ChunkWriter(first + i, stacked, codec) for i in range(pool.num_envs)]
        self._obs: np.ndarray | None = None
        self._returns = np.zeros(pool.num_envs)
        self._lengths = np.zeros(pool.num_envs, dtype=int)

    def load_weights(self, version: int, weights: dict[str, Any]) -> None:
        """Act with these weights from now on (``version`` counts the learner's broadcasts)."""
        self.policy.network.load_state_dict(weights)
        self.version = version

    def collect(self, steps: int, learner_step: int) -> Collected:
        """Play ``steps`` steps in every environment; return them as one chunk per environment."""
        started = time.perf_counter()
        if self._obs is None:
            self._obs = self.pool.reset()
        epsilons = actor_epsilons(self.config, self.index, self.actors, learner_step)
        episodes: list[Episode] = []
        for _ in range(steps):
            actions = self.policy.act_batch(self._obs, epsilons).actions
            next_obs, rewards, terminated, truncated, infos, obs = self.pool.step(actions)
            ended = terminated | truncated
            for i, writer in enumerate(self.writers):
                writer.add(
                    self._obs[i],
                    int(actions[i]),
                    float(rewards[i]),
                    next_obs[i],
                    bool(terminated[i]),
                    bool(truncated[i]),
                    obs[i] if ended[i] else None,
                )
            self._obs = obs
            self._returns += rewards
            self._lengths += 1
            for i in np.flatnonzero(ended):
                if truncated[i] or infos[i].get("game_over", True):  # a lost life is not a game's end
                    stream = self.writers[i].stream
                    episodes.append(
                        Episode(stream, float(self._returns[i]), int(self._lengths[i]), float(epsilons[i]))
                    )
                    self._returns[i] = 0.0
                    self._lengths[i] = 0
        chunks = [chunk for writer in self.writers if (chunk := writer.flush()) is not None]
        seconds = time.perf_counter() - started
        return Collected(self.index, chunks, episodes, self.version, float(epsilons.mean()), seconds)

    def close(self) -> None:
        self.pool.close()
