"""Home-made games: one gymnasium.Env per file, drawn with numpy, no pygame.

Importing this package registers every game with gymnasium under the ``QArcade`` namespace, so
that any gymnasium code can play them::

    import gymnasium as gym
    import game.arcade

    env = gym.make("QArcade/Catch-v0", render_mode="rgb_array")

Each game ends its own episodes (its ``max_episode_steps`` argument), so no TimeLimit is added.
"""

from __future__ import annotations

import gymnasium as gym

from game.arcade.catch import CatchEnv
from game.arcade.gridworld import GridWorldEnv
from game.arcade.pong import PongEnv
from game.arcade.runner import RunnerEnv
from game.arcade.snake import SnakeEnv
from game.arcade.tictactoe import TicTacToeEnv

NAMESPACE = "QArcade"  # gymnasium namespace of the home-made games: QArcade/Catch-v0

ARCADE_GAMES: dict[str, type[gym.Env]] = {
    "catch": CatchEnv,
    "snake": SnakeEnv,
    "runner": RunnerEnv,
    "pong": PongEnv,
    "gridworld": GridWorldEnv,
    "tictactoe": TicTacToeEnv,
}
"""Catalog id -> environment class."""

GYM_IDS: dict[str, str] = {
    "catch": f"{NAMESPACE}/Catch-v0",
    "snake": f"{NAMESPACE}/Snake-v0",
    "runner": f"{NAMESPACE}/Runner-v0",
    "pong": f"{NAMESPACE}/Pong-v0",
    "gridworld": f"{NAMESPACE}/GridWorld-v0",
    "tictactoe": f"{NAMESPACE}/TicTacToe-v0",
}
"""Catalog id -> gymnasium id."""


def _register() -> None:
    """Register every game with gymnasium (once: importing twice must not warn of overrides)."""
    for game_id, gym_id in GYM_IDS.items():
        if gym_id not in gym.registry:
            env_class = ARCADE_GAMES[game_id]
            gym.register(
                id=gym_id,
                entry_point=f"{env_class.__module__}:{env_class.__name__}",
                max_episode_steps=None,
            )


_register()
