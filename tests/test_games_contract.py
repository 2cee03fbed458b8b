"""The contract every home-made game keeps: check_env, same-seed determinism, frames, keys, labels."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from game.arcade import ARCADE_GAMES
from game.catalog import action_labels, find_game, key_bindings

ARCADE_IDS = sorted(ARCADE_GAMES)


def rollout(env: gym.Env, seed: int, steps: int) -> list:
    """Observations, rewards, ends and frames of a seeded random rollout (actions from a seeded rng)."""
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    trace = [(np.array(obs, copy=True), env.render().copy())]
    for _ in range(steps):
        mask = info.get("action_mask")
        legal = np.flatnonzero(mask) if mask is not None else np.arange(env.action_space.n)
        obs, reward, terminated, truncated, info = env.step(int(rng.choice(legal)))
        trace.append((np.array(obs, copy=True), float(reward), terminated, truncated, env.render().copy()))
        if terminated or truncated:
            obs, info = env.reset()
    return trace


def traces_equal(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        all(np.array_equal(x, y) for x, y in zip(sa, sb, strict=True)) for sa, sb in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("game_id", ARCADE_IDS)
def test_check_env_is_clean(game_id):
    env = find_game(game_id).make_env()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # The render check needs a registered spec; frames are checked below instead.
        check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("game_id", ARCADE_IDS)
def test_same_seed_same_game(game_id):
    spec = find_game(game_id)
    first = rollout(spec.make_env(), seed=7, steps=300)
    again = rollout(spec.make_env(), seed=7, steps=300)
    other = rollout(spec.make_env(), seed=8, steps=300)
    assert traces_equal(first, again)
    assert not traces_equal(first, other)


@pytest.mark.parametrize("game_id", ARCADE_IDS)
def test_frames_are_rgb_pictures(game_id):
    env = find_game(game_id).make_env("play")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert 120 <= frame.shape[0] <= 420 and 120 <= frame.shape[1] <= 420
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) >= 4, "a picture, not a flat fill"


@pytest.mark.parametrize("game_id", ARCADE_IDS)
def test_every_action_has_a_name_and_a_key(game_id):
    env = find_game(game_id).make_env("play")
    n = env.action_space.n
    labels = action_labels(env)
    assert len(labels) == n and all(isinstance(x, str) and x == x.upper() and x for x in labels)
    bindings = key_bindings(env)
    assert all(0 <= a < n for a in bindings.values())
    assert all(keys == tuple(sorted(keys)) for keys in bindings)
    named = set(bindings.values())
    for action, label in enumerate(labels):
        assert action in named or label == "NOOP", f"{game_id}: no key plays {label}"
