"""The training settings of a run: one frozen dataclass, each field with its unit and meaning.

``main.py train`` builds it from a game's preset (``game.presets``), a TOML file and ``--set`` flags;
a run directory keeps it in ``config.json`` (:meth:`TrainConfig.to_dict`, :meth:`TrainConfig.from_dict`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.dqn_config import DQNConfig
from agents.observations import LAYOUTS
from agents.schedules import LinearSchedule


@dataclass(frozen=True)
class TrainConfig:
    """How to train: budget, pace of learning, exploration, evaluation and saving. Steps are agent steps."""

    total_steps: int = 50_000
    """agent steps to train for, summed over environments"""
    num_envs: int = 1
    """environments stepped side by side"""
    learning_starts: int = 1_000
    """agent steps of experience before the first update"""
    train_every: int = 1
    """agent steps per update (4 with batch 32 = 8 samples per step, as in the DQN papers)"""
    epsilon_start: float = 1.0
    """exploration at step 0"""
    epsilon_end: float = 0.05
    """exploration after the decay (of environment 0, the one on screen)"""
    epsilon_end_max: float | None = None
    """when set, the environments' final explorations spread geometrically from epsilon_end
    (environment 0) to this (the last), as the actors of Ape-X do: most play near-greedy, a few
    keep trying other actions; None: every environment ends at epsilon_end"""
    epsilon_decay_steps: int = 10_000
    """agent steps over which epsilon falls linearly"""
    eval_epsilon: float = 0.01
    """exploration while evaluating"""
    eval_every_steps: int = 10_000
    """agent steps between evaluations (0 = never)"""
    eval_episodes: int = 5
    """episodes per evaluation"""
    eval_max_steps: int = 27_000
    """an evaluation episode longer than this many agent steps is cut"""
    checkpoint_every_steps: int = 10_000
    """agent steps between checkpoints"""
    keep_checkpoints: int = 3
    """periodic checkpoints kept besides latest.pt"""
    save_replay: bool = True
    """save the replay memory with each checkpoint so a resume continues with it"""
    clip_rewards: bool = False
    """learn from sign(reward) (Atari); returns are reported unclipped"""
    seed: int = 0
    """seed of the environments (env i gets seed + i)"""
    overlap: bool = True
    """learn while the environments step, where the pool steps in threads of its own (Atari)"""
    actors: int = 0
    """Ape-X actors playing for one learner (``agents.apex``; ``--actors`` on Ray): each plays
    ``num_envs`` environments; 0: the run plays its games itself"""
    obs_layout: str = "auto"
    """how a gymnasium game's observations are read: auto (detected, ``agents.observations``), chw,
    hwc (channels-last images, transposed) or vector (flattened)"""
    dqn: DQNConfig = field(default_factory=DQNConfig)
    """the agent's settings"""

    def __post_init__(self) -> None:
        # A zero or negative count would end in a ZeroDivisionError, an IndexError or a silent no-op.
        for name in ("total_steps", "num_envs", "train_every", "eval_episodes", "eval_max_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in (
            "learning_starts",
            "epsilon_decay_steps",
            "eval_every_steps",
            "checkpoint_every_steps",
            "keep_checkpoints",
            "seed",
            "actors",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, not {getattr(self, name)}")
        for name in ("epsilon_start", "epsilon_end", "eval_epsilon"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)}")
        if self.epsilon_end_max is not None and not self.epsilon_end < self.epsilon_end_max <= 1.0:
            raise ValueError(
                f"epsilon_end_max must be above epsilon_end ({self.epsilon_end}) and at most 1, "
                f"not {self.epsilon_end_max}"
            )
        if self.obs_layout not in LAYOUTS:
            raise ValueError(f"obs_layout must be one of {', '.join(LAYOUTS)}, not {self.obs_layout!r}")
        if self.epsilon_end_max is not None and self.epsilon_end <= 0.0:
            raise ValueError("epsilon_end must be above 0 when epsilon_end_max spreads it geometrically")

    def to_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "dqn"}
        return {**values, "dqn": self.dqn.to_dict()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        values = dict(values)
        dqn = DQNConfig.from_dict(values.pop("dqn", {}))
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown training settings {sorted(unknown)}")
        return cls(**values, dqn=dqn)

    def epsilon(self, step: int) -> float:
        """Environment 0's exploration at ``step``."""
        return LinearSchedule(self.epsilon_start, self.epsilon_end, self.epsilon_decay_steps)(step)

    def epsilon_ends(self) -> np.ndarray:
        """Each environment's exploration after the decay."""
        if self.epsilon_end_max is None or self.num_envs == 1:
            return np.full(self.num_envs, self.epsilon_end)
        return self.epsilon_end * (self.epsilon_end_max / self.epsilon_end) ** np.linspace(
            0.0, 1.0, self.num_envs
        )

    def epsilons(self, step: int) -> np.ndarray:
        """Each environment's exploration at ``step``: the same linear decay towards its own end."""
        fraction = LinearSchedule(0.0, 1.0, self.epsilon_decay_steps)(step)
        return self.epsilon_start + fraction * (self.epsilon_ends() - self.epsilon_start)
