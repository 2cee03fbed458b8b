"""Q-values on the board: the worker sends them for GridWorld and TicTacToe, the arena draws them."""

import numpy as np
import pygame
import pytest

from agents.tabular import value_iteration
from game.arcade.gridworld import GridWorldEnv
from game.catalog import find_game
from game.modes.protocol import SessionConfig
from game.modes.runs import shipped_agents
from game.modes.session import Session
from game.ui import theme
from game.ui.widgets.board import draw_grid_values, draw_square_values
from game.ui.widgets.frame import draw_frame


@pytest.fixture(scope="module")
def display():
    pygame.init()
    yield
    pygame.quit()
    theme.font.cache_clear()


def test_gridworld_snapshot_carries_each_cells_q_values_as_value_iteration_solves_them(tmp_path):
    # The shipped expert has learned Q*: the board's row for each cell must be that cell's values,
    # which value iteration on the known model computes independently of the network.
    expert = dict(shipped_agents("gridworld"))["expert"]
    session = Session(SessionConfig("gridworld", str(tmp_path / "run"), checkpoint=str(expert)))
    try:
        snap = session.showcase_step()
        gamma = session.trainer.config.dqn.gamma
    finally:
        session.close()
    game = GridWorldEnv()
    _, q_star = value_iteration(game.P, game.n_states, game.n_actions, gamma)
    assert snap.board_q.shape == (game.n_states, game.n_actions)
    cells = [s for s in range(game.n_states) if game.tile(s) in ("S", ".")]
    best = [q_star[s, int(np.argmax(snap.board_q[s]))] >= q_star[s].max() - 1e-3 for s in cells]
    assert np.mean(best) >= 0.9, "the board's best action in a cell is an optimal one there"
    values, optimal = snap.board_q[cells].max(axis=1), q_star[cells].max(axis=1)
    assert np.corrcoef(values, optimal)[0, 1] > 0.9, "each row is its own cell's values (0.96 measured)"
    assert np.abs(values - optimal).max() < 0.3


def test_tictactoe_snapshot_carries_the_squares_of_the_position_on_screen(tmp_path):
    session = Session(SessionConfig("tictactoe", str(tmp_path / "run")))
    try:
        snap = session.showcase_step()  # a move on the board shown
        empty = np.zeros(9, np.float32)
        network = session.trainer.agent
        assert snap.board_q.shape == (9,) and np.count_nonzero(session.obs) >= 1, "a mark was placed"
        assert np.array_equal(snap.board_mask, session.obs == 0), "only the free squares are legal"
        assert np.allclose(snap.board_q, network.act(session.obs, 0.0).q_values), "the position on screen"
        assert not np.allclose(snap.board_q, network.act(empty, 0.0).q_values), "not the empty board's"
    finally:
        session.close()


def test_grid_values_tint_open_cells_by_value_and_leave_walls(display):
    env = find_game("gridworld").make_env("show")
    env.reset(seed=0)
    game, frame = env.unwrapped, env.render()
    surface = pygame.Surface((800, 800))
    rect = draw_frame(surface, frame, surface.get_rect())
    plain = pygame.surfarray.array3d(surface).copy()
    q = np.zeros((game.n_states, 4), np.float32)
    open_cells = [s for s in range(game.n_states) if game.tile(s) in ("S", ".")]
    low, high = open_cells[0], open_cells[-1]
    q[high, 1] = 1.0  # the best cell, best action RIGHT
    q[low, :] = -1.0
    draw_grid_values(
        surface, rect, (frame.shape[1], frame.shape[0]), game, q, ["UP", "RIGHT", "DOWN", "LEFT"]
    )
    drawn = pygame.surfarray.array3d(surface)

    def centre(state):
        x, y, w, h = game.cell_rect(state)
        sx, sy = rect.width / frame.shape[1], rect.height / frame.shape[0]
        return int(rect.x + (x + w * 0.15) * sx), int(rect.y + (y + h * 0.15) * sy)

    hx, hy = centre(high)
    lx, ly = centre(low)
    assert drawn[hx, hy, 1] > drawn[hx, hy, 0], "the best value is tinted green"
    assert drawn[lx, ly, 0] > drawn[lx, ly, 1], "the worst value is tinted red"
    walls = [s for s in range(game.n_states) if game.tile(s) == "#"]
    wx, wy = centre(walls[0])
    assert np.array_equal(drawn[wx, wy], plain[wx, wy]), "walls are left as they are"


def test_square_values_only_on_legal_squares(display):
    env = find_game("tictactoe").make_env("show")
    env.reset(seed=0)
    game, frame = env.unwrapped, env.render()
    surface = pygame.Surface((600, 700))
    rect = draw_frame(surface, frame, surface.get_rect())
    plain = pygame.surfarray.array3d(surface).copy()
    mask = np.ones(9, bool)
    mask[4] = False
    draw_square_values(surface, rect, (frame.shape[1], frame.shape[0]), game, np.linspace(-1, 1, 9), mask)
    drawn = pygame.surfarray.array3d(surface)
    x, y, w, h = game.cell_rect(4)
    sx, sy = rect.width / frame.shape[1], rect.height / frame.shape[0]
    cx, cy = int(rect.x + (x + w / 2) * sx), int(rect.y + (y + h / 2) * sy)
    assert np.array_equal(drawn[cx, cy], plain[cx, cy]), "an illegal square gets no value"
    assert not np.array_equal(drawn, plain)
