"""Tabular learning: value iteration by hand and against the Bellman equation, Q-learning to Q*."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from agents.schedules import ConstantSchedule, PowerSchedule
from agents.tabular import QTable, q_learning, value_iteration

SMALL_LAKE = ["SFF", "FHF", "FFG"]


def test_value_iteration_on_a_two_state_model_by_hand():
    model = {
        0: {0: [(1.0, 1, 0.0, False)], 1: [(1.0, 0, 1.0, True)]},
        1: {0: [(1.0, 1, 2.0, True)], 1: [(0.5, 0, 0.0, False), (0.5, 1, 0.0, False)]},
    }
    v, q = value_iteration(model, n_states=2, n_actions=2, gamma=0.9)
    # V(1) = 2 (take the terminal 2); V(0) = 0.9 * V(1) = 1.8 > 1; Q(1, 1) = 0.9 * (1.8 + 2) / 2.
    np.testing.assert_allclose(v, [1.8, 2.0])
    np.testing.assert_allclose(q, [[1.8, 1.0], [2.0, 0.9 * 3.8 / 2]])


def test_value_iteration_satisfies_the_bellman_optimality_equation_on_frozen_lake():
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True)
    model, n_states, n_actions, gamma = env.unwrapped.P, 16, 4, 0.95
    v, q = value_iteration(model, n_states, n_actions, gamma, theta=1e-12)
    for s in range(n_states):
        for a in range(n_actions):
            backup = sum(p * (r + (0.0 if done else gamma * v[s2])) for p, s2, r, done in model[s][a])
            assert q[s, a] == pytest.approx(backup, abs=1e-9)
    np.testing.assert_allclose(v, q.max(axis=1))
    assert 0.0 < v[0] < 1.0 and v[15] == 0.0  # the goal is absorbing and pays on entry


def test_q_table_update_by_hand():
    table = QTable(2, 3, gamma=0.5, learning_rate=ConstantSchedule(0.5))
    table.q[1] = [4.0, 2.0]
    td = table.update(0, 1, 1.0, 1, terminated=False)  # y = 1 + 0.5 * 4 = 3
    assert td == 3.0 and table.q[0, 1] == 1.5
    td = table.update(0, 1, 1.0, 1, terminated=True)  # y = 1
    assert td == pytest.approx(-0.5) and table.q[0, 1] == pytest.approx(1.25)


def test_q_table_accepts_any_hashable_observation_and_acts_epsilon_greedily():
    table = QTable(3, gamma=0.9, learning_rate=ConstantSchedule(1.0), seed=0)
    table.update(("x", 1), 2, 1.0, ("x", 2), terminated=True)
    act = table.act(("x", 1), epsilon=0.0)
    assert (act.action, act.greedy_action, act.explored) == (2, 2, False)
    np.testing.assert_allclose(act.q_values, [0.0, 0.0, 1.0])
    ties = {table.act(("new",), epsilon=0.0).greedy_action for _ in range(50)}
    assert ties == {0, 1, 2}  # equal values are broken at random


def test_q_learning_converges_to_value_iteration_on_a_small_slippery_lake():
    env = gym.make("FrozenLake-v1", desc=SMALL_LAKE, is_slippery=True, success_rate=0.8)
    _, q_star = value_iteration(env.unwrapped.P, 9, 4, gamma=0.9)
    table = q_learning(
        env,
        episodes=10_000,
        gamma=0.9,
        epsilon=ConstantSchedule(1.0),  # off-policy: a random walk still learns Q*
        learning_rate=PowerSchedule(1.0, 0.8),
        per_pair_steps=True,
        seed=0,
    )
    assert np.max(np.abs(table.as_array() - q_star)) < 0.05
