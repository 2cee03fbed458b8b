"""Pong: physics rules with exact values, the built-in opponent and the mirrored view.

What every home-made game must do (check_env, determinism, frames, keys) is in test_games_contract.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from game.arcade import pong
from game.arcade.pong import DOWN, NOOP, UP, PongEnv


def play_ball(env: PongEnv, x: float, y: float, vx: float, vy: float) -> None:
    """Put the ball in play at (x, y) with velocity (vx, vy), pixels."""
    env.serve_timer = 0
    env.ball = np.array([x, y])
    env.ball_velocity = np.array([vx, vy])


def tracker(aim: float = 0.0):
    """A policy that keeps its paddle at the ball's height (plus ``aim``, in court units)."""

    def policy(obs: np.ndarray, mask: np.ndarray | None = None) -> int:
        gap = obs[1] - (obs[4] + aim)
        return NOOP if abs(gap) < 0.015 else DOWN if gap > 0 else UP

    return policy


def test_frame_is_the_court_size() -> None:
    env = PongEnv()
    env.reset(seed=0)
    assert env.render().shape == (pong.HEIGHT, pong.WIDTH, 3)


def test_keys_meanings_and_players() -> None:
    env = PongEnv()
    keys = env.get_keys_to_action()
    assert keys[()] == NOOP and keys[("up",)] == UP and keys[("down",)] == DOWN
    assert env.get_action_meanings() == ["NOOP", "UP", "DOWN"]
    assert PongEnv.players == 2 and not PongEnv.turn_based


def test_serve_waits_then_launches_at_serve_speed() -> None:
    env = PongEnv()
    obs, _ = env.reset(seed=3)
    assert obs[2] == obs[3] == 0.0 and obs[0] == pytest.approx(0.5)
    for _ in range(pong.SERVE_DELAY_STEPS):
        obs, *_ = env.step(NOOP)
    assert abs(env.ball_velocity[0]) == pytest.approx(pong.SERVE_SPEED)
    assert abs(env.ball_velocity[1]) <= pong.SERVE_SLOPE * pong.SERVE_SPEED


def test_centre_hit_returns_flat_and_faster() -> None:
    env = PongEnv(opponent=lambda obs, mask: NOOP)
    env.reset(seed=0)
    face = env._paddle_face("right") - pong.BALL_RADIUS
    y = env.paddle_y["right"]
    play_ball(env, face - 2.0, y, 3.0, 0.0)
    env.step(NOOP)
    assert env.ball_velocity[0] == pytest.approx(-(3.0 + pong.SPEEDUP_PER_HIT))
    assert env.ball_velocity[1] == pytest.approx(0.0)
    assert env.ball[0] == pytest.approx(face)


def test_edge_hit_returns_steep() -> None:
    env = PongEnv(opponent=lambda obs, mask: NOOP)
    env.reset(seed=0)
    face = env._paddle_face("right") - pong.BALL_RADIUS
    reach = pong.PADDLE_HEIGHT / 2 + pong.BALL_RADIUS
    play_ball(env, face - 1.0, env.paddle_y["right"] + reach, 2.0, 0.0)  # the very bottom edge
    env.step(NOOP)
    speed = 2.0 + pong.SPEEDUP_PER_HIT
    assert env.ball_velocity[0] == pytest.approx(-speed)
    assert env.ball_velocity[1] == pytest.approx(pong.MAX_BOUNCE_SLOPE * speed)


def test_ball_speed_is_capped() -> None:
    env = PongEnv(opponent=lambda obs, mask: NOOP)
    env.reset(seed=0)
    face = env._paddle_face("right") - pong.BALL_RADIUS
    play_ball(env, face - 1.0, env.paddle_y["right"], pong.MAX_BALL_SPEED, 0.0)
    env.step(NOOP)
    assert env.ball_velocity[0] == pytest.approx(-pong.MAX_BALL_SPEED)


def test_top_wall_bounces() -> None:
    env = PongEnv(opponent=lambda obs, mask: NOOP)
    env.reset(seed=0)
    top = pong.COURT_TOP + pong.BALL_RADIUS
    play_ball(env, pong.WIDTH / 2, top + 1.0, 2.0, -3.0)
    env.step(NOOP)
    assert env.ball_velocity[1] == pytest.approx(3.0)
    assert env.ball[1] == pytest.approx(top + 2.0)


def test_missing_costs_a_point_and_scoring_earns_one() -> None:
    env = PongEnv(opponent=lambda obs, mask: NOOP)
    env.reset(seed=0)
    env.paddle_y["right"] = pong.COURT_TOP + pong.PADDLE_HEIGHT / 2  # far from the ball
    play_ball(env, pong.WIDTH - 1.0, pong.COURT_BOTTOM - 10.0, 2.0, 0.0)
    obs, reward, terminated, truncated, info = env.step(NOOP)
    assert (reward, terminated, truncated) == (-1.0, False, False)
    assert info["score"] == 0 and info["opponent_score"] == 1
    assert obs[0] == pytest.approx(0.5) and obs[2] == 0.0  # the next serve waits at the centre

    env.paddle_y["left"] = pong.COURT_TOP + pong.PADDLE_HEIGHT / 2
    play_ball(env, 1.0, pong.COURT_BOTTOM - 10.0, -2.0, 0.0)
    _, reward, _, _, info = env.step(NOOP)
    assert reward == 1.0 and info["score"] == 1
    assert env.serve_toward == "left"  # toward the side that lost the point


def test_game_ends_at_points_to_win_and_truncates_at_step_limit() -> None:
    env = PongEnv(points_to_win=2, opponent=lambda obs, mask: NOOP)
    env.reset(seed=0)
    env.points["right"] = 1
    env.paddle_y["left"] = pong.COURT_TOP + pong.PADDLE_HEIGHT / 2
    play_ball(env, 1.0, pong.COURT_BOTTOM - 10.0, -2.0, 0.0)
    _, reward, terminated, truncated, _ = env.step(NOOP)
    assert (reward, terminated, truncated) == (1.0, True, False)

    env = PongEnv(max_episode_steps=10)
    env.reset(seed=0)
    results = [env.step(NOOP)[2:4] for _ in range(10)]
    assert results[-1] == (False, True) and all(r == (False, False) for r in results[:-1])


def test_builtin_opponent_returns_balls_but_can_be_beaten() -> None:
    env = PongEnv()
    returned = 0
    for seed in range(6):
        env.reset(seed=seed)
        env._new_serve(toward="left")
        for _ in range(pong.SERVE_DELAY_STEPS + 150):
            env.step(NOOP)
            if env.ball_velocity[0] > 0 and env.ball[0] < pong.WIDTH / 2:
                returned += 1
                break
    assert returned == 6  # a slow serve always comes back

    obs, _ = env.reset(seed=1)
    policy, points = tracker(aim=0.08), 0  # hit with the paddle's edge: steep, fast balls
    for _ in range(3000):
        obs, reward, terminated, _, _ = env.step(policy(obs))
        points += reward > 0
        if terminated:
            break
    assert points >= 2


def test_opponent_sees_the_mirror_image() -> None:
    env = PongEnv()
    env.reset(seed=0)
    play_ball(env, 60.0, 100.0, -2.5, 1.5)
    env.paddle_y = {"left": 80.0, "right": 150.0}
    right, left = env.observation_for("right"), env.observation_for("left")
    assert left[0] == pytest.approx(1 - right[0]) and left[2] == pytest.approx(-right[2])
    assert left[1] == right[1] and left[3] == right[3]
    assert left[4] == right[5] and left[5] == right[4]
    assert right[2] < 0 < left[2]  # moving away from the right paddle, toward the left one

    seen = []
    env.set_opponent(lambda obs, mask: seen.append(obs) or NOOP)
    before = env.observation_for("left")
    env.step(NOOP)
    np.testing.assert_array_equal(seen[0], before)


def test_left_agent_gets_the_mirror_of_the_right_agent() -> None:
    right, left = PongEnv(agent_side="right"), PongEnv(agent_side="left")
    for env in (right, left):
        env.reset(seed=5)
        play_ball(env, 90.0, 70.0, 2.0, -1.0)
    np.testing.assert_allclose(left.observation_for("left"), right.observation_for("left"))
    assert right.observation_for("right")[0] == pytest.approx(90.0 / pong.WIDTH)
    assert left.observation_for("left")[0] == pytest.approx(1 - 90.0 / pong.WIDTH)


def test_one_policy_plays_both_sides() -> None:
    env = PongEnv(opponent=tracker())
    obs, _ = env.reset(seed=2)
    hits = {"left": 0, "right": 0}
    for _ in range(1500):
        vx = env.ball_velocity[0]
        obs, reward, *_ = env.step(tracker()(obs))
        assert reward == 0.0  # two trackers never miss a slow rally
        if vx * env.ball_velocity[0] < 0:
            hits["left" if vx < 0 else "right"] += 1
    assert hits["left"] >= 3 and hits["right"] >= 3


def test_policy_opponent_moves_the_left_paddle() -> None:
    env = PongEnv(opponent=lambda obs, mask: UP)
    env.reset(seed=0)
    for _ in range(60):
        env.step(DOWN)
    assert env.paddle_y["left"] == pytest.approx(pong.COURT_TOP + pong.PADDLE_HEIGHT / 2)
    assert env.paddle_y["right"] == pytest.approx(pong.COURT_BOTTOM - pong.PADDLE_HEIGHT / 2)


def test_unknown_agent_side_is_refused() -> None:
    with pytest.raises(ValueError):
        PongEnv(agent_side="top")
