"""DQNAgent: act / observe / update / state_dict, with Double DQN, n-step targets, priorities and a
DQfD large-margin loss on demonstrations.

The agent receives every collaborator already built (network, target network, replay memory,
optimizer); ``make_agent`` wires the usual ones from an observation space and a ``DQNConfig``.
The environment loop belongs to the trainer: it calls ``act_batch``, ``observe`` and ``update``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.nn import functional

from agents.acting import Act, ActBatch, epsilon_greedy_batch
from agents.dqn_config import DQNConfig
from agents.networks import ImageQNetwork, QParts, make_network
from agents.replay import Batch, ReplayMemory, Transition, observation_layout
from agents.schedules import ConstantSchedule, LinearSchedule, Schedule
from agents.update_trace import UpdateTrace

__all__ = [
    "DQNAgent",
    "DQNConfig",
    "NonFiniteUpdateError",
    "bf16_is_fast",
    "make_agent",
    "make_optimizer",
    "resolve_device",
]


class NonFiniteUpdateError(ArithmeticError):
    """An update met a non-finite loss, Q-value or gradient; it was not applied."""


def resolve_device(device: str) -> torch.device:
    """The torch device for "auto" (CUDA when present, else the CPU), "cpu" or "cuda"."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use 'auto' or 'cpu'.")
    return torch.device(device)


def bf16_is_fast(device: torch.device) -> bool:
    """Whether ``device`` computes in bfloat16 natively: a CUDA GPU that supports it, or a CPU with
    AVX-512 BF16 or AMX (oneDNN's test); elsewhere bfloat16 is emulated and slower than float32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):  # a torch built without oneDNN
            return False
    return False


def make_optimizer(parameters: Iterable[nn.Parameter], config: DQNConfig) -> torch.optim.Optimizer:
    """Adam, fused into one kernel where this torch supports it for the parameters' device."""
    parameters = list(parameters)
    try:
        return torch.optim.Adam(parameters, lr=config.learning_rate, eps=config.adam_eps, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(parameters, lr=config.learning_rate, eps=config.adam_eps)


class DQNAgent:
    """Deep Q-learning over injected collaborators.

    Args:
        network: online Q-network, (batch, *obs_shape) -> (batch, n_actions); a ``forward_parts``
            method, when present, also gives V(s) and advantages for the overlay.
        target_network: a copy of ``network`` used for bootstrapping.
        replay: the replay memory that ``observe`` fills and ``update`` samples.
        optimizer: optimizes ``network``'s parameters.
        config: the settings (gamma and n_step are the replay memory's business).
        beta: importance-sampling exponent as a function of the update count.
        seed: seed of the exploration generator.
    """

    def __init__(
        self,
        network: nn.Module,
        target_network: nn.Module,
        replay: ReplayMemory,
        optimizer: torch.optim.Optimizer,
        config: DQNConfig,
        *,
        beta: Schedule | None = None,
        seed: int = 0,
    ) -> None:
        if (replay.gamma, replay.n_step) != (config.gamma, config.n_step):
            raise ValueError(
                f"the replay memory computes targets with gamma={replay.gamma}, n_step={replay.n_step}, "
                f"but the config says gamma={config.gamma}, n_step={config.n_step}"
            )
        self.network = network
        self.target_network = target_network.requires_grad_(False)
        self.replay = replay
        self.optimizer = optimizer
        self.config = config
        self.beta = beta if beta is not None else ConstantSchedule(1.0)
        self.rng = np.random.default_rng(seed)
        self.device = next(network.parameters()).device
        self.bf16 = config.bf16_autocast and bf16_is_fast(self.device)
        """the update's forward passes run in bfloat16 (asked for, and native on this device)"""
        if self.bf16 and config.target_tau >= 1.0:
            # The target only runs under bfloat16 autocast, which would round its float32 weights
            # to bfloat16 on every update; stored rounded, it gives the same numbers 5-8% sooner
            # (benchmarks/update_cost.py). Soft updates need float32 to accumulate small steps.
            self.target_network.to(torch.bfloat16)
        self.update_count = 0
        self.statistics: dict[str, float] = {}
        """the numbers of the last update"""
        self._trace_request: tuple[int | None] | None = None  # (index,) for the next update to trace
        self.last_trace: UpdateTrace | None = None
        """the values of the latest update that was asked to be traced (``trace_next_update``)"""

    # ---------------------------------------------------------------- acting

    def act(self, obs: np.ndarray, epsilon: float) -> Act:
        """Epsilon-greedy action for one observation, with the Q-values of the same forward pass."""
        return self.act_batch(np.asarray(obs)[None], epsilon)[0]

    def act_batch(self, obs_batch: np.ndarray, epsilon: float | np.ndarray) -> ActBatch:
        """Epsilon-greedy actions for N observations at once; ``epsilon`` may differ per environment."""
        with torch.inference_mode():
            parts = self._forward_parts(torch.as_tensor(np.asarray(obs_batch), device=self.device))
        q_values = parts.q.float().cpu().numpy()
        actions, greedy, explored = epsilon_greedy_batch(q_values, epsilon, self.rng)
        return ActBatch(
            actions=actions,
            q_values=q_values,
            greedy_actions=greedy,
            explored=explored,
            values=None if parts.value is None else parts.value.float().cpu().numpy(),
            advantages=None if parts.advantages is None else parts.advantages.float().cpu().numpy(),
        )

    def q_values(self, obs_batch: np.ndarray | torch.Tensor, target: bool = False) -> torch.Tensor:
        """Q-values of the online (or the target) network for a batch, computed as the update computes
        them (in bfloat16 where the update is), as float32; no gradient."""
        network = self.target_network if target else self.network
        obs = torch.as_tensor(obs_batch, device=self.device)
        with torch.inference_mode(), torch.autocast(self.device.type, torch.bfloat16, enabled=self.bf16):
            return network(obs).float()

    def _forward_parts(self, obs: torch.Tensor) -> QParts:
        forward_parts = getattr(self.network, "forward_parts", None)
        return forward_parts(obs) if forward_parts is not None else QParts(self.network(obs), None, None)

    # ---------------------------------------------------------------- observing

    def observe(self, transition: Transition, stream: int = 0) -> int:
        """Remember one transition of environment ``stream``; returns its global replay index."""
        return self.replay.add(stream, transition)

    def observe_batch(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
        demo: np.ndarray | None = None,
    ) -> None:
        """Remember one transition per environment (row i belongs to environment i)."""
        self.replay.add_batch(obs, actions, rewards, next_obs, terminated, truncated, demo)

    # ---------------------------------------------------------------- learning

    def bootstrap(self, next_obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(a', Q_target(s', a')): a' = argmax_a Q_online(s', a) (Double DQN: the online network picks,
        the target network values) or argmax_a Q_target(s', a)."""
        next_q_target = self.target_network(next_obs).float()
        if self.config.double_dqn:
            next_action = self.network(next_obs).argmax(dim=1)
            return next_action, next_q_target.gather(1, next_action.unsqueeze(1)).squeeze(1)
        next_value, next_action = next_q_target.max(dim=1)
        return next_action, next_value

    def bellman_target(
        self, reward: torch.Tensor, discount: torch.Tensor, next_obs: torch.Tensor
    ) -> torch.Tensor:
        """y = R + gamma^k * Q_target(s', a') (see ``bootstrap``); ``discount`` (gamma^k, or 0 after
        termination) stops bootstrapping."""
        return reward + discount * self.bootstrap(next_obs)[1]

    def trace_next_update(self, index: int | None = None) -> None:
        """Have the next update keep its values in ``last_trace``, with the transition at global replay
        ``index`` in its batch (its first row; None: the batch as sampled). A transition that cannot
        be sampled by then is left out and the update is not traced."""
        self._trace_request = (index,)

    def cancel_trace(self) -> None:
        """Forget a trace asked for and not yet made."""
        self._trace_request = None

    def update(self) -> dict[str, float]:
        """One gradient step on a sampled batch; returns loss, mean Q, TD error, gradient norm, ...

        Raises:
            NonFiniteUpdateError: the loss, a Q-value or the gradient is NaN or infinite; neither the weights
                nor the priorities were changed.
        """
        config = self.config
        beta = self.beta(self.update_count)
        request, self._trace_request = self._trace_request, None
        traced_index = None if request is None else request[0]
        if traced_index is not None and not self.replay.is_sampleable(traced_index):
            request = traced_index = None  # overwritten, or its window is not complete yet
        if traced_index is None:
            batch = self.replay.sample(config.batch_size, beta=beta)
        else:
            batch = self.replay.sample(config.batch_size, beta=beta, include=np.array([traced_index]))
        obs, action, reward, next_obs, discount, weight, demo = self._tensors(batch)

        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            with torch.no_grad():
                next_action, next_value = self.bootstrap(next_obs)
                target = reward + discount * next_value
            q_values = self.network(obs).float()
        q_taken = q_values.gather(1, action.unsqueeze(1)).squeeze(1)
        td_error = target - q_taken
        if config.huber_delta > 0:
            per_sample = functional.huber_loss(q_taken, target, reduction="none", delta=config.huber_delta)
        else:
            per_sample = 0.5 * td_error.square()
        td_loss = (weight * per_sample).mean()
        margin_loss = (
            self.demo_margin_loss(q_values, action, demo)
            if config.demo_margin > 0
            else torch.zeros((), device=self.device)
        )
        loss = td_loss + config.demo_margin_weight * margin_loss

        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        max_norm = config.max_grad_norm if config.max_grad_norm > 0 else math.inf
        grad_norm = nn.utils.clip_grad_norm_(self.network.parameters(), max_norm)
        # One check before the step: NaN or inf weights would never come back, and NaN priorities
        # would break sampling for good.
        health = torch.stack([loss.detach(), q_values.detach().sum(), grad_norm.detach().float()])
        if not bool(torch.isfinite(health).all()):
            loss_value, q_sum, norm = health.tolist()
            raise NonFiniteUpdateError(
                f"update {self.update_count + 1}: loss {loss_value}, Q sum {q_sum}, gradient norm {norm}"
            )
        self.optimizer.step()

        abs_td = td_error.detach().abs()
        self.replay.update_priorities(batch.index, abs_td.cpu().numpy())
        self.update_count += 1
        if request is not None:
            self.last_trace = self._trace(
                batch, traced_index, obs, next_action, next_value, target, q_taken, td_error
            )
        if self.update_count % config.target_update_period == 0:
            self.refresh_target()

        numbers = torch.stack(
            [
                loss.detach(),
                td_loss.detach(),
                margin_loss.detach(),
                q_taken.detach().mean(),
                abs_td.mean(),
                grad_norm.detach().float(),
            ]
        ).tolist()
        names = ("loss", "td_loss", "margin_loss", "mean_q", "td_error", "grad_norm")
        self.statistics = dict(zip(names, numbers, strict=True))
        self.statistics.update(
            beta=beta, demo_share=float(batch.demo.mean()), updates=float(self.update_count)
        )
        return self.statistics

    def _trace(
        self,
        batch: Batch,
        traced_index: int | None,
        obs: torch.Tensor,
        next_action: torch.Tensor,
        next_value: torch.Tensor,
        target: torch.Tensor,
        q_taken: torch.Tensor,
        td_error: torch.Tensor,
    ) -> UpdateTrace:
        """The update's own tensors as numpy, and the first row's Q-value after the optimizer step."""
        with torch.no_grad(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            q_after = self.network(obs[:1]).float()[0, int(batch.action[0])]

        def numpy(tensor: torch.Tensor) -> np.ndarray:
            return tensor.detach().float().cpu().numpy()

        return UpdateTrace(
            update=self.update_count,
            index=batch.index.copy(),
            traced_row=None if traced_index is None else 0,
            obs=batch.obs,
            next_obs=batch.next_obs,
            action=batch.action.copy(),
            rewards=batch.rewards,
            steps=batch.steps,
            discount=batch.discount,
            truncated=batch.truncated,
            demo=batch.demo,
            weight=batch.weight,
            next_action=next_action.cpu().numpy().astype(np.int64),
            next_q_target=numpy(next_value),
            target=numpy(target),
            q_taken=numpy(q_taken),
            td_error=numpy(td_error),
            q_after=float(q_after),
            gamma=self.config.gamma,
            huber_delta=self.config.huber_delta,
            double_dqn=self.config.double_dqn,
        )

    def demo_margin_loss(
        self, q_values: torch.Tensor, action: torch.Tensor, demo: torch.Tensor
    ) -> torch.Tensor:
        """DQfD: max_a [Q(s, a) + l(a_E, a)] - Q(s, a_E), averaged over the batch's demonstrations."""
        margins = torch.full_like(q_values, self.config.demo_margin)
        margins.scatter_(1, action.unsqueeze(1), 0.0)
        q_expert = q_values.gather(1, action.unsqueeze(1)).squeeze(1)
        per_sample = (q_values + margins).max(dim=1).values - q_expert
        return (per_sample * demo).sum() / demo.sum().clamp(min=1.0)

    def _tensors(self, batch: Batch) -> tuple[torch.Tensor, ...]:
        def tensor(array: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(array)).to(self.device, non_blocking=True)

        return (
            tensor(batch.obs),
            tensor(batch.action),
            tensor(batch.reward),
            tensor(batch.next_obs),
            tensor(batch.discount),
            tensor(batch.weight),
            tensor(batch.demo.astype(np.float32)),
        )

    def refresh_target(self) -> None:
        """Blend target_tau of the online weights into the target (a hard copy when tau = 1)."""
        if self.config.target_tau >= 1.0:
            self.sync_target()
            return
        with torch.no_grad():
            for target, online in zip(
                self.target_network.parameters(), self.network.parameters(), strict=True
            ):
                target.lerp_(online, self.config.target_tau)

    def sync_target(self) -> None:
        """Copy the online weights into the target network."""
        self.target_network.load_state_dict(self.network.state_dict())

    # ---------------------------------------------------------------- persistence

    def state_dict(self) -> dict[str, Any]:
        """{"model": networks, update count and exploration state, "optimizer": optimizer state}."""
        model = {
            "network": self.network.state_dict(),
            "target_network": self.target_network.state_dict(),
            "update_count": self.update_count,
            "rng": self.rng.bit_generator.state,
        }
        return {"model": model, "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (tensors may be on any device)."""
        model = state["model"]
        self.network.load_state_dict(model["network"])
        self.target_network.load_state_dict(model["target_network"])
        self.update_count = int(model["update_count"])
        if "rng" in model:
            self.rng.bit_generator.state = model["rng"]
        if state.get("optimizer") is not None:
            self.optimizer.load_state_dict(state["optimizer"])


def make_agent(
    obs_space: gym.Space,
    action_space: gym.Space,
    config: DQNConfig,
    device: str | None = None,
    *,
    n_streams: int = 1,
    frame_stack: bool | None = None,
) -> DQNAgent:
    """Wire a DQNAgent: network and target on the device, Adam, replay memory for ``n_streams`` envs.

    Args:
        obs_space: Box or Discrete observation space.
        action_space: Discrete action space.
        config: the settings.
        device: overrides ``config.device`` when given.
        n_streams: parallel environments that will feed the replay memory.
        frame_stack: store observations as single frames (None = decide from the space).
    """
    if not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(f"DQN needs a Discrete action space, not {action_space}.")
    torch_device = resolve_device(device or config.device)
    torch.manual_seed(config.seed)
    n_actions = int(action_space.n)
    network = make_network(obs_space, n_actions, config.network, config.dueling, config.hidden)
    if config.channels_last and isinstance(network, ImageQNetwork):
        network.to_channels_last()
    network.to(torch_device)
    target_network = copy.deepcopy(network)
    optimizer = make_optimizer(network.parameters(), config)

    obs_shape, obs_dtype, stacked = observation_layout(obs_space)
    replay = ReplayMemory(
        obs_shape,
        capacity=config.replay_capacity,
        n_streams=n_streams,
        obs_dtype=obs_dtype,
        frame_stack=stacked if frame_stack is None else frame_stack,
        n_step=config.n_step,
        gamma=config.gamma,
        demo_capacity=config.demo_capacity,
        demo_fraction=config.demo_fraction,
        prioritized=config.prioritized,
        priority_alpha=config.priority_alpha,
        priority_epsilon=config.priority_epsilon,
        seed=config.seed,
    )
    beta = LinearSchedule(config.priority_beta_start, 1.0, config.priority_beta_updates)
    return DQNAgent(network, target_network, replay, optimizer, config, beta=beta, seed=config.seed)
