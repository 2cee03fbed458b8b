"""TicTacToe: rules with exact values, the mask, minimax and the turn order.

What every home-made game must do (check_env, determinism, frames, keys) is in test_games_contract.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from game.arcade import tictactoe
from game.arcade.tictactoe import LINES, O_MARK, X_MARK, TicTacToeEnv, minimax_move, perfect_policy, winner


def random_policy(seed: int):
    rng = np.random.default_rng(seed)

    def policy(obs: np.ndarray, mask: np.ndarray | None = None) -> int:
        return int(rng.choice(np.flatnonzero(obs == 0)))

    return policy


def test_frame_is_the_board_size() -> None:
    env = TicTacToeEnv()
    env.reset(seed=0)
    assert env.render().shape == (tictactoe.HEIGHT, tictactoe.WIDTH, 3)


def test_keys_one_to_nine_in_reading_order() -> None:
    env = TicTacToeEnv()
    keys = env.get_keys_to_action()
    assert keys == {(str(i + 1),): i for i in range(9)}
    meanings = env.get_action_meanings()
    assert len(meanings) == 9 and meanings[0] == "TOP_LEFT" and meanings[4] == "CENTER"
    assert TicTacToeEnv.players == 2 and TicTacToeEnv.turn_based


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("player", [X_MARK, O_MARK])
def test_winner_on_every_line(line: tuple[int, int, int], player: int) -> None:
    board = np.zeros(9)
    board[list(line)] = player
    assert winner(board) == player
    assert tictactoe.winning_line(board) == line
    board[line[2]] = -player
    assert winner(board) is None


def test_winner_draw_and_ongoing() -> None:
    assert winner([0] * 9) is None
    assert winner([1, -1, 1, 1, -1, -1, -1, 1, 1]) == 0  # full board, no line
    assert winner([1, -1, 1, 1, -1, -1, -1, 1, 0]) is None


def test_minimax_wins_now_and_blocks() -> None:
    board = [1, 1, 0, -1, -1, 0, 0, 0, 0]
    assert minimax_move(board, X_MARK) == 2  # win at once
    assert minimax_move(board, O_MARK) == 5  # O wins at once too
    assert minimax_move([1, 1, 0, -1, 0, 0, 0, 0, 0], O_MARK) == 2  # block
    with pytest.raises(ValueError):
        minimax_move([1, 1, 1, -1, -1, 0, 0, 0, 0], O_MARK)


def test_two_minimax_players_always_draw() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        board, player = np.zeros(9, dtype=int), X_MARK
        while winner(board) is None:
            board[minimax_move(board, player, rng=rng)] = player
            player = -player
        assert winner(board) == 0


@pytest.mark.parametrize("side", ["X", "O"])
def test_minimax_never_loses_to_random(side: str) -> None:
    env = TicTacToeEnv(opponent=random_policy(1), agent_player=side)
    rng = np.random.default_rng(2)
    rewards = []
    for game in range(150):
        obs, _ = env.reset(seed=game)
        terminated = False
        while not terminated:
            obs, reward, terminated, _, _ = env.step(minimax_move(obs, X_MARK, rng=rng))
        rewards.append(reward)
    assert min(rewards) >= 0.0 and rewards.count(1.0) > 100


def test_perfect_builtin_opponent_is_never_beaten() -> None:
    env = TicTacToeEnv(opponent_skill=1.0)
    rng = np.random.default_rng(3)
    rewards = []
    for _ in range(100):
        obs, info = env.reset()
        terminated = False
        while not terminated:
            obs, reward, terminated, _, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        rewards.append(reward)
    assert max(rewards) <= 0.0 and rewards.count(-1.0) > 50

    env.reset(seed=0)
    for _ in range(10):  # perfect against perfect: a draw from both sides
        obs, info = env.reset()
        terminated = False
        while not terminated:
            obs, reward, terminated, _, info = env.step(perfect_policy(obs, info["action_mask"]))
        assert reward == 0.0 and info["result"] == "draw"


def test_weak_builtin_opponent_can_lose() -> None:
    env = TicTacToeEnv(opponent_skill=0.0, agent_player="X")
    wins = 0
    for game in range(20):
        obs, _ = env.reset(seed=game)
        terminated = False
        while not terminated:
            obs, reward, terminated, _, _ = env.step(perfect_policy(obs))
        wins += reward == 1.0
    assert wins >= 15


def test_mask_follows_the_board_and_is_empty_when_over() -> None:
    env = TicTacToeEnv(agent_player="X", opponent=lambda obs, mask: int(np.flatnonzero(mask)[0]))
    obs, info = env.reset(seed=0)
    assert info["action_mask"].dtype == bool and info["action_mask"].all()
    obs, reward, terminated, _, info = env.step(4)  # the opponent answers in cell 0
    np.testing.assert_array_equal(obs, [-1, 0, 0, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(info["action_mask"], obs == 0)
    np.testing.assert_array_equal(env.action_mask(), info["action_mask"])
    assert (reward, terminated) == (0.0, False)
    env.step(2)  # opponent: 1
    obs, reward, terminated, _, info = env.step(6)  # 2-4-6 diagonal
    assert (reward, terminated, info["result"]) == (1.0, True, "win")
    assert not info["action_mask"].any() and not env.action_mask().any()


def test_illegal_move_loses_and_leaves_the_board() -> None:
    env = TicTacToeEnv(agent_player="X", opponent=lambda obs, mask: int(np.flatnonzero(mask)[0]))
    env.reset(seed=0)
    before, *_ = env.step(4)
    obs, reward, terminated, truncated, info = env.step(0)  # taken by the opponent
    assert (reward, terminated, truncated, info["result"]) == (-1.0, True, False, "illegal")
    np.testing.assert_array_equal(obs, before)
    with pytest.raises(RuntimeError):
        env.step(1)


def test_opponent_forfeits_an_illegal_move() -> None:
    env = TicTacToeEnv(agent_player="X", opponent=lambda obs, mask: 4)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(4)
    assert (reward, terminated, info["result"]) == (1.0, True, "forfeit")


def test_sides_turn_order_and_perspective() -> None:
    seen = []

    def corner(obs: np.ndarray, mask: np.ndarray | None) -> int:
        seen.append((obs.copy(), mask.copy()))
        return int(np.flatnonzero(mask)[0])

    env = TicTacToeEnv(opponent=corner)
    sides = []
    obs, info = env.reset(seed=1)
    sides.append(info["agent_player"])
    assert not obs.any()
    obs, info = env.reset()
    sides.append(info["agent_player"])
    np.testing.assert_array_equal(obs, [-1, 0, 0, 0, 0, 0, 0, 0, 0])  # O: the opponent opened in reset
    env.step(4)
    np.testing.assert_array_equal(seen[-1][0], [1, 0, 0, 0, -1, 0, 0, 0, 0])  # its marks are +1 to it
    np.testing.assert_array_equal(seen[-1][1], seen[-1][0] == 0)
    sides.append(env.reset()[1]["agent_player"])
    sides.append(env.reset(seed=1)[1]["agent_player"])  # a seeded reset starts again with X
    sides.append(env.reset(options={"agent_player": "O"})[1]["agent_player"])
    assert sides == ["X", "O", "X", "X", "O"]
    assert env.board.tolist().count(X_MARK) == 1  # the opponent plays X when the env player is O


def test_cell_at_inverts_cell_rect() -> None:
    env = TicTacToeEnv()
    for cell in range(9):
        x, y, w, h = env.cell_rect(cell)
        assert env.cell_at(x + w / 2, y + h / 2) == cell
        assert env.cell_at(x, y) == cell and env.cell_at(x + w - 1, y + h - 1) == cell
    x, y, w, _ = env.cell_rect(0)
    assert env.cell_at(x + w + 1, y + 5) is None  # on the grid line
    assert env.cell_at(2, 2) is None
    x1, _, _, _ = env.cell_rect(1)
    assert x1 > x + w and env.cell_rect(3)[1] > y + w  # cells are in reading order


def test_render_marks_the_winning_line() -> None:
    env = TicTacToeEnv(agent_player="X", opponent=lambda obs, mask: int(np.flatnonzero(mask)[-1]))
    env.reset(seed=0)
    for cell in (0, 1, 2):
        _, reward, terminated, _, _ = env.step(cell)
    assert (reward, terminated) == (1.0, True)
    frame = env.render()
    x, y, w, h = env.cell_rect(1)
    assert np.all(frame[y + h // 2, x + w // 2] == tictactoe.WIN_LINE)
    assert np.all(frame[y + 1, x + 1] == tictactoe.WIN_CELL)
