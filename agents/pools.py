"""Environments the Trainer steps together, and whole games played to measure an agent.

A :class:`Pool` is N environments stepped as one (:class:`EnvPool` steps gymnasium envs one after
another; ``game.atari.pool`` adapts ale-py's vector env); :func:`play_episodes` and
:func:`play_pool_episodes` play evaluation games.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import gymnasium as gym
import numpy as np

if TYPE_CHECKING:
    from agents.dqn import DQNAgent


@dataclass
class EpisodeEnd:
    """One finished game of one environment."""

    env: int
    ret: float
    length: int


def play_episodes(
    agent: DQNAgent, make_env: Callable[[], gym.Env], episodes: int, epsilon: float, seed: int, max_steps: int
) -> list[float]:
    """The returns of ``episodes`` games the agent plays at ``epsilon`` (game n seeded seed + n)."""
    env = make_env()
    returns = []
    try:
        for n in range(episodes):
            obs, _ = env.reset(seed=seed + n)
            total, done, length = 0.0, False, 0
            while not done and length < max_steps:
                action = agent.act(obs, epsilon).action
                obs, reward, terminated, truncated, _ = env.step(int(action))
                total += float(reward)
                done = terminated or truncated
                length += 1
            returns.append(total)
    finally:
        env.close()
    return returns


def play_evaluation(
    agent: DQNAgent,
    episodes: int,
    epsilon: float,
    seed: int,
    max_steps: int,
    make_env: Callable[[], gym.Env],
    make_pool: Callable[[int, int], Pool] | None = None,
) -> list[float]:
    """The returns of an evaluation: ``episodes`` whole games side by side in a pool from ``make_pool``
    (game n seeded seed + n) where there is one, else one after another on ``make_env()``."""
    if make_pool is None:
        return play_episodes(agent, make_env, episodes, epsilon, seed=seed, max_steps=max_steps)
    pool = make_pool(episodes, seed)
    try:
        return play_pool_episodes(agent, pool, epsilon, max_steps)
    finally:
        pool.close()


def play_pool_episodes(agent: DQNAgent, pool: Pool, epsilon: float, max_steps: int) -> list[float]:
    """The returns of one game in each of ``pool``'s environments, played side by side.

    The pool must end an episode only when its game ends (no episodic life). A game longer than
    ``max_steps`` agent steps is cut there; a game that ended waits for the others.
    """
    obs = pool.reset()
    totals = np.zeros(pool.num_envs)
    playing = np.ones(pool.num_envs, dtype=bool)
    for _ in range(max_steps):
        actions = agent.act_batch(obs, epsilon).actions
        _, rewards, terminated, truncated, _, obs = pool.step(actions)
        totals += np.where(playing, rewards, 0.0)
        playing &= ~(terminated | truncated)
        if not playing.any():
            break
    return totals.tolist()


class Pool(Protocol):
    """N environments the Trainer steps together (EnvPool, or a vectorized simulator's adapter).

    A pool whose simulator steps in threads of its own may also offer ``step_async(actions)`` and
    ``step_wait()`` (the same results as ``step``): the Trainer then learns while the games step.
    """

    observation_space: gym.Space
    """one environment's observation space"""
    action_space: gym.Space
    """one environment's action space"""
    seed: int
    """env i is seeded with seed + i at the first reset"""
    num_envs: int
    """environments in the pool"""

    def reset(self) -> np.ndarray: ...

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[dict], np.ndarray]: ...

    def frame(self, index: int) -> np.ndarray | None: ...

    def close(self) -> None: ...


class EnvPool:
    """N environments stepped one after another; a finished one is reset at once.

    ``step`` returns the observation each transition ends in (the final one for finished episodes)
    separately from the observation the next action is chosen from.
    """

    def __init__(self, make_env: Callable[[], gym.Env], num_envs: int, seed: int):
        self.envs = [make_env() for _ in range(num_envs)]
        self.num_envs = num_envs
        self.seed = seed
        first = self.envs[0]
        self.observation_space = first.observation_space
        self.action_space = first.action_space

    def reset(self) -> np.ndarray:
        return np.stack([env.reset(seed=self.seed + i)[0] for i, env in enumerate(self.envs)])

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[dict], np.ndarray]:
        """Returns (next_obs, rewards, terminated, truncated, infos, obs_to_act_on)."""
        results = [env.step(int(a)) for env, a in zip(self.envs, actions, strict=True)]
        next_obs = np.stack([r[0] for r in results])
        rewards = np.array([r[1] for r in results], dtype=np.float32)
        terminated = np.array([r[2] for r in results])
        truncated = np.array([r[3] for r in results])
        infos = [r[4] for r in results]
        obs = next_obs.copy()
        for i in np.flatnonzero(terminated | truncated):
            obs[i] = self.envs[i].reset()[0]
        return next_obs, rewards, terminated, truncated, infos, obs

    def frame(self, index: int) -> np.ndarray | None:
        """Environment ``index``'s current picture."""
        return self.envs[index].render()

    def close(self) -> None:
        for env in self.envs:
            env.close()
