"""GridWorld: exact rewards, walls, slip statistics against the public model P.

What every home-made game must do (check_env, determinism, frames, keys) is in test_games_contract.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from game.arcade import gridworld
from game.arcade.gridworld import DOWN, LEFT, RIGHT, UP, GridWorldEnv

TINY = ("S.#", ".PG")  # 2x3: start top-left, wall top-right, pit and goal below


def value_iteration(env: GridWorldEnv, gamma: float = 0.99) -> np.ndarray:
    """Q[s, a] under the optimal policy, computed from env.P alone."""
    v = np.zeros(env.n_states)
    for _ in range(500):
        q = np.zeros((env.n_states, env.n_actions))
        for s in range(env.n_states):
            for a in range(env.n_actions):
                q[s, a] = sum(p * (r + (0.0 if done else gamma * v[s2])) for p, s2, r, done in env.P[s][a])
        v = q.max(axis=1)
    return q


def test_render_shape_and_layout_sizes() -> None:
    for layout in (gridworld.DEFAULT_LAYOUT, TINY, ["S" + "." * 39] + ["." * 40] * 38 + ["." * 39 + "G"]):
        env = GridWorldEnv(layout=layout)
        env.reset(seed=0)
        h, w, _ = env.render().shape
        assert 120 <= h <= 420 and 120 <= w <= 420
        assert (h, w) == env.frame_size


def test_keys_meanings_and_players() -> None:
    env = GridWorldEnv()
    keys = env.get_keys_to_action()
    assert [keys[(k,)] for k in ("up", "right", "down", "left")] == [UP, RIGHT, DOWN, LEFT]
    assert env.get_action_meanings() == ["UP", "RIGHT", "DOWN", "LEFT"]
    assert GridWorldEnv.players == 1 and GridWorldEnv.turn_based  # no NOOP: it waits for a move


def test_state_index_is_row_times_width_plus_col() -> None:
    env = GridWorldEnv(layout=TINY)
    assert (env.n_states, env.n_actions) == (6, 4)
    assert env.state_to_pos(5) == (1, 2) and env.pos_to_state(1, 2) == 5
    assert env.reset(seed=0)[0] == 0 and env.tile(4) == "P" and env.tile(5) == "G"


def test_bridge_reaches_the_goal_with_exact_rewards() -> None:
    env = GridWorldEnv(slip=0.0)
    state, _ = env.reset(seed=0)
    assert env.state_to_pos(state) == (3, 0)
    rewards = []
    for _ in range(6):
        state, reward, terminated, truncated, info = env.step(RIGHT)
        rewards.append(reward)
    assert rewards == [-0.01] * 5 + [1.0]
    assert terminated and not truncated and env.state_to_pos(state) == (3, 6)
    assert info["episode_return"] == pytest.approx(0.95)


def test_pit_ends_the_episode_with_minus_one() -> None:
    env = GridWorldEnv(slip=0.0, step_reward=-0.04)
    env.reset(seed=0)
    env.step(RIGHT)
    env.step(RIGHT)
    state, reward, terminated, truncated, _ = env.step(UP)
    assert (env.state_to_pos(state), reward, terminated, truncated) == ((2, 2), -1.0, True, False)


def test_walls_and_edges_block() -> None:
    env = GridWorldEnv(slip=0.0)
    env.reset(seed=0)
    state, reward, terminated, _, _ = env.step(LEFT)  # the grid's edge
    assert (env.state_to_pos(state), reward, terminated) == ((3, 0), -0.01, False)
    env.step(RIGHT)
    state, reward, terminated, _, _ = env.step(UP)  # (2, 1) is a wall
    assert (env.state_to_pos(state), reward, terminated) == ((3, 1), -0.01, False)
    state, *_ = env.step(DOWN)  # (4, 1) is a wall too
    assert env.state_to_pos(state) == (3, 1)


def test_truncates_at_the_step_limit() -> None:
    env = GridWorldEnv(max_episode_steps=5)
    env.reset(seed=0)
    results = [env.step(LEFT)[2:4] for _ in range(5)]
    assert results == [(False, False)] * 4 + [(False, True)]


def test_model_has_frozenlake_format_and_absorbing_ends() -> None:
    env = GridWorldEnv()
    assert sorted(env.P) == list(range(env.n_states))
    for s in range(env.n_states):
        assert sorted(env.P[s]) == [UP, RIGHT, DOWN, LEFT]
        for a in range(4):
            entries = env.P[s][a]
            assert sum(p for p, *_ in entries) == pytest.approx(1.0)
            for p, s2, reward, terminated in entries:
                assert isinstance(p, float) and isinstance(s2, int)
                assert isinstance(reward, float) and isinstance(terminated, bool)
                assert env.tile(s2) != "#" or s2 == s
            if env.tile(s) in "#PG":
                assert entries == [(1.0, s, 0.0, True)]
    s = env.pos_to_state(3, 1)  # walls above and below: both sideways slips stay put, merged into one entry
    assert env.P[s][RIGHT] == [(0.9, s + 1, -0.01, False), (0.1, s, -0.01, False)]
    s = env.start_state  # floor above and below
    up, down = (0.05, s - 7, -0.01, False), (0.05, s + 7, -0.01, False)
    assert env.P[s][RIGHT] == [(0.9, s + 1, -0.01, False), up, down]


@pytest.mark.parametrize(("pos", "action"), [((3, 2), RIGHT), ((3, 1), UP), ((0, 0), LEFT), ((3, 5), RIGHT)])
def test_step_statistics_match_the_model(pos: tuple[int, int], action: int) -> None:
    env = GridWorldEnv(slip=0.3)
    env.reset(seed=123)
    s = env.pos_to_state(*pos)
    expected = {s2: (p, r, done) for p, s2, r, done in env.P[s][action]}
    counts: dict[int, int] = {}
    n = 4000
    for _ in range(n):
        env.state = s
        s2, reward, terminated, _, info = env.step(action)
        assert (reward, terminated) == expected[s2][1:]
        assert info["prob"] == pytest.approx(expected[s2][0])
        counts[s2] = counts.get(s2, 0) + 1
    assert set(counts) == set(expected)
    for s2, (p, _, _) in expected.items():
        assert counts[s2] / n == pytest.approx(p, abs=0.03)


def test_optimal_policy_depends_on_slip() -> None:
    risky = value_iteration(GridWorldEnv(slip=0.0))
    safe_env = GridWorldEnv(slip=0.1)
    safe = value_iteration(safe_env)
    start = safe_env.start_state
    assert risky[start].argmax() == RIGHT  # across the bridge
    assert safe[start].argmax() in (UP, DOWN)  # around the walls
    assert safe[start, UP] == pytest.approx(safe[start, DOWN])  # the two walks are mirror images


def test_cell_rect_matches_the_drawing() -> None:
    env = GridWorldEnv()
    env.reset(seed=0)
    frame = env.render()
    x, y, w, h = env.cell_rect(env.state)
    agent = np.all(frame == gridworld.AGENT, axis=-1)
    ys, xs = np.nonzero(agent)
    assert len(xs) > 0 and x <= xs.min() and xs.max() < x + w and y <= ys.min() and ys.max() < y + h
    rects = {env.cell_rect(s) for s in range(env.n_states)}
    assert len(rects) == env.n_states
    right_x, _, _, _ = env.cell_rect(env.state + 1)
    assert right_x == x + w


def test_bad_layouts_are_refused() -> None:
    for layout in (["S.", "."], ["..", ".G"], ["SG", "SG"], ["S.X", "..G"], []):
        with pytest.raises(ValueError):
            GridWorldEnv(layout=layout)
    with pytest.raises(ValueError):
        GridWorldEnv(slip=1.5)
