"""Catch: rules with exact values, board sizes and key bindings.

What every home-made game must do (check_env, determinism, frames, keys) is in test_games_contract.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from game.arcade.catch import LEFT, NOOP, RIGHT, CatchEnv


def _steer(env: CatchEnv, obs: np.ndarray) -> int:
    """The perfect policy: move the basket towards the fruit's column."""
    fruit, basket = round(obs[1] * (env.columns - 1)), round(obs[2] * (env.columns - 1))
    return NOOP if fruit == basket else (RIGHT if fruit > basket else LEFT)


def _play(env: CatchEnv, policy) -> tuple[list[float], list[bool], list[bool]]:
    obs, _ = env.reset(seed=3)
    rewards, terms, truncs = [], [], []
    while True:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        rewards.append(reward)
        terms.append(terminated)
        truncs.append(truncated)
        if terminated or truncated:
            return rewards, terms, truncs


def test_catching_gives_plus_one_and_ends_the_episode_after_rows_minus_one_steps():
    env = CatchEnv()
    rewards, terms, truncs = _play(env, lambda obs: _steer(env, obs))
    assert rewards == [0.0] * 8 + [1.0]
    assert terms == [False] * 8 + [True]
    assert not any(truncs)


def test_missing_gives_minus_one():
    env = CatchEnv()
    obs, _ = env.reset(seed=3)
    fruit = round(obs[1] * 4)
    away = LEFT if fruit >= 2 else RIGHT  # run to the far wall, away from the fruit
    rewards, terms, _ = _play(env, lambda obs: away)
    assert rewards == [0.0] * 8 + [-1.0]
    assert terms[-1]


def test_observation_tracks_fruit_and_basket():
    env = CatchEnv()
    obs, _ = env.reset(seed=0)
    assert obs.dtype == np.float32 and obs.shape == (3,)
    assert obs[0] == 0.0  # the fruit starts in the top row
    basket = round(obs[2] * 4)
    obs2, *_ = env.step(LEFT)
    assert obs2[0] == pytest.approx(1 / 9)
    assert obs2[1] == obs[1]  # fruit falls straight down
    assert round(obs2[2] * 4) == max(0, basket - 1)


def test_basket_stops_at_the_wall():
    env = CatchEnv()
    env.reset(seed=0)
    for _ in range(6):
        obs, *_ = env.step(RIGHT)
    assert obs[2] == 1.0


def test_several_fruits_per_episode_and_the_tally():
    env = CatchEnv(fruits_per_episode=3)
    obs, info = env.reset(seed=5)
    assert info == {"catches": 0, "misses": 0}
    total, steps = 0.0, 0
    while True:
        obs, reward, terminated, truncated, info = env.step(_steer(env, obs))
        total, steps = total + reward, steps + 1
        if terminated or truncated:
            break
    assert (total, steps, terminated) == (3.0, 27, True)
    assert info == {"catches": 3, "misses": 0}
    _, info = env.reset()  # an unseeded reset keeps the tally on screen
    assert info["catches"] == 3
    _, info = env.reset(seed=5)  # a seeded reset starts a fresh tally
    assert info["catches"] == 0


def test_truncation_after_max_episode_steps():
    env = CatchEnv(fruits_per_episode=10, max_episode_steps=12)
    env.reset(seed=0)
    results = [env.step(NOOP) for _ in range(12)]
    assert [r[3] for r in results] == [False] * 11 + [True]
    assert not any(r[2] for r in results)


def test_step_after_the_end_needs_a_reset():
    env = CatchEnv()
    _play(env, lambda obs: NOOP)
    with pytest.raises(RuntimeError):
        env.step(NOOP)


def test_frame_fits_for_tiny_and_huge_boards():
    for rows, columns in ((3, 2), (30, 20)):
        big = CatchEnv(rows=rows, columns=columns)
        big.reset(seed=0)
        h, w, _ = big.render().shape
        assert 120 <= h <= 420 and 120 <= w <= 420


def test_frame_changes_when_the_basket_moves():
    env = CatchEnv()
    env.reset(seed=0)
    before = env.render()
    env.step(LEFT if env.step(RIGHT)[0][2] > 0 else RIGHT)
    assert not np.array_equal(before, env.render())


def test_keys_and_meanings():
    env = CatchEnv()
    meanings = env.get_action_meanings()
    assert meanings == ["NOOP", "LEFT", "RIGHT"]
    keys = env.get_keys_to_action()
    assert keys[()] == NOOP
    assert keys[("left",)] == LEFT and keys[("right",)] == RIGHT
    assert set(keys.values()) == {NOOP, LEFT, RIGHT}


def test_too_few_rows_are_refused():
    with pytest.raises(ValueError):
        CatchEnv(rows=2)
