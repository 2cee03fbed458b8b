"""Learning from recorded play alone: fitted Q-iteration and offline DQN over a fixed set of transitions.

Neither method touches an environment. Both count their gradient updates, so that an online DQN
can be given the same number for a fair comparison.

- :func:`fitted_q_iteration` (Ernst et al. 2005; Riedmiller's Neural Fitted Q 2005): K rounds, each
  computes the targets ``r + gamma * (1 - terminated) * max_a' Q_prev(s', a')`` over the *whole*
  dataset with the previous iterate frozen (``Q_0 = 0``, so round 1 regresses onto the rewards),
  then regresses a network onto them with minibatch Adam, warm-started from the previous iterate.
- :func:`offline_dqn`: a :class:`~agents.dqn.DQNAgent` whose replay memory holds the dataset and
  never grows: its usual updates, target network and all.
- :func:`action_counts` and :func:`trust_table`: how often the recorded play tried each action,
  beside the learnt Q-value there. Q-values of actions the data never tried are extrapolations.

Truncation is not termination: a step cut by a time limit still bootstraps.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from agents.dqn import DQNAgent
from agents.replay import Transition
from agents.transitions import Transitions

TARGET_CHUNK = 8192  # transitions per forward pass when computing targets over the whole dataset
DQN_LOG_EVERY = 500  # offline DQN updates between two rows of statistics


@dataclass(frozen=True)
class FQIConfig:
    """Fitted Q-iteration's settings."""

    iterations: int = 15
    """K: rounds of (targets from the frozen previous iterate, then regression onto them)"""
    epochs: int = 8
    """passes over the whole dataset per round's regression"""
    batch_size: int = 128
    """transitions per gradient update"""
    learning_rate: float = 1e-3
    """Adam step size"""
    gamma: float = 0.99
    """discount per agent step"""
    huber_delta: float = 1.0
    """regression error beyond which the loss grows linearly (0 = squared error)"""
    warm_start: bool = True
    """each round starts from the previous round's weights (False: from the initial weights)"""
    seed: int = 0
    """seed of the minibatch order"""
    conservative: float = 0.0
    """weight of CQL's penalty (Kumar et al. 2020), logsumexp_a Q(s, a) - Q(s, a_data): it pushes down the
    values of actions the recorded play did not take, which the max would otherwise pick (0 = plain FQI)"""

    def __post_init__(self) -> None:
        for name in ("iterations", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"fqi.{name} must be at least 1, not {getattr(self, name)}")
        if self.conservative < 0:
            raise ValueError(f"fqi.conservative is a weight, 0 or more, not {self.conservative}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"fqi.gamma must be in (0, 1], not {self.gamma}")

    def updates(self, n_transitions: int) -> int:
        """The gradient updates a run over ``n_transitions`` makes."""
        return self.iterations * self.epochs * math.ceil(n_transitions / self.batch_size)


@dataclass(frozen=True)
class RoundStats:
    """One round of fitted Q-iteration, or a stretch of offline DQN updates."""

    round: int
    """1-based round (FQI) or the update count reached (DQN)"""
    mean_target: float
    """mean Bellman target regressed onto (offline DQN: mean Q(s, a) of its sampled batches)"""
    loss: float
    """mean regression loss over the round's last epoch"""
    mean_max_q: float
    """mean over the dataset's states of max_a Q(s, a), after the round"""
    updates: int
    """gradient updates made so far"""


@dataclass
class OfflineResult:
    """A trained network, what each round did and the gradient updates it took."""

    network: nn.Module
    stats: list[RoundStats]
    updates: int


def q_values(network: nn.Module, obs: np.ndarray, device: torch.device | str = "cpu") -> np.ndarray:
    """(N, n_actions) Q-values of ``obs``, in chunks, without a gradient."""
    rows = []
    with torch.inference_mode():
        for start in range(0, len(obs), TARGET_CHUNK):
            chunk = torch.as_tensor(np.ascontiguousarray(obs[start : start + TARGET_CHUNK]), device=device)
            rows.append(network(chunk).float().cpu().numpy())
    return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)


def fqi_targets(
    previous: nn.Module | None, data: Transitions, gamma: float, device: torch.device | str = "cpu"
) -> np.ndarray:
    """y = r + gamma * (1 - terminated) * max_a' Q_prev(s', a') for every transition (Q_prev = 0 when
    ``previous`` is None); float32, (N,)."""
    rewards = data.rewards.astype(np.float32)
    if previous is None:
        return rewards.copy()
    next_max = q_values(previous, data.next_obs, device).max(axis=1)
    return (rewards + np.float32(gamma) * (~data.terminated.astype(bool)) * next_max).astype(np.float32)


def fitted_q_iteration(
    network_factory: Callable[[], nn.Module],
    data: Transitions,
    config: FQIConfig,
    *,
    device: torch.device | str = "cpu",
    progress: Callable[[RoundStats], None] | None = None,
) -> OfflineResult:
    """Fitted Q-iteration on ``data``, never touching an environment.

    Args:
        network_factory: builds an untrained Q-network, (batch, *obs_shape) -> (batch, n_actions).
        data: the dataset.
        config: rounds, epochs, minibatch and optimizer settings.
        device: where the networks run.
        progress: called with each round's statistics as it ends.

    Returns:
        The last round's network (on ``device``), every round's statistics and the update count.
    """
    if len(data) == 0:
        raise ValueError("fitted Q-iteration needs at least one transition")
    device = torch.device(device)
    generator = np.random.default_rng(config.seed)
    network = network_factory().to(device)
    initial = copy.deepcopy(network.state_dict())
    obs = torch.as_tensor(np.ascontiguousarray(data.obs), device=device)
    actions = torch.as_tensor(data.actions.astype(np.int64), device=device)
    previous: nn.Module | None = None
    stats: list[RoundStats] = []
    updates = 0
    for round_index in range(1, config.iterations + 1):
        targets = torch.as_tensor(fqi_targets(previous, data, config.gamma, device), device=device)
        if not config.warm_start:
            network.load_state_dict(initial)
        optimizer = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
        network.train()
        losses: list[float] = []
        for _ in range(config.epochs):
            losses = []
            order = torch.as_tensor(generator.permutation(len(data)), device=device)
            for start in range(0, len(data), config.batch_size):
                rows = order[start : start + config.batch_size]
                q_all = network(obs[rows]).float()
                q_taken = q_all.gather(1, actions[rows].unsqueeze(1)).squeeze(1)
                loss = _regression_loss(q_taken, targets[rows], config.huber_delta)
                if config.conservative > 0:
                    loss = loss + config.conservative * (torch.logsumexp(q_all, dim=1) - q_taken).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
                updates += 1
        network.eval()
        previous = copy.deepcopy(network).requires_grad_(False)
        row = RoundStats(
            round=round_index,
            mean_target=float(targets.mean()),
            loss=float(np.mean(losses)),
            mean_max_q=float(q_values(previous, data.obs, device).max(axis=1).mean()),
            updates=updates,
        )
        stats.append(row)
        if progress is not None:
            progress(row)
    return OfflineResult(network=network, stats=stats, updates=updates)


def _regression_loss(prediction: torch.Tensor, target: torch.Tensor, huber_delta: float) -> torch.Tensor:
    if huber_delta > 0:
        return functional.huber_loss(prediction, target, delta=huber_delta)
    return functional.mse_loss(prediction, target)


def replay_slots(data: Transitions) -> int:
    """Replay slots that hold ``data`` whole: one per step, one more per episode, one spare."""
    return len(data) + int(np.count_nonzero(data.terminated | data.truncated)) + 1


def fill_replay(agent: DQNAgent, data: Transitions) -> None:
    """Put every transition into the agent's replay memory, in order (its capacity must hold them)."""
    capacity = agent.replay.main.capacity
    if capacity < replay_slots(data):
        raise ValueError(f"the replay memory has {capacity} slots; the dataset needs {replay_slots(data)}")
    for i in range(len(data)):
        agent.observe(
            Transition(
                data.obs[i],
                int(data.actions[i]),
                float(data.rewards[i]),
                data.next_obs[i],
                bool(data.terminated[i]),
                bool(data.truncated[i]),
            )
        )


def offline_dqn(
    agent: DQNAgent,
    data: Transitions,
    updates: int,
    *,
    progress: Callable[[RoundStats], None] | None = None,
    log_every: int = DQN_LOG_EVERY,
) -> OfflineResult:
    """``updates`` DQN updates on minibatches of the fixed dataset (its replay memory is filled first).

    Args:
        agent: a fresh agent whose replay memory can hold the whole dataset.
        data: the dataset.
        updates: gradient updates to make.
        progress: called every ``log_every`` updates, and after the last.
        log_every: updates between two rows of statistics.

    Returns:
        The agent's online network, statistics every ``log_every`` updates and the update count.
    """
    if updates < 1:
        raise ValueError(f"offline DQN needs at least one update, not {updates}")
    fill_replay(agent, data)
    if len(agent.replay) < agent.config.batch_size:
        raise ValueError(
            f"the dataset has {len(agent.replay)} usable transitions, fewer than one batch "
            f"({agent.config.batch_size})"
        )
    stats: list[RoundStats] = []
    losses: list[float] = []
    targets: list[float] = []
    start = agent.update_count
    for done in range(1, updates + 1):
        numbers = agent.update()
        losses.append(numbers["loss"])
        targets.append(numbers["mean_q"])
        if done % log_every == 0 or done == updates:
            row = RoundStats(
                round=done,
                mean_target=float(np.mean(targets)),
                loss=float(np.mean(losses)),
                mean_max_q=float(q_values(agent.network, data.obs, agent.device).max(axis=1).mean()),
                updates=agent.update_count - start,
            )
            stats.append(row)
            losses, targets = [], []
            if progress is not None:
                progress(row)
    return OfflineResult(network=agent.network, stats=stats, updates=agent.update_count - start)


def action_counts(data: Transitions, n_actions: int, n_states: int | None = None) -> np.ndarray:
    """How often the recorded play took each action: (n_actions,), or (n_states, n_actions) for a
    Discrete observation space of ``n_states`` states."""
    actions = data.actions.astype(np.int64)
    if n_states is None:
        return np.bincount(actions, minlength=n_actions)
    counts = np.zeros((n_states, n_actions), dtype=np.int64)
    np.add.at(counts, (data.obs.astype(np.int64).reshape(-1), actions), 1)
    return counts


@dataclass(frozen=True)
class ActionTrust:
    """One action: how often the data tried it, and what the learnt network thinks of it."""

    action: int
    count: int
    """times the recorded play took it"""
    mean_q: float
    """mean over the dataset's states of Q(s, action)"""
    mean_q_where_taken: float | None
    """mean of Q(s, action) over the states where the play took it (None: never taken)"""


def trust_table(
    network: nn.Module, data: Transitions, n_actions: int, device: torch.device | str = "cpu"
) -> list[ActionTrust]:
    """Per action, its count in the dataset beside the network's mean Q-value for it."""
    q = q_values(network, data.obs, device)
    counts = action_counts(data, n_actions)
    rows = []
    for action in range(n_actions):
        taken = data.actions == action
        rows.append(
            ActionTrust(
                action=action,
                count=int(counts[action]),
                mean_q=float(q[:, action].mean()),
                mean_q_where_taken=float(q[taken, action].mean()) if taken.any() else None,
            )
        )
    return rows
