"""Scripted players: a plain rule per game that plays it well, and ``record_scripted`` to record their
play through the same :class:`~game.modes.recording.Recorder` a person's goes through (for tests and
reports on learning offline).

- Catch: move the basket towards the fruit's column.
- Runner: jump when the next obstacle is near, duck under a high bird.
- GridWorld: the greedy policy of value iteration on the env's own transition model (``env.P``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from game.arcade.catch import LEFT, NOOP, RIGHT
from game.modes.dataset_writes import SaveResult
from game.modes.recording import Recorder

RUNNER_JUMP_DISTANCE = 0.18  # jump when the next obstacle is this near (share of the visible range)
RUNNER_HIGH_BIRD = 0.6  # a bird whose top is above this (share of 40 px) flies high: duck under it
GRID_GAMMA = 0.99  # discount of the value iteration behind the grid world's expert
GRID_SWEEPS = 500  # value-iteration sweeps at most
GRID_TOLERANCE = 1e-8  # stop sweeping once no value moves more than this

Policy = Callable[[Any], int]


def catch_expert(obs: np.ndarray) -> int:
    """Catch: step towards the fruit's column, stay under it."""
    fruit_column, basket_column = float(obs[1]), float(obs[2])
    if fruit_column < basket_column - 1e-6:
        return LEFT
    if fruit_column > basket_column + 1e-6:
        return RIGHT
    return NOOP


def runner_expert(obs: np.ndarray) -> int:
    """Runner: 0 run, 1 jump, 2 duck (observation layout in ``game.arcade.runner``)."""
    distance, top, bird, feet = float(obs[0]), float(obs[2]), float(obs[3]), float(obs[8])
    if not -0.05 <= distance <= RUNNER_JUMP_DISTANCE:
        return 0
    if bird > 0.5 and top > RUNNER_HIGH_BIRD:
        return 2
    return 1 if feet <= 0.0 else 0


def gridworld_expert(env: gym.Env) -> Policy:
    """The greedy policy of value iteration on the grid world's transition model."""
    model = env.unwrapped.P
    n_states, n_actions = len(model), len(model[0])
    values = np.zeros(n_states)
    for _ in range(GRID_SWEEPS):
        q = _backup(model, values, n_states, n_actions)
        new_values = q.max(axis=1)
        done = np.abs(new_values - values).max() < GRID_TOLERANCE
        values = new_values
        if done:
            break
    best = _backup(model, values, n_states, n_actions).argmax(axis=1)
    return lambda obs: int(best[int(obs)])


def _backup(model: dict, values: np.ndarray, n_states: int, n_actions: int) -> np.ndarray:
    q = np.zeros((n_states, n_actions))
    for s in range(n_states):
        for a in range(n_actions):
            q[s, a] = sum(
                p * (r + (0.0 if end else GRID_GAMMA * values[s2])) for p, s2, r, end in model[s][a]
            )
    return q


def expert_for(game_id: str, env: gym.Env) -> Policy:
    """The scripted player of a game that has one.

    Raises:
        KeyError: the game has no scripted player.
    """
    if game_id == "catch":
        return catch_expert
    if game_id == "runner":
        return runner_expert
    if game_id == "gridworld":
        return gridworld_expert(env)
    raise KeyError(f"no scripted player for {game_id!r}; there is one for catch, runner and gridworld")


def record_scripted(
    game_id: str,
    policy: Policy,
    episodes: int,
    data_dir: str | os.PathLike | None = None,
    *,
    seed: int = 0,
    epsilon: float = 0.0,
    algorithm: str = "scripted player",
) -> SaveResult:
    """Play ``episodes`` episodes of ``game_id`` with ``policy`` through a :class:`Recorder`, and save.

    Args:
        game_id: a catalog game.
        policy: observation -> action.
        episodes: episodes to play.
        data_dir: the Minari dataset root (None: the data folder's datasets/, ``game.places``).
        seed: episode i starts from ``reset(seed=seed + i)``; the random actions use it too.
        epsilon: share of steps played with a random action instead (as a person slips).
        algorithm: Minari's ``algorithm_name`` for the dataset.
    """
    from game.catalog import find_game

    if episodes < 1:
        raise ValueError(f"record_scripted plays at least one episode, not {episodes}")
    spec = find_game(game_id)
    env = spec.make_env("train")
    rng = np.random.default_rng(seed)
    try:
        recorder = Recorder.for_env(spec.id, env, data_dir, algorithm=algorithm)
        recorder.start()
        for episode in range(episodes):
            obs, _ = env.reset(seed=seed + episode)
            done = False
            while not done:
                explore = rng.random() < epsilon
                action = int(rng.integers(env.action_space.n)) if explore else int(policy(obs))
                next_obs, reward, terminated, truncated, _ = env.step(action)
                recorder.add(obs, action, float(reward), next_obs, terminated, truncated)
                done = terminated or truncated
                obs = next_obs
        result = recorder.stop()
    finally:
        env.close()
    assert result is not None, "at least one episode was played"
    return result
