"""Runner: rules with exact values, poses and key bindings.

What every home-made game must do (check_env, determinism, frames, keys) is in test_games_contract.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from game.arcade.runner import (
    BIRD_BOTTOM,
    BIRD_TOP,
    BIRD_W,
    CACTI,
    DUCK,
    JUMP,
    JUMP_APEX,
    JUMP_SPEED,
    NOOP,
    START_SPEED,
    VIEW_PX,
    RunnerEnv,
    _Obstacle,
)


def _cactus(x: float, size: int = 3) -> _Obstacle:
    width, height = CACTI[size]  # the widest, tallest clump by default
    return _Obstacle(x, width, 0, height, bird=False)


def _bird(x: float) -> _Obstacle:
    return _Obstacle(x, BIRD_W, BIRD_BOTTOM, BIRD_TOP, bird=True)


def _env_with(*obstacles: _Obstacle) -> RunnerEnv:
    """A fresh game whose queue holds exactly these obstacles (then a far-away cactus)."""
    env = RunnerEnv()
    env.reset(seed=0)
    env._obstacles = [*obstacles, _cactus(10_000)]
    return env


def _play_until_reward(env: RunnerEnv, policy, steps: int = 200) -> tuple[float, bool, int]:
    """Play until the first non-zero reward: (reward, terminated, steps taken)."""
    obs = env._observation()
    for t in range(1, steps + 1):
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        if reward or terminated or truncated:
            return reward, terminated, t
    return 0.0, False, steps


def _when_near(action: int, within_px: float):
    """Take ``action`` while the next obstacle is within ``within_px`` ahead (or overhead), else NOOP."""
    return lambda obs: action if obs[0] * VIEW_PX <= within_px else NOOP


def _steps_to_scroll(px: float) -> int:
    """Steps until the world has scrolled more than ``px`` pixels: 4 px/step, +0.002 px/step each step."""
    t = 0
    while 4 * t + 0.001 * t * (t - 1) <= px:
        t += 1
    return t


def test_a_timed_jump_clears_every_cactus():
    for size, (width, _) in enumerate(CACTI):
        env = _env_with(_cactus(200, size))
        # +1 on the step the cactus's right edge passes the runner's left edge (x = 36).
        expected = _steps_to_scroll(200 + width - 36)
        assert _play_until_reward(env, _when_near(JUMP, 24)) == (1.0, False, expected)
    assert [_steps_to_scroll(200 + w - 36) for w, _ in CACTI] == [43, 44, 46, 46]


def test_running_into_a_cactus_crashes():
    env = _env_with(_cactus(200))
    reward, terminated, steps = _play_until_reward(env, lambda obs: NOOP)
    assert (reward, terminated) == (-1.0, True)
    assert steps == _steps_to_scroll(200 - 46) == 39  # hitboxes meet when the cactus's trunk reaches x = 46
    with pytest.raises(RuntimeError):
        env.step(NOOP)


def test_ducking_does_not_help_against_a_cactus():
    env = _env_with(_cactus(200, size=0))
    assert _play_until_reward(env, _when_near(DUCK, 60))[:2] == (-1.0, True)


def test_ducking_passes_under_a_bird():
    env = _env_with(_bird(200))
    assert _play_until_reward(env, _when_near(DUCK, 10)) == (1.0, False, _steps_to_scroll(200 + BIRD_W - 36))


def test_standing_or_jumping_into_a_bird_crashes():
    env = _env_with(_bird(200))
    assert _play_until_reward(env, lambda obs: NOOP)[:2] == (-1.0, True)
    for within_px in range(-40, 120, 4):  # whenever the jump starts, a bird cannot be cleared
        env = _env_with(_bird(200))
        assert _play_until_reward(env, _when_near(JUMP, within_px))[:2] == (-1.0, True), within_px


def test_jump_arc():
    env = _env_with()
    heights = []
    obs, *_ = env.step(JUMP)
    heights.append(obs[8] * JUMP_APEX)
    assert obs[9] == pytest.approx((JUMP_SPEED - 0.45) / JUMP_SPEED)
    while obs[8] > 0:
        obs, *_ = env.step(JUMP)  # JUMP in the air does nothing: no double jump
        heights.append(obs[8] * JUMP_APEX)
    assert len(heights) == 23
    assert max(heights) == pytest.approx(JUMP_APEX, abs=1e-4)
    assert heights[:3] == pytest.approx([4.95, 9.45, 13.5], abs=1e-4)
    assert obs[9] == 0.0


def test_duck_in_the_air_falls_faster_and_ducks_on_landing():
    env = _env_with()
    env.step(JUMP)
    steps = 1
    while True:
        obs, *_ = env.step(DUCK)
        steps += 1
        if obs[8] == 0.0:
            break
    assert steps < 23
    assert obs[10] == 0.0  # landing step: still in the jump pose
    obs, *_ = env.step(DUCK)
    assert obs[10] == 1.0
    obs, *_ = env.step(NOOP)
    assert obs[10] == 0.0  # standing up as soon as DUCK is released


def test_observation_describes_the_next_two_obstacles():
    env = _env_with(_bird(100), _cactus(250, size=1))
    obs = env._observation()
    assert obs.shape == (12,) and obs.dtype == np.float32
    assert obs[:4] == pytest.approx([(100 - 50) / VIEW_PX, 18 / 20, 34 / 40, 1.0])
    assert obs[4:8] == pytest.approx([(250 - 50) / VIEW_PX, 10 / 20, 20 / 40, 0.0])
    assert obs[8:12].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_speed_grows_and_obstacles_keep_coming():
    env = RunnerEnv()
    obs, _ = env.reset(seed=1)
    assert obs[11] == 0.0
    for _ in range(100):
        obs, *_ = env.step(DUCK)
        if obs[3] == 0.0:  # duck only under birds; stop before the first cactus
            break
    info = env._info()
    assert info["speed"] > START_SPEED
    assert sum(not o.passed for o in env._obstacles) >= 2


def test_truncation_after_max_episode_steps():
    env = RunnerEnv(max_episode_steps=5)
    env.reset(seed=0)
    results = [env.step(NOOP) for _ in range(5)]
    assert [r[3] for r in results] == [False] * 4 + [True]
    assert not any(r[2] for r in results)


def test_best_score_survives_unseeded_resets_only():
    env = _env_with(_cactus(200))
    assert _play_until_reward(env, _when_near(JUMP, 24))[0] == 1.0
    _, info = env.reset()
    assert (info["score"], info["best"]) == (0, 1)
    _, info = env.reset(seed=0)
    assert info["best"] == 0


def test_frame_size_and_poses():
    env = _env_with(_bird(120))
    assert env.render().shape == (144, 288, 3)
    runner_area = (slice(80, 118), slice(30, 64))
    standing = env.render()[runner_area]
    env.step(DUCK)
    ducking = env.render()[runner_area]
    env.step(JUMP)
    env.step(NOOP)
    jumping = env.render()[runner_area]
    assert not np.array_equal(standing, ducking) and not np.array_equal(ducking, jumping)


def test_keys_and_meanings():
    env = RunnerEnv()
    assert env.get_action_meanings() == ["NOOP", "JUMP", "DUCK"]
    keys = env.get_keys_to_action()
    assert keys[()] == NOOP
    assert keys[("up",)] == JUMP and keys[("space",)] == JUMP and keys[("down",)] == DUCK
    assert set(keys.values()) == {NOOP, JUMP, DUCK}
