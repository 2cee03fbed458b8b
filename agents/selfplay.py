"""Self-play Q-learning for turn-based two-player zero-sum games.

The learner plays against a copy of itself: one ``QTable`` picks the moves of *both* sides, each from
its own side of the board, and learns from *every* move either side makes (every ply). This works for
an environment that

- shows every observation from the side of the player about to move (a board where +1 means "mine"),
  so one table serves the first and the second player alike;
- takes the other side as a policy, ``env.unwrapped.set_opponent(policy)`` with
  ``policy(obs_from_its_side, action_mask) -> action``, and plays that policy's moves inside
  ``reset()`` and ``step()``;
- marks legal moves in ``info["action_mask"]`` and pays its rewards at the end of a game only
  (+1 win, -1 loss, 0 draw from the environment's player's side), as board games do.

## The update (negamax Q-learning)

A game is a chain of plies s_0, a_0, s_1, a_1, ..., each state s_i seen by the player about to move.
In a zero-sum game the position s_{i+1} is worth to the mover at s_i exactly minus what it is worth to
the opponent who moves there, so the Bellman target of ply i is

    y_i = r                                                if a_i ended the game (r: from the mover's side)
    y_i = -gamma * max_{b legal in s_{i+1}} Q(s_{i+1}, b)  otherwise
    Q(s_i, a_i) += alpha * (y_i - Q(s_i, a_i))

with the max taken over the opponent's legal replies only (the mask of s_{i+1}, not of s_i).

## Why this converges (and why not a frozen snapshot)

The target maximises over the opponent's replies instead of using the reply the exploring copy
happened to play, so the update is off-policy for both sides: its fixed point is the minimax
(negamax) value Q*, whatever exploration generated the games. A tic-tac-toe ply is deterministic and
the game tree is finite and acyclic, so this is asynchronous value iteration on the tree: once every
legal (state, move) pair keeps being visited, the values settle from the last ply back to the first,
and with ``alpha = 1`` each backup is exact. Updating a finished game last ply first carries the
result to the opening in one game. A frozen snapshot of the copy would buy no stability, since the
copy's actual moves never enter a target; it would only play stale moves and waste its plies. Learning
from one side only, with the copy's reply part of the environment, would learn the best answer to an
*exploring* copy rather than to a perfect opponent, and from half the plies.

Tic-tac-toe (``TicTacToeEnv``, the defaults below, seed 0): unbeatable from either side, by a perfect
player or any other, after 30,000 games (about 240,000 updates, 5 to 9 seconds on two busy cores).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

from agents.acting import Act
from agents.schedules import ConstantSchedule, LinearSchedule, Schedule
from agents.tabular import QTable

Policy = Callable[[np.ndarray, "np.ndarray | None"], int]
"""A player: ``policy(observation_from_its_side, action_mask_or_None) -> action``."""


def state_key(obs: np.ndarray) -> tuple[float, ...]:
    """A hashable table key for an observation (a tuple of its numbers, so -0.0 and 0.0 agree)."""
    return tuple(np.asarray(obs, dtype=np.float64).ravel().tolist())


def legal_mask(mask: np.ndarray | None, n_actions: int) -> np.ndarray:
    """The action mask as bool (n_actions,); None means every action is legal."""
    if mask is None:
        return np.ones(n_actions, dtype=bool)
    mask = np.asarray(mask, dtype=bool)
    assert mask.shape == (n_actions,), f"action mask of shape {mask.shape}, expected ({n_actions},)"
    return mask


def best_legal_value(q_values: np.ndarray, mask: np.ndarray) -> float:
    """max_{a legal} Q(s, a): the value of a position to the player about to move there."""
    return float(q_values[mask].max())


def masked_epsilon_greedy(table: QTable, state: Hashable, mask: np.ndarray, epsilon: float) -> Act:
    """Epsilon-greedy among the legal actions only; ties between equal Q-values are broken at random."""
    legal = np.flatnonzero(mask)
    if len(legal) == 0:
        raise ValueError("No legal action: the game is over, so there is no move to choose.")
    q = table.q_values(state).astype(np.float32)
    q_legal = q[legal]
    best = legal[q_legal == q_legal.max()]
    greedy = int(best[0] if len(best) == 1 else best[table.rng.integers(len(best))])
    explored = bool(table.rng.random() < epsilon)
    action = int(legal[table.rng.integers(len(legal))]) if explored else greedy
    return Act(action=action, q_values=q, greedy_action=greedy, explored=explored)


def greedy_policy(table: QTable) -> Policy:
    """The learned player, deterministic: the best legal action, the first in order among equals.

    Usable as the environment's player or as its opponent (``env.unwrapped.set_opponent``).
    """

    def policy(obs: np.ndarray, action_mask: np.ndarray | None = None) -> int:
        q = table.q_values(state_key(obs))
        legal = legal_mask(action_mask, table.n_actions)
        return int(np.flatnonzero(legal)[np.argmax(q[legal])])

    return policy


@dataclass(frozen=True)
class Ply:
    """One move of a game, seen from the side of the player who made it."""

    state: Hashable
    """the position before the move (its table key)"""
    mask: np.ndarray
    """the legal moves in that position, bool (n_actions,)"""
    action: int
    """the move made"""


@dataclass
class SelfPlayer:
    """Both sides of the board: one Q-table choosing epsilon-greedy moves and recording each as a ply.

    Called as a policy it is the environment's opponent; the training loop calls it for its own moves
    too, so ``plies`` holds the whole game in the order it was played.
    """

    table: QTable
    epsilon: float = 0.0
    """exploration probability of both sides in the current game"""
    plies: list[Ply] = field(default_factory=list)
    """the current game so far"""

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> int:
        state, mask = state_key(obs), legal_mask(action_mask, self.table.n_actions)
        action = masked_epsilon_greedy(self.table, state, mask, self.epsilon).action
        self.plies.append(Ply(state, mask, action))
        return action


def negamax_update(table: QTable, plies: list[Ply], outcome: float | None) -> float:
    """Q-learning on one finished game, last ply first, with the negamax target of the module docstring.

    Args:
        table: the Q-table to update (its ``gamma``, ``learning_rate`` and ``per_pair_steps`` apply).
        plies: the game's moves in playing order, each from its mover's side.
        outcome: the final reward from the side of the player who made the last move; None when the
            game was truncated (the last move then has no target and is not updated).

    Returns:
        The mean absolute TD error over the updated plies.
    """
    td_errors = []
    for i in reversed(range(len(plies))):
        ply = plies[i]
        if i == len(plies) - 1:
            if outcome is None:
                continue
            target = outcome  # terminal: the reward alone, no bootstrap
        else:
            reply = plies[i + 1]  # the opponent's position, with its own legal moves
            target = -table.gamma * best_legal_value(table.q_values(reply.state), reply.mask)
        q = table.q_values(ply.state)  # a view into the table: writing to it updates Q
        td_error = target - q[ply.action]
        q[ply.action] += _step_size(table, ply) * td_error
        table.update_count += 1
        td_errors.append(abs(float(td_error)))
    return float(np.mean(td_errors)) if td_errors else 0.0


def _step_size(table: QTable, ply: Ply) -> float:
    """alpha, from the table's schedule at its update count or at this (state, action)'s visit count."""
    if not table.per_pair_steps:
        return table.learning_rate(table.update_count)
    assert isinstance(table.visits, dict)  # a table keyed by observation (train_self_play checks)
    visits = table.visits.setdefault(ply.state, np.zeros(table.n_actions, dtype=np.int64))
    visits[ply.action] += 1
    return table.learning_rate(int(visits[ply.action]) - 1)


def train_self_play(
    make_env: Callable[[], gym.Env],
    episodes: int,
    *,
    gamma: float = 1.0,
    epsilon: Schedule | None = None,
    learning_rate: Schedule | None = None,
    seed: int = 0,
    table: QTable | None = None,
) -> QTable:
    """Learn a two-player zero-sum game by playing it against a copy of the learner.

    Args:
        make_env: builds the environment (see the module docstring for what it must offer). Which
            side its player takes does not matter: the same table makes the moves of both.
        episodes: number of games to play.
        gamma: discount per ply (1.0: a win is a win however long it takes).
        epsilon: exploration probability of both sides as a function of the game number; by default
            from 1.0 (random play) down to 0.1 over the first half of the games.
        learning_rate: alpha as a function of the update count; by default 1.0, exact for games whose
            moves have certain results.
        seed: seeds the environment and the exploration.
        table: a table to go on training (its own gamma and learning rate then apply).

    Returns:
        The Q-table; ``greedy_policy(table)`` plays it.
    """
    env = make_env()
    if not isinstance(env.action_space, gym.spaces.Discrete):
        raise ValueError(f"Self-play needs a Discrete action space, not {env.action_space}.")
    if table is None:
        table = QTable(
            int(env.action_space.n),
            gamma=gamma,
            learning_rate=learning_rate if learning_rate is not None else ConstantSchedule(1.0),
            seed=seed,
        )
    if table.dense:
        raise ValueError("Self-play keys its table by observation: build the QTable without n_states.")
    epsilon = epsilon if epsilon is not None else LinearSchedule(1.0, 0.1, duration_steps=episodes // 2)
    player = SelfPlayer(table)
    env.unwrapped.set_opponent(player)  # the opponent is the learner itself

    for episode in range(episodes):
        player.epsilon, player.plies = epsilon(episode), []
        obs, info = env.reset(seed=seed if episode == 0 else None)  # the copy may move first, inside reset
        done = terminated = False
        reward = 0.0
        while not done:
            action = player(obs, info.get("action_mask"))
            my_last_ply = len(player.plies) - 1
            obs, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            if not done and reward != 0.0:
                raise ValueError("Self-play needs rewards at the end of a game only; this one paid mid-game.")
        # The reward is the environment player's; the copy's last move scores the opposite.
        outcome = (reward if my_last_ply == len(player.plies) - 1 else -reward) if terminated else None
        negamax_update(table, player.plies, outcome)
    env.close()
    return table
