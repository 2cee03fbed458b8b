"""A fixed dataset of transitions as flat arrays: what offline learners read (no torch here, so that the
recorder and the dataset listing stay light)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Transitions:
    """A dataset as flat arrays, one row per environment step, episodes one after another in order."""

    obs: np.ndarray
    actions: np.ndarray
    """(N,) int64"""
    rewards: np.ndarray
    """(N,) float32"""
    next_obs: np.ndarray
    terminated: np.ndarray
    """(N,) bool: the step ended the episode in a terminal state (no bootstrap)"""
    truncated: np.ndarray
    """(N,) bool: the step was cut (time limit, or the recording stopped): bootstrap from next_obs"""

    def __post_init__(self) -> None:
        n = len(self.actions)
        for name in ("obs", "rewards", "next_obs", "terminated", "truncated"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"transitions: {name} has {len(getattr(self, name))} rows, actions {n}")
        if self.obs.shape != self.next_obs.shape:
            raise ValueError(f"transitions: obs {self.obs.shape} and next_obs {self.next_obs.shape} differ")

    def __len__(self) -> int:
        return len(self.actions)
