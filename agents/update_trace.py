"""UpdateTrace: the numbers of one update as its loss computed them, row by row, for a view to show.

``DQNAgent.trace_next_update`` asks for one; the next ``update`` fills it from the very tensors
that went into its loss (no second computation), so a readout built from it shows what the update
did, term by term.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UpdateTrace:
    """One update's batch and the values its loss used; arrays have one row per batch row."""

    update: int
    """the agent's update count after this update"""
    index: np.ndarray
    """(B,) global replay indices of the rows"""
    traced_row: int | None
    """the row holding the transition asked for, or None when none was (row 0 is then any sample)"""
    obs: np.ndarray
    """(B, *obs_shape) the states s_t"""
    next_obs: np.ndarray
    """(B, *obs_shape) the states s' bootstrapped from"""
    action: np.ndarray
    """(B,) a_t"""
    rewards: np.ndarray
    """(B, n) r_{t+j} for j < steps (0 after)"""
    steps: np.ndarray
    """(B,) k, the rewards summed"""
    discount: np.ndarray
    """(B,) gamma^k, or 0 after termination"""
    truncated: np.ndarray
    """(B,) the window's last step was cut by a time limit"""
    demo: np.ndarray
    """(B,) a person chose a_t"""
    weight: np.ndarray
    """(B,) importance-sampling weights"""
    next_action: np.ndarray
    """(B,) a': argmax_a Q_online(s', a) (Double DQN) or argmax_a Q_target(s', a)"""
    next_q_target: np.ndarray
    """(B,) Q_target(s', a')"""
    target: np.ndarray
    """(B,) the Bellman target y = R + discount * Q_target(s', a')"""
    q_taken: np.ndarray
    """(B,) Q_online(s_t, a_t) in the update's forward pass"""
    td_error: np.ndarray
    """(B,) y - Q_online(s_t, a_t)"""
    q_after: float
    """Q_online(s_t, a_t) of the traced row (row 0 when none was asked for) after the optimizer step"""
    gamma: float
    huber_delta: float
    double_dqn: bool
