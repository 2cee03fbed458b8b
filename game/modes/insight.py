"""What the arena's "how it learns" layer draws: the worker's views of learning, as plain data.

The worker owns both networks and the replay memory, so it computes every number here from the
update that actually ran (``game.modes.lens`` builds them); the UI only draws them. Each view
travels in the :class:`~game.modes.protocol.Snapshot` at its own rate and is None in a snapshot
that brings nothing new for it, so the UI keeps the last one it got.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class BellmanReadout:
    """One showcase transition as the update that learned from it computed its target, term by term.

    target = sum_j discounts[j] * rewards[j] + bootstrap_discount * next_q_target, with
    next_action picked by the online network and valued by the target network (Double DQN), or
    picked and valued by the target network (plain DQN).
    """

    update: int
    """the number of the update that ran on it (the agent's update count after it)"""
    action: int
    """a_t, the action taken in s_t"""
    rewards: list[float]
    """r_t, r_{t+1}, ...: the k rewards summed (as learned from: sign-clipped where the game clips)"""
    discounts: list[float]
    """gamma^j for each reward"""
    bootstrap_discount: float
    """gamma^k; 0 when the episode terminated within the window (nothing to bootstrap)"""
    ended: str
    """how the window ended before n steps: "terminated", "truncated" (time limit: still bootstraps),
    "cut" (the stream moved on, e.g. a person took over) or "" (all n steps)"""
    next_action: int
    """a' = argmax_a Q_online(s', a) (Double DQN) or argmax_a Q_target(s', a)"""
    next_q_target: float
    """Q_target(s', a')"""
    double_dqn: bool
    target: float
    """y, the Bellman target of the update"""
    q_before: float
    """Q_online(s_t, a_t) in the update's forward pass"""
    q_after: float
    """Q_online(s_t, a_t) right after the update's optimizer step"""
    td_error: float
    """delta = y - Q_online(s_t, a_t)"""
    huber_delta: float
    """kappa of the Huber loss: a |delta| above it is clipped to kappa in the gradient (0: squared loss)"""
    weight: float
    """the row's importance-sampling weight in the loss (1 without priorities)"""
    demo: bool
    """a person chose the action"""
    before: np.ndarray | None = None
    """a small picture of s_t (image games): (h, w) uint8 grey or (h, w, 3) RGB"""
    after: np.ndarray | None = None
    """the same of s', the state bootstrapped from"""
    state_before: list[float] | None = None
    """the numbers of s_t (vector games)"""
    state_after: list[float] | None = None
    """the numbers of s'"""

    @property
    def steps(self) -> int:
        """k, the rewards summed"""
        return len(self.rewards)

    @property
    def clipped(self) -> bool:
        """the Huber loss caps this delta's pull at kappa"""
        return self.huber_delta > 0 and abs(self.td_error) > self.huber_delta


@dataclass
class ReplayView:
    """The replay memory and the minibatch of the latest traced update."""

    update: int
    transitions: int
    """transitions ready to sample (main ring and demonstrations)"""
    capacity: int
    """slots of the main ring"""
    megabytes: float
    """memory the replay holds, in MB"""
    demos: int
    """a person's transitions, kept apart from the ring"""
    batch_demo_share: float
    """share of the minibatch that came from a person's play"""
    batch_age: np.ndarray
    """(B,) float: where in the memory each row came from, 0 = the newest slot .. 1 = the oldest"""
    batch_demo: np.ndarray
    """(B,) bool: the row came from a person's play"""
    batch_td: np.ndarray
    """(B,) float: |delta| of each row in that update"""
    batch_pictures: np.ndarray | None = None
    """(B, h, w) uint8: each row's newest frame, small (image games); None for vector games"""
    showcase_row: int = 0
    """the row that is the Bellman readout's transition"""


@dataclass
class TargetView:
    """The target network: when it next catches up with the online one, and how far apart they are."""

    period: int
    """updates between two copies (hard updates)"""
    tau: float
    """1: hard copies every ``period`` updates; below 1: the target moves tau of the way every update"""
    updates_to_copy: int
    """updates until the next copy (0 with soft updates)"""
    copies: int
    """copies (or soft steps) made so far: a rise is a "copied" moment"""
    q_online: np.ndarray
    """(A,) Q_online on the showcase's current state"""
    q_target: np.ndarray
    """(A,) Q_target on the same state"""


@dataclass
class SurpriseMoment:
    """One of the most surprising showcase steps of the last minute."""

    picture: np.ndarray
    """a small RGB picture of the game at that step"""
    td_error: float
    """delta of the step (signed)"""
    reward: float
    """the reward of that step"""
    seconds_ago: float


@dataclass
class SurpriseView:
    """|delta| of the showcase's recent steps, under the current networks."""

    seconds_ago: np.ndarray
    """(N,) float: how long ago each step was, oldest first"""
    values: np.ndarray
    """(N,) float: |delta| of each step"""
    window_s: float
    """the timeline's width in seconds"""
    moments: list[SurpriseMoment] = field(default_factory=list)
    """the most surprising steps of the window, biggest first"""


@dataclass
class PredictedReturns:
    """A finished showcase episode: what the agent predicted at each step against what it then got."""

    episode: int
    """the showcase episode's number (from 1)"""
    predicted: np.ndarray
    """(T,) Q(s_t, a_t) as the agent saw it at step t"""
    received: np.ndarray
    """(T,) sum_k gamma^k r_{t+k}: the discounted return actually received from t on"""
    gamma: float
    truncated: bool
    """the episode was cut by a time limit, so the last steps' returns miss what would have followed"""


@dataclass
class SaliencyView:
    """Where the network looks: how much blurring each part of the picture moves Q(s, a)."""

    heat: np.ndarray
    """(h, w) float32 in [0, 1] laid over the whole game picture (1 = the strongest effect)"""
    action: int
    """the action whose Q-value the map explains"""
    method: str = "perturbation"
