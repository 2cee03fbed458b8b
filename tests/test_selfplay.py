"""Self-play Q-learning: the negamax update by hand, masks, determinism, tic-tac-toe learned to perfection.

The learning tests check the learned player over *every* line of play, not a sample: the tic-tac-toe
tree is small enough to walk in full, once against every move a perfect opponent may make (a superset
of everything ``minimax_move`` chooses, whatever its random tie-breaking) and once against every legal
move at all. No minimax player takes part in training.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pytest

from agents.schedules import ConstantSchedule
from agents.selfplay import Ply, greedy_policy, masked_epsilon_greedy, negamax_update, train_self_play
from agents.tabular import QTable
from game.arcade.tictactoe import O_MARK, X_MARK, TicTacToeEnv, minimax_move, perfect_policy, winner

EPISODES = 30_000
"""self-play games for the learning tests: seed 0 is unbeatable after 30,000 (not yet after 20,000)"""
SEED = 0

Board = tuple[int, ...]
"""nine cells in reading order, X = +1, O = -1, empty = 0"""
Replies = Callable[[Board, int], list[int]]
EMPTY: Board = (0,) * 9


def make_env() -> TicTacToeEnv:
    return TicTacToeEnv(agent_player="alternate")


@pytest.fixture(scope="module")
def learned() -> QTable:
    return train_self_play(make_env, EPISODES, seed=SEED)


# -------------------------------------------------------------------- the game tree, solved by hand


def play(board: Board, cell: int, mark: int) -> Board:
    return (*board[:cell], mark, *board[cell + 1 :])


def to_move(board: Board) -> int:
    return X_MARK if board.count(0) % 2 == 1 else O_MARK


def legal_moves(board: Board, mover: int) -> list[int]:
    return [cell for cell in range(9) if board[cell] == 0]


def move_value(board: Board, cell: int, mover: int) -> int:
    """The result for ``mover`` of playing ``cell`` and then perfect play by both: 1, 0 or -1."""
    after = play(board, cell, mover)
    result = winner(after)
    return result * mover if result is not None else -game_value(after, -mover)


@cache
def game_value(board: Board, mover: int) -> int:
    """The result for ``mover`` (to move on ``board``) under perfect play by both: 1, 0 or -1."""
    return max(move_value(board, cell, mover) for cell in legal_moves(board, mover))


def perfect_moves(board: Board, mover: int) -> list[int]:
    """Every move that keeps the best result within reach: all that a perfect player may play."""
    best = game_value(board, mover)
    return [cell for cell in legal_moves(board, mover) if move_value(board, cell, mover) == best]


def worst_result(policy: Callable, me: int, replies: Replies, board: Board = EMPTY) -> tuple[int, int]:
    """Walk every game of ``policy`` playing ``me`` against each of ``replies``' moves.

    Returns:
        (the worst result for ``me``: 1, 0 or -1; the number of distinct games walked).
    """
    result = winner(board)
    if result is not None:
        return result * me, 1
    mover = to_move(board)
    if mover == me:
        cell = policy(np.array(board, dtype=np.float32) * me, np.array(board) == 0)
        assert board[cell] == 0, f"illegal move {cell} on {board}"
        return worst_result(policy, me, replies, play(board, cell, me))
    games = [worst_result(policy, me, replies, play(board, cell, mover)) for cell in replies(board, mover)]
    return min(r for r, _ in games), sum(n for _, n in games)


def all_positions() -> set[Board]:
    """Every position reachable from the empty board where the game goes on."""
    seen, frontier = set(), [EMPTY]
    while frontier:
        board = frontier.pop()
        if board in seen or winner(board) is not None:
            continue
        seen.add(board)
        frontier += [play(board, cell, to_move(board)) for cell in legal_moves(board, to_move(board))]
    return seen


def test_perfect_moves_include_every_move_minimax_can_choose():
    rng = np.random.default_rng(0)
    positions = all_positions()
    assert len(positions) == 4520
    for board in positions:
        mover = to_move(board)
        allowed = perfect_moves(board, mover)
        chosen = {minimax_move(board, mover)} | {minimax_move(board, mover, rng) for _ in range(6)}
        assert chosen <= set(allowed), board


# -------------------------------------------------------------------- the update and the masks, by hand


def test_negamax_update_by_hand():
    table = QTable(3, gamma=0.9, learning_rate=ConstantSchedule(0.5))
    table.q["b"] = np.array([5.0, 0.2, -0.4])  # 5.0 is an illegal move in b: it must not count
    table.q["c"] = np.array([3.0, 0.0, 0.0])  # and 3.0 one in c
    game = [
        Ply("a", np.array([True, True, True]), 0),
        Ply("b", np.array([False, True, True]), 1),
        Ply("c", np.array([False, False, True]), 2),
    ]
    mean_abs_td = negamax_update(table, game, outcome=1.0)  # the last move won
    # c, terminal: y = 1, Q = 0 + 0.5 * 1 = 0.5.
    # b: y = -0.9 * max(Q(c, 2)) = -0.45, Q = 0.2 + 0.5 * (-0.45 - 0.2) = -0.125.
    # a: y = -0.9 * max(Q(b, 1), Q(b, 2)) = -0.9 * -0.125 = 0.1125, Q = 0.05625.
    assert table.q["c"][2] == pytest.approx(0.5)
    assert table.q["b"][1] == pytest.approx(-0.125)
    assert table.q["a"][0] == pytest.approx(0.05625)
    assert mean_abs_td == pytest.approx((1.0 + 0.65 + 0.1125) / 3)
    assert table.update_count == 3


def test_a_truncated_game_does_not_update_its_last_move():
    table = QTable(2, gamma=1.0, learning_rate=ConstantSchedule(1.0))
    table.q["b"] = np.array([0.0, 0.75])
    game = [Ply("a", np.array([True, True]), 1), Ply("b", np.array([True, True]), 1)]
    negamax_update(table, game, outcome=None)
    assert table.q["b"][1] == 0.75 and table.q["a"][1] == -0.75 and table.update_count == 1


def test_masked_epsilon_greedy_never_picks_an_illegal_move():
    table = QTable(4, seed=0)
    table.q["s"] = np.array([9.0, 1.0, 2.0, 9.0])
    mask = np.array([False, True, True, False])
    greedy = masked_epsilon_greedy(table, "s", mask, epsilon=0.0)
    assert (greedy.action, greedy.greedy_action, greedy.explored) == (2, 2, False)
    assert {masked_epsilon_greedy(table, "s", mask, epsilon=1.0).action for _ in range(200)} == {1, 2}
    assert greedy_policy(table)(np.zeros(1), mask) == 1  # unseen state: the first legal move


def test_self_play_is_deterministic_for_a_seed():
    def snapshot(table: QTable) -> dict:
        return {key: row.tolist() for key, row in table.q.items()}

    first, again = (train_self_play(make_env, 300, seed=3) for _ in range(2))
    assert snapshot(first) == snapshot(again)
    assert snapshot(first) != snapshot(train_self_play(make_env, 300, seed=4))


# -------------------------------------------------------------------- tic-tac-toe, learned


@pytest.mark.parametrize("me", [X_MARK, O_MARK], ids=["X", "O"])
def test_an_untrained_or_briefly_trained_player_is_beaten(me: int):
    # The checks below can fail: a player that has not learned enough loses some perfect line.
    for episodes in (0, 2_000):
        table = train_self_play(make_env, episodes, seed=SEED)
        assert worst_result(greedy_policy(table), me, perfect_moves)[0] == -1


@pytest.mark.slow
@pytest.mark.parametrize(("me", "least_games"), [(X_MARK, 2), (O_MARK, 100)], ids=["X", "O"])
def test_self_play_never_loses_to_any_line_of_a_perfect_player(learned: QTable, me: int, least_games: int):
    result, games = worst_result(greedy_policy(learned), me, perfect_moves)
    assert result == 0  # a perfect player cannot be beaten: a draw at best
    # After X's opening a perfect O has few drawing replies; against X's many, O meets many lines.
    assert games >= least_games


@pytest.mark.slow
@pytest.mark.parametrize(("me", "least_games"), [(X_MARK, 100), (O_MARK, 600)], ids=["X", "O"])
def test_self_play_is_unbeatable_by_any_opponent(learned: QTable, me: int, least_games: int):
    result, games = worst_result(greedy_policy(learned), me, legal_moves)
    assert result >= 0 and games >= least_games


@pytest.mark.slow
@pytest.mark.parametrize("side", ["X", "O"])
def test_self_play_draws_against_minimax_through_the_env(learned: QTable, side: str):
    policy = greedy_policy(learned)
    # perfect_policy, deterministic: one game.
    env = TicTacToeEnv(agent_player=side, opponent=perfect_policy)
    obs, info = env.reset(seed=SEED)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(policy(obs, info["action_mask"]))
        done = terminated or truncated
    assert info["result"] == "draw"
    # The built-in minimax player (minimax_move with the env's generator), randomised by the seed.
    env = TicTacToeEnv(agent_player=side, opponent_skill=1.0)
    for seed in range(100):
        obs, info = env.reset(seed=seed)
        done = False
        while not done:
            obs, _, terminated, truncated, info = env.step(policy(obs, info["action_mask"]))
            done = terminated or truncated
        assert info["result"] == "draw", f"seed {seed}"


@pytest.mark.slow
def test_self_play_wins_often_against_a_random_player(learned: QTable):
    # An untrained table (first free cell) wins about 77 % as X and 44 % as O, and loses often.
    policy, rng = greedy_policy(learned), np.random.default_rng(1)
    for side, least_wins in (("X", 0.95), ("O", 0.7)):
        env = TicTacToeEnv(
            agent_player=side, opponent=lambda obs, mask: int(rng.choice(np.flatnonzero(mask)))
        )
        results = {"win": 0, "loss": 0, "draw": 0}
        for game in range(1_000):
            obs, info = env.reset(seed=game)
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(policy(obs, info["action_mask"]))
                done = terminated or truncated
            results[info["result"]] += 1
        assert results["loss"] == 0 and results["win"] >= least_wins * 1_000, (side, results)
