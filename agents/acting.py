"""Epsilon-greedy action selection, returning everything an overlay draws about the decision."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Act:
    """One decision: the action taken and why. The UI draws this and never recomputes it."""

    action: int
    """the action sent to the environment"""
    q_values: np.ndarray
    """Q(s, a) for every action, shape (n_actions,), float32"""
    greedy_action: int
    """argmax_a Q(s, a)"""
    explored: bool
    """True when the action was drawn at random (it may still equal the greedy action)"""
    value: float | None = None
    """V(s) from a dueling head, None otherwise"""
    advantages: np.ndarray | None = None
    """A(s, a) from a dueling head (mean-centred, so q = value + advantages), None otherwise"""


@dataclass(frozen=True)
class ActBatch:
    """One decision per environment, as arrays with a leading axis of length n_envs."""

    actions: np.ndarray
    """(n_envs,) int64"""
    q_values: np.ndarray
    """(n_envs, n_actions) float32"""
    greedy_actions: np.ndarray
    """(n_envs,) int64"""
    explored: np.ndarray
    """(n_envs,) bool"""
    values: np.ndarray | None = None
    """(n_envs,) float32 from a dueling head, None otherwise"""
    advantages: np.ndarray | None = None
    """(n_envs, n_actions) float32 from a dueling head, None otherwise"""

    def __len__(self) -> int:
        return len(self.actions)

    def __getitem__(self, i: int) -> Act:
        """The decision for environment ``i``."""
        return Act(
            action=int(self.actions[i]),
            q_values=self.q_values[i],
            greedy_action=int(self.greedy_actions[i]),
            explored=bool(self.explored[i]),
            value=None if self.values is None else float(self.values[i]),
            advantages=None if self.advantages is None else self.advantages[i],
        )


def epsilon_greedy_batch(
    q_values: np.ndarray, epsilon: float | np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epsilon-greedy over a batch of Q-value rows.

    Args:
        q_values: (n, n_actions) Q-values.
        epsilon: exploration probability, one for all rows or one per row.
        rng: the source of randomness.

    Returns:
        (actions, greedy_actions, explored): (n,) int64, (n,) int64, (n,) bool.
    """
    n, n_actions = q_values.shape
    epsilon = np.broadcast_to(np.asarray(epsilon, dtype=np.float64), (n,))
    greedy = np.argmax(q_values, axis=1).astype(np.int64)
    explored = rng.random(n) < epsilon
    random_actions = rng.integers(n_actions, size=n)
    actions = np.where(explored, random_actions, greedy)
    return actions, greedy, explored
