"""``main.py train GAME --self-play``: a Q-table learns a two-player turn-based game against itself.

The table (agents.selfplay) plays both sides for ``--games`` games; the run directory gets
``qtable.npz``, and the last line printed gives its greedy play's wins, draws and losses against the
game's built-in opponent at full skill.
"""

from __future__ import annotations

import time
from pathlib import Path

from agents.selfplay import greedy_policy, train_self_play
from agents.tabular import save_table
from game.catalog import GameSpec
from game.errors import UserError

DEFAULT_GAMES = 30_000  # self-play games: enough for Tic-Tac-Toe to stop losing from either side
TABLE_FILE = "qtable.npz"  # the learned table in the run directory
CHECK_GAMES = 50  # games against each opponent in the report


def train_by_self_play(spec: GameSpec, games: int | None, run_dir: Path, seed: int) -> Path:
    """Train, save and report; returns the saved table's path."""
    env = spec.make_env("train")
    game = env.unwrapped
    env.close()
    if spec.players != 2 or not getattr(game, "turn_based", False) or not hasattr(game, "set_opponent"):
        raise UserError(
            f"--self-play needs a two-player turn-based game such as tictactoe; '{spec.id}' is not one."
        )
    games = DEFAULT_GAMES if games is None else games
    if games <= 0:
        raise UserError(f"--games must be a positive number of self-play games, not {games}.")
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"Self-play: {spec.title} ({spec.id}), {games:,} games -> {run_dir}", flush=True)
    started = time.monotonic()
    table = train_self_play(lambda: spec.make_env("train"), games, seed=seed)
    path = run_dir / TABLE_FILE
    save_table(table, path)
    seconds = time.monotonic() - started
    print(f"Done in {seconds:.1f} s: {len(table.q):,} positions learned. {report(spec, table)} Table: {path}")
    return path


def report(spec: GameSpec, table) -> str:
    """Wins, draws and losses of the table's greedy play against the built-in opponent at full skill."""
    env = spec.make_env("show")
    player = greedy_policy(table)
    results = {1: 0, 0: 0, -1: 0}
    try:
        for n in range(CHECK_GAMES):
            obs, info = env.reset(seed=n)
            done = False
            while not done:
                obs, reward, terminated, truncated, info = env.step(player(obs, info.get("action_mask")))
                done = terminated or truncated
            results[int(reward)] += 1
    finally:
        env.close()
    won, drawn, lost = results[1], results[0], results[-1]
    return f"Against the built-in player: {won} won, {drawn} drawn, {lost} lost of {CHECK_GAMES}."
