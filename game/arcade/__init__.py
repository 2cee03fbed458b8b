"""Home-made games: one gymnasium.Env per file, drawn with numpy, no pygame."""

from __future__ import annotations

import gymnasium as gym

from game.arcade.catch import CatchEnv
from game.arcade.gridworld import GridWorldEnv
from game.arcade.pong import PongEnv
from game.arcade.runner import RunnerEnv
from game.arcade.snake import SnakeEnv
from game.arcade.tictactoe import TicTacToeEnv

ARCADE_GAMES: dict[str, type[gym.Env]] = {
    "catch": CatchEnv,
    "snake": SnakeEnv,
    "runner": RunnerEnv,
    "pong": PongEnv,
    "gridworld": GridWorldEnv,
    "tictactoe": TicTacToeEnv,
}
"""Catalog id -> environment class."""
