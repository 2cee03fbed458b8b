"""Snake: rules with exact values, board sizes and key bindings.

What every home-made game must do (check_env, determinism, frames, keys) is in test_games_contract.py.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from game.arcade.snake import DIRECTIONS, DOWN, LEFT, NOOP, RIGHT, UP, SnakeEnv

OPPOSITE = {UP: DOWN, DOWN: UP, LEFT: RIGHT, RIGHT: LEFT}


def _head(obs: np.ndarray) -> tuple[int, int]:
    (r,), (c,) = np.nonzero(obs[1])
    return int(r), int(c)


def _heading(obs: np.ndarray) -> int:
    """The direction of travel, read from the observation: from the neck (body value 1.0) to the head."""
    (nr,), (nc,) = np.nonzero(obs[0] == 1.0)
    hr, hc = _head(obs)
    return next(a for a, d in DIRECTIONS.items() if d == (hr - nr, hc - nc))


def _set_up(env: SnakeEnv, snake: list[tuple[int, int]], heading: int, food: tuple[int, int]) -> None:
    """Put the board in a hand-made position (head first)."""
    env._snake = deque(snake)
    env._direction = DIRECTIONS[heading]
    env._food = food


def test_start_position_and_observation():
    env = SnakeEnv()
    obs, info = env.reset(seed=0)
    assert obs.shape == (3, 10, 10) and obs.dtype == np.float32
    assert info == {"score": 0, "length": 3}
    assert _head(obs) == (5, 5)
    assert sorted(obs[0][obs[0] > 0].tolist()) == [0.5, 1.0]  # neck 1.0, tail 1/(length-1)
    assert obs[2].sum() == 1.0 and (obs[2] * (obs[0] + obs[1])).sum() == 0  # one food, not on the snake


def test_noop_keeps_going_and_reversing_is_ignored():
    env = SnakeEnv()
    obs, _ = env.reset(seed=1)
    heading = _heading(obs)
    dr, dc = DIRECTIONS[heading]
    obs, *_ = env.step(NOOP)
    assert _head(obs) == (5 + dr, 5 + dc)
    obs, _, terminated, *_ = env.step(OPPOSITE[heading])
    assert _head(obs) == (5 + 2 * dr, 5 + 2 * dc) and not terminated


def test_turning():
    env = SnakeEnv()
    env.reset(seed=0)
    _set_up(env, [(5, 5), (5, 4), (5, 3)], RIGHT, food=(0, 0))
    obs, *_ = env.step(UP)
    assert _head(obs) == (4, 5)
    obs, *_ = env.step(LEFT)
    assert _head(obs) == (4, 4)


def test_eating_grows_the_snake_and_gives_plus_one():
    env = SnakeEnv()
    env.reset(seed=0)
    _set_up(env, [(5, 5), (5, 4), (5, 3)], RIGHT, food=(5, 6))
    obs, reward, terminated, truncated, info = env.step(NOOP)
    assert (reward, terminated, truncated) == (1.0, False, False)
    assert info == {"score": 1, "length": 4}
    assert _head(obs) == (5, 6)
    assert np.count_nonzero(obs[0]) == 3  # the tail stayed: 3 body cells + the head
    assert obs[0][5, 3] == pytest.approx(1 / 3)
    assert obs[2].sum() == 1.0 and obs[2][5, 6] == 0.0  # new food elsewhere
    obs, reward, *_ = env.step(NOOP)
    assert reward == 0.0 and np.count_nonzero(obs[0]) == 3  # moving on without food: length stays 4


def test_hitting_the_wall_gives_minus_one_and_terminates():
    env = SnakeEnv()
    env.reset(seed=0)
    _set_up(env, [(5, 8), (5, 7), (5, 6)], RIGHT, food=(0, 0))
    assert env.step(NOOP)[1:4] == (0.0, False, False)
    obs, reward, terminated, truncated, _ = env.step(NOOP)  # from column 9 into the wall
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert _head(obs) == (5, 9)
    with pytest.raises(RuntimeError):
        env.step(NOOP)


def test_biting_the_body_terminates_but_the_leaving_tail_is_free():
    env = SnakeEnv()
    env.reset(seed=0)
    # A 5-long snake curled so that turning DOWN hits its own body.
    _set_up(env, [(4, 4), (4, 5), (5, 5), (5, 4), (5, 3)], LEFT, food=(0, 0))
    assert env.step(DOWN)[1:3] == (-1.0, True)
    env.reset(seed=0)
    # A 4-long square: the head moves into the cell the tail leaves in the same step.
    _set_up(env, [(4, 4), (4, 5), (5, 5), (5, 4)], LEFT, food=(0, 0))
    obs, reward, terminated, *_ = env.step(DOWN)
    assert (reward, terminated, _head(obs)) == (0.0, False, (5, 4))


def test_step_penalty_and_hunger_truncation():
    env = SnakeEnv(step_penalty=0.01, max_steps_without_food=4)
    env.reset(seed=0)
    _set_up(env, [(5, 5), (6, 5), (7, 5)], UP, food=(9, 9))
    moves = [LEFT, DOWN, RIGHT, UP]  # a small loop that never meets the food
    results = [env.step(a) for a in moves]
    assert [r[1] for r in results] == [-0.01] * 4
    assert [r[3] for r in results] == [False, False, False, True]
    assert not any(r[2] for r in results)


def test_max_episode_steps_truncates():
    env = SnakeEnv(max_episode_steps=2)
    env.reset(seed=0)
    _set_up(env, [(5, 5), (6, 5), (7, 5)], UP, food=(9, 9))
    assert env.step(NOOP)[3] is False
    assert env.step(NOOP)[3] is True


def test_filling_the_board_wins():
    env = SnakeEnv(size=5)
    env.reset(seed=0)
    # A snake snaking through every cell but (0, 0), about to eat the last food there.
    cells = [(r, c if r % 2 == 0 else 4 - c) for r in range(5) for c in range(5)][1:]
    _set_up(env, [(0, 1), *cells[1:]], LEFT, food=(0, 0))
    obs, reward, terminated, truncated, info = env.step(NOOP)
    assert (reward, terminated, truncated, info["length"]) == (1.0, True, False, 25)
    assert obs[2].sum() == 0.0
    env.render()


def test_frame_fits_for_small_and_large_boards():
    for size in (5, 10, 24):
        env = SnakeEnv(size=size)
        env.reset(seed=0)
        h, w, _ = env.render().shape
        assert 120 <= h <= 420 and 120 <= w <= 420


def test_frame_shows_the_move():
    env = SnakeEnv()
    env.reset(seed=0)
    before = env.render()
    env.step(NOOP)
    assert not np.array_equal(before, env.render())


def test_keys_and_meanings():
    env = SnakeEnv()
    assert env.get_action_meanings() == ["NOOP", "UP", "RIGHT", "DOWN", "LEFT"]
    keys = env.get_keys_to_action()
    assert keys[()] == NOOP
    assert [keys[(k,)] for k in ("up", "right", "down", "left")] == [UP, RIGHT, DOWN, LEFT]
    assert set(keys.values()) == {NOOP, UP, RIGHT, DOWN, LEFT}


def test_too_small_a_board_is_refused():
    with pytest.raises(ValueError):
        SnakeEnv(size=4)
