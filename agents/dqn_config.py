"""DQNConfig: every setting that shapes deep Q-learning, one documented field each."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NETWORK_KINDS = ("auto", "mlp", "nature", "nips", "small_cnn")
"""what ``network`` may name (``agents.networks.make_network`` builds each)"""

NETWORK_SHAPE = ("network", "dueling", "hidden")
"""the settings that decide a network's weights: a checkpoint loads only where they are its own"""


@dataclass(frozen=True)
class DQNConfig:
    """Everything that shapes learning. Step counts are in updates unless a name says otherwise."""

    gamma: float = 0.99
    """discount per agent step"""
    n_step: int = 1
    """rewards summed into one target (1 = the textbook one-step target)"""
    learning_rate: float = 1e-4
    """Adam step size"""
    adam_eps: float = 1.5e-4
    """Adam epsilon (Dopamine's value; larger than the default to tame rare huge steps)"""
    batch_size: int = 32
    """transitions per update"""
    target_update_period: int = 1000
    """updates between target-network refreshes"""
    target_tau: float = 1.0
    """share of the online weights blended into the target at a refresh (1 = hard copy)"""
    double_dqn: bool = True
    """choose the next action with the online network, value it with the target network"""
    huber_delta: float = 1.0
    """TD error beyond which the loss grows linearly (0 = squared error everywhere)"""
    max_grad_norm: float = 10.0
    """clip the global gradient norm to this (0 = no clipping)"""
    demo_margin: float = 0.0
    """DQfD large margin l(a_E, a) on demonstrations (0 = off)"""
    demo_margin_weight: float = 1.0
    """weight of the large-margin loss against the TD loss"""
    replay_capacity: int = 100_000
    """slots in the replay ring (about one per transition)"""
    demo_capacity: int = 0
    """slots kept for demonstrations apart from the ring (0 = demos share the ring)"""
    demo_fraction: float = 0.0
    """share of each batch drawn from the demonstrations"""
    prioritized: bool = False
    """prioritized replay (proportional) instead of uniform sampling"""
    priority_alpha: float = 0.6
    """how strongly priorities skew sampling"""
    priority_beta_start: float = 0.4
    """importance-sampling exponent at the first update; it rises linearly to 1"""
    priority_beta_updates: int = 100_000
    """updates over which beta rises to 1"""
    priority_epsilon: float = 1e-6
    """added to |TD error| so that no priority is zero"""
    network: str = "auto"
    """network kind: auto, mlp, nature, nips (the smaller 2013 DQN network) or small_cnn"""
    dueling: bool = False
    """dueling head: Q = V + A - mean(A)"""
    hidden: tuple[int, ...] | None = None
    """MLP hidden widths, or a CNN's dense width as a 1-tuple (None = the network's default)"""
    channels_last: bool = True
    """run convolutions in NHWC memory format (faster with oneDNN on the CPU)"""
    bf16_autocast: bool = False
    """run the update's forward passes in bfloat16 autocast where the device does bfloat16 natively
    (AVX-512 BF16 or AMX CPUs, CUDA GPUs); float32 elsewhere"""
    device: str = "auto"
    """auto (CUDA when present), cpu or cuda"""
    seed: int = 0
    """seed for weights, exploration and replay sampling"""

    def __post_init__(self) -> None:
        # Values that would crash deep inside an update, or learn nonsense, are refused here.
        for name in ("n_step", "batch_size", "target_update_period", "replay_capacity"):
            if getattr(self, name) < 1:
                raise ValueError(f"dqn.{name} must be at least 1, not {getattr(self, name)}")
        for name in ("demo_capacity", "huber_delta", "max_grad_norm", "demo_margin", "seed"):
            if getattr(self, name) < 0:
                raise ValueError(f"dqn.{name} must be 0 or more, not {getattr(self, name)}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"dqn.gamma must be in (0, 1], not {self.gamma}")
        for name in ("target_tau", "demo_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"dqn.{name} must be between 0 and 1, not {getattr(self, name)}")
        if self.network not in NETWORK_KINDS:
            raise ValueError(f"dqn.network must be one of {', '.join(NETWORK_KINDS)}, not {self.network!r}")
        if self.learning_rate < 0 or self.adam_eps <= 0:
            raise ValueError("dqn.learning_rate must be 0 or more and dqn.adam_eps positive")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy (tuples become lists)."""
        return dataclasses.asdict(self)

    def with_network_of(self, trained: Mapping[str, Any] | None) -> DQNConfig:
        """This config building the network that ``trained`` (another run's ``to_dict``) built, so that
        run's weights load; unchanged where ``trained`` is not a mapping (an old checkpoint)."""
        if not isinstance(trained, Mapping):
            return self
        shape = {name: trained[name] for name in NETWORK_SHAPE if name in trained}
        if isinstance(shape.get("hidden"), list):
            shape["hidden"] = tuple(shape["hidden"])
        return dataclasses.replace(self, **shape)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DQNConfig:
        """Rebuild a config from ``to_dict`` output; unknown keys are an error."""
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown DQN settings {sorted(unknown)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**values)
