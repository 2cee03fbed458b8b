"""Q-values on the board: the worker sends them for GridWorld and TicTacToe, the arena draws them."""

import numpy as np
import pygame
import pytest

from game.catalog import find_game
from game.session import Session, SessionConfig
from game.ui import theme
from game.ui.widgets.board import draw_grid_values, draw_square_values
from game.ui.widgets.frame import draw_frame


@pytest.fixture(scope="module")
def display():
    pygame.init()
    yield
    pygame.quit()
    theme.font.cache_clear()


def test_gridworld_snapshot_carries_every_cells_q_values(tmp_path):
    session = Session(SessionConfig("gridworld", str(tmp_path / "run")))
    try:
        snap = session.showcase_step()
        n_states = session.showcase.observation_space.n
        assert snap.board_q.shape == (n_states, 4)
        agent = session.trainer.agent
        assert np.allclose(snap.board_q[5], agent.act(5, 0.0).q_values), "row s is Q(s, .)"
    finally:
        session.close()


def test_tictactoe_snapshot_carries_the_squares_of_the_position_on_screen(tmp_path):
    session = Session(SessionConfig("tictactoe", str(tmp_path / "run")))
    try:
        snap = session.showcase_step()
        assert snap.board_q.shape == (9,)
        assert np.array_equal(snap.board_mask, session.showcase.unwrapped.action_mask())
        assert np.allclose(snap.board_q, session.trainer.agent.act(session.obs, 0.0).q_values)
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
