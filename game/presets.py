"""Default training settings per game: the catalog names one preset for every game.

Each preset is a TrainConfig that learns its game on a two-core CPU; ``main.py train`` lets a
TOML file and flags override any field of it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from agents.dqn import DQNConfig
from agents.train_config import TrainConfig
from game.errors import UserError

PRESETS: dict[str, TrainConfig] = {
    # A 3-number state and 9-step episodes: solved within a few thousand steps.
    "catch": TrainConfig(
        total_steps=6_000,
        learning_starts=200,
        epsilon_decay_steps=1_500,
        eval_every_steps=1_000,
        eval_episodes=20,
        eval_epsilon=0.0,
        checkpoint_every_steps=2_000,
        dqn=DQNConfig(learning_rate=1e-3, target_update_period=100, replay_capacity=10_000, hidden=(64, 64)),
    ),
    # CartPole, Acrobot, MountainCar and other small vector games.
    "classic": TrainConfig(
        total_steps=60_000,
        learning_starts=1_000,
        epsilon_decay_steps=15_000,
        epsilon_end=0.02,
        eval_every_steps=5_000,
        eval_episodes=5,
        eval_epsilon=0.0,
        eval_max_steps=1_000,
        checkpoint_every_steps=10_000,
        dqn=DQNConfig(
            learning_rate=5e-4,
            batch_size=64,
            n_step=3,
            target_update_period=1,
            target_tau=0.01,
            replay_capacity=50_000,
            hidden=(128, 128),
        ),
    ),
    "snake": TrainConfig(
        total_steps=300_000,
        num_envs=4,
        learning_starts=5_000,
        train_every=4,
        epsilon_decay_steps=100_000,
        eval_every_steps=25_000,
        eval_episodes=10,
        checkpoint_every_steps=25_000,
        dqn=DQNConfig(learning_rate=5e-4, n_step=3, target_update_period=1_000, replay_capacity=100_000),
    ),
    "runner": TrainConfig(
        total_steps=60_000,
        learning_starts=2_000,
        epsilon_decay_steps=20_000,
        eval_every_steps=10_000,
        eval_episodes=5,
        checkpoint_every_steps=10_000,
        dqn=DQNConfig(
            learning_rate=5e-4, n_step=3, target_update_period=500, replay_capacity=50_000, hidden=(128, 128)
        ),
    ),
    "pong": TrainConfig(
        total_steps=300_000,
        num_envs=4,
        learning_starts=5_000,
        train_every=2,
        epsilon_decay_steps=100_000,
        eval_every_steps=25_000,
        eval_episodes=5,
        checkpoint_every_steps=25_000,
        dqn=DQNConfig(
            learning_rate=5e-4,
            n_step=3,
            target_update_period=1_000,
            replay_capacity=100_000,
            hidden=(128, 128),
        ),
    ),
    "gridworld": TrainConfig(
        total_steps=20_000,
        learning_starts=500,
        epsilon_decay_steps=10_000,
        eval_every_steps=2_000,
        eval_episodes=20,
        checkpoint_every_steps=5_000,
        dqn=DQNConfig(learning_rate=1e-3, target_update_period=200, replay_capacity=20_000, hidden=(64,)),
    ),
    "tictactoe": TrainConfig(
        total_steps=100_000,
        learning_starts=2_000,
        epsilon_decay_steps=40_000,
        eval_every_steps=10_000,
        eval_episodes=50,
        checkpoint_every_steps=20_000,
        dqn=DQNConfig(
            learning_rate=5e-4, target_update_period=500, replay_capacity=50_000, hidden=(128, 128)
        ),
    ),
    # Gymnasium games from elsewhere with small images (a side under 36 px): the small CNN, paced as Snake.
    "small_image": TrainConfig(
        total_steps=200_000,
        learning_starts=2_000,
        train_every=4,
        epsilon_decay_steps=60_000,
        eval_every_steps=20_000,
        eval_episodes=5,
        eval_max_steps=5_000,
        checkpoint_every_steps=20_000,
        dqn=DQNConfig(learning_rate=5e-4, n_step=3, target_update_period=1_000, replay_capacity=50_000),
    ),
    # Gymnasium games from elsewhere with large images: the Nature CNN, the Atari schedule unclipped.
    "image": TrainConfig(
        total_steps=1_000_000,
        num_envs=4,
        learning_starts=10_000,
        train_every=4,
        epsilon_end=0.01,
        epsilon_decay_steps=200_000,
        eval_every_steps=50_000,
        eval_episodes=5,
        checkpoint_every_steps=50_000,
        keep_checkpoints=2,
        dqn=DQNConfig(learning_rate=1e-4, n_step=3, target_update_period=1_000, replay_capacity=100_000),
    ),
    # The DQN papers' preprocessing with a faster schedule: 8 environments, 3-step Double DQN with
    # uniform replay, one batch of 32 every 8 agent steps (4 samples per step), learning while the
    # emulators step, updates in bfloat16 where the CPU or GPU does it natively. Adam at 2e-4: Pong
    # seeds 0, 1, 2 evaluated +18 at 31, 28.5 and 47 minutes, where 1e-4 brought one seed of the
    # three there within an hour (docs/RESULTS.md). Prioritized replay, at 1e-4, hovered near +5.
    "atari": TrainConfig(
        total_steps=2_000_000,
        num_envs=8,
        learning_starts=20_000,
        train_every=8,
        epsilon_end=0.01,
        epsilon_decay_steps=250_000,
        eval_every_steps=100_000,
        eval_episodes=8,
        checkpoint_every_steps=100_000,  # with each evaluation: a checkpoint costs about 5 s
        keep_checkpoints=2,
        clip_rewards=True,
        dqn=DQNConfig(
            learning_rate=2e-4,
            adam_eps=1.5e-4,
            n_step=3,
            target_update_period=1_000,
            replay_capacity=200_000,
            bf16_autocast=True,
        ),
    ),
}
# Atari Pong: the 2013 DQN network (1.6x the steps per second of the Nature CNN), epsilon down in
# 100k steps and 10-step returns; measured on Pong's seeds only (docs/RESULTS.md, "Toward +18").
PRESETS["atari-pong"] = dataclasses.replace(
    PRESETS["atari"],
    epsilon_decay_steps=100_000,
    dqn=dataclasses.replace(PRESETS["atari"].dqn, network="nips", n_step=10),
)


def preset(name: str) -> TrainConfig:
    return PRESETS[name]


def with_overrides(config: TrainConfig, overrides: dict[str, Any], source: str) -> TrainConfig:
    """``config`` with fields replaced; a [dqn] table (or 'dqn.x' keys) reaches the agent's settings.

    Raises:
        UserError: an unknown field or a value of the wrong type, named in one sentence.
    """
    values = config.to_dict()
    for key, value in overrides.items():
        if key == "dqn" and isinstance(value, dict):
            for sub, sub_value in value.items():
                _set(values["dqn"], sub, sub_value, f"dqn.{sub}", source)
        elif key.startswith("dqn."):
            _set(values["dqn"], key.removeprefix("dqn."), value, key, source)
        else:
            _set(values, key, value, key, source)
    try:
        return TrainConfig.from_dict(values)
    except (TypeError, ValueError) as error:
        raise UserError(f"The settings from {source} are not valid: {error}.") from error


def _set(values: dict[str, Any], key: str, value: Any, name: str, source: str) -> None:
    if key not in values or key == "dqn":
        known = ", ".join(sorted(k for k in values if k != "dqn"))
        raise UserError(f"Unknown setting '{name}' in {source}; known ones are: {known}.")
    current = values[key]
    if isinstance(value, str) and not isinstance(current, str):
        value = _parse(value, current, name, source)
    if isinstance(current, bool) and not isinstance(value, bool):
        raise UserError(f"Setting '{name}' in {source} must be true or false, not {value!r}.")
    if (
        isinstance(current, int)
        and not isinstance(current, bool)
        and isinstance(value, float)
        and value.is_integer()
    ):
        value = int(value)
    values[key] = value


def _parse(text: str, current: Any, name: str, source: str) -> Any:
    """A flag's text as the type of the setting it replaces."""
    try:
        if isinstance(current, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if isinstance(current, int):
            return int(float(text))
        if isinstance(current, float):
            return float(text)
        if current is None and _declared_type(name).startswith("float"):  # an optional number, unset
            return float(text)
        if isinstance(current, (list, tuple)) or current is None:
            return [int(x) for x in text.split(",") if x]
    except ValueError as error:
        raise UserError(f"Setting '{name}' in {source} cannot be {text!r}.") from error
    return text


def _declared_type(name: str) -> str:
    """The type a setting ('x' or 'dqn.x') is declared with, as written in its dataclass."""
    owner, field_name = (
        (DQNConfig, name.removeprefix("dqn.")) if name.startswith("dqn.") else (TrainConfig, name)
    )
    return str(next(f.type for f in dataclasses.fields(owner) if f.name == field_name))
