"""Tabular Q-learning and value iteration for small discrete games.

``QTable`` keeps one row of Q-values per state: a dense array for a Discrete observation space, or a
dictionary for any hashable observation. ``value_iteration`` solves an environment that exposes its
model the way gymnasium's FrozenLake does: ``P[s][a] = [(probability, next_state, reward, terminated)]``.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.acting import Act
from agents.schedules import ConstantSchedule, Schedule

Model = Mapping[int, Mapping[int, Sequence[tuple[float, int, float, bool]]]] | Sequence[Any]
"""P[s][a] -> [(probability, next_state, reward, terminated), ...]"""


class QTable:
    """Q(s, a) in a table, learned by one-step Q-learning.

    Args:
        n_actions: number of actions.
        n_states: number of states for integer observations 0..n_states-1 (a dense table); None for
            any hashable observation (rows created on first sight, zero-initialised).
        gamma: discount per step.
        learning_rate: step size as a function of the update count, or of the pair's visit count.
        per_pair_steps: evaluate ``learning_rate`` at the (state, action) visit count (the classic
            schedule under which tabular Q-learning converges).
        seed: seed of the exploration generator.
    """

    def __init__(
        self,
        n_actions: int,
        n_states: int | None = None,
        *,
        gamma: float = 0.99,
        learning_rate: Schedule | None = None,
        per_pair_steps: bool = False,
        seed: int = 0,
    ) -> None:
        self.n_actions = n_actions
        self.gamma = gamma
        self.learning_rate = learning_rate if learning_rate is not None else ConstantSchedule(0.1)
        self.per_pair_steps = per_pair_steps
        self.rng = np.random.default_rng(seed)
        self.update_count = 0
        self.dense = n_states is not None
        if n_states is not None:
            self.q: np.ndarray | dict[Hashable, np.ndarray] = np.zeros((n_states, n_actions))
            self.visits: np.ndarray | dict[Hashable, np.ndarray] = np.zeros((n_states, n_actions), np.int64)
        else:
            self.q, self.visits = {}, {}

    def q_values(self, obs: Hashable) -> np.ndarray:
        """Q(obs, a) for every action (a view into the table for dense tables)."""
        return self._row(self.q, obs, np.float64)

    def act(self, obs: Hashable, epsilon: float) -> Act:
        """Epsilon-greedy; ties between equal Q-values are broken at random."""
        q = self.q_values(obs).astype(np.float32)
        best = np.flatnonzero(q == q.max())
        greedy = int(best[0] if len(best) == 1 else self.rng.choice(best))
        explored = bool(self.rng.random() < epsilon)
        action = int(self.rng.integers(self.n_actions)) if explored else greedy
        return Act(action=action, q_values=q, greedy_action=greedy, explored=explored)

    def update(
        self, obs: Hashable, action: int, reward: float, next_obs: Hashable, terminated: bool
    ) -> float:
        """Q(s, a) += alpha * (r + gamma * max_a' Q(s', a') - Q(s, a)); no bootstrap after termination.

        Returns:
            The TD error before the step.
        """
        visits = self._row(self.visits, obs, np.int64)
        step = int(visits[action]) if self.per_pair_steps else self.update_count
        alpha = self.learning_rate(step)
        bootstrap = 0.0 if terminated else self.gamma * float(self.q_values(next_obs).max())
        row = self.q_values(obs)
        td_error = reward + bootstrap - row[action]
        row[action] += alpha * td_error
        visits[action] += 1
        self.update_count += 1
        return float(td_error)

    def _row(self, table: np.ndarray | dict, obs: Hashable, dtype: type) -> np.ndarray:
        if self.dense:
            return table[int(obs)]
        key = obs.tobytes() if isinstance(obs, np.ndarray) else obs
        if key not in table:
            table[key] = np.zeros(self.n_actions, dtype=dtype)
        return table[key]

    def as_array(self) -> np.ndarray:
        """The dense table, shape (n_states, n_actions)."""
        if not self.dense:
            raise ValueError("only a table built with n_states is an array")
        return self.q


def value_iteration(
    P: Model,  # noqa: N803 (the model's name in gymnasium and in Sutton & Barto)
    n_states: int,
    n_actions: int,
    gamma: float,
    theta: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve a known model: Q(s, a) = sum_{s'} p * (r + gamma * V(s') * (not terminated)), V = max_a Q.

    Args:
        P: the model, ``P[s][a] = [(probability, next_state, reward, terminated), ...]``.
        n_states: number of states.
        n_actions: number of actions.
        gamma: discount per step.
        theta: stop when no value changes by more than this in a sweep.

    Returns:
        (V, Q): V* of shape (n_states,), Q* of shape (n_states, n_actions).
    """
    # One row per outcome: the (s, a) pair it belongs to, its probability, s', reward, terminated.
    rows = [
        (s * n_actions + a, *outcome)
        for s in range(n_states)
        for a in range(n_actions)
        for outcome in P[s][a]
    ]
    pair, probability, next_state, reward, terminated = (
        np.array(column) for column in zip(*rows, strict=True)
    )
    next_state = next_state.astype(np.int64)
    continues = 1.0 - terminated.astype(np.float64)
    values = np.zeros(n_states)
    while True:
        outcome = probability * (reward + gamma * continues * values[next_state])
        q = np.bincount(pair, weights=outcome, minlength=n_states * n_actions).reshape(n_states, n_actions)
        new_values = q.max(axis=1)
        delta = float(np.max(np.abs(new_values - values)))
        values = new_values
        if delta < theta:
            return values, q


def q_learning(
    env: gym.Env,
    episodes: int,
    *,
    gamma: float = 0.99,
    epsilon: Schedule | None = None,
    learning_rate: Schedule | None = None,
    per_pair_steps: bool = False,
    seed: int = 0,
    table: QTable | None = None,
) -> QTable:
    """Run epsilon-greedy Q-learning on an environment with Discrete observations and actions.

    ``epsilon`` is evaluated at the episode number; truncated episodes bootstrap, terminated ones do not.
    """
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise ValueError(f"Q-learning needs a Discrete action space, not {env.action_space}.")
    if table is None:
        n_states = (
            int(env.observation_space.n) if isinstance(env.observation_space, gym.spaces.Discrete) else None
        )
        table = QTable(
            int(env.action_space.n),
            n_states,
            gamma=gamma,
            learning_rate=learning_rate,
            per_pair_steps=per_pair_steps,
            seed=seed,
        )
    epsilon = epsilon if epsilon is not None else ConstantSchedule(0.1)
    obs, _ = env.reset(seed=seed)
    for episode in range(episodes):
        if episode > 0:
            obs, _ = env.reset()
        done = False
        while not done:
            action = table.act(obs, epsilon(episode)).action
            next_obs, reward, terminated, truncated, _ = env.step(action)
            table.update(obs, action, float(reward), next_obs, terminated)
            obs, done = next_obs, terminated or truncated
    return table


def save_table(table: QTable, path: str | os.PathLike) -> None:
    """Write a table keyed by observation tuples (self-play's) to ``path`` as .npz, atomically."""
    if table.dense:
        keys = np.arange(len(table.q), dtype=np.float64)[:, None]
        values = np.asarray(table.q, dtype=np.float64)
    else:
        keys = np.array(list(table.q), dtype=np.float64)
        values = np.array(list(table.q.values()), dtype=np.float64).reshape(len(keys), table.n_actions)
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(temporary, keys=keys, values=values, dense=table.dense, gamma=table.gamma)
    os.replace(temporary, path)


def load_table(path: str | os.PathLike) -> QTable:
    """A table written by :func:`save_table`, ready to act (greedily, or to learn on)."""
    with np.load(path) as data:
        keys, values = data["keys"], data["values"]
        dense, gamma = bool(data["dense"]), float(data["gamma"])
    if values.ndim != 2 or len(keys) != len(values):
        raise ValueError(f"{path} is not a saved Q-table")
    table = QTable(values.shape[1], len(values) if dense else None, gamma=gamma)
    if dense:
        table.q = values.copy()
    else:
        table.q = {tuple(key.tolist()): row.copy() for key, row in zip(keys, values, strict=True)}
    return table
