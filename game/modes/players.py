"""Trained agents as players: the opponent in versus, the rival in a race, the star of the kiosk.

A :class:`Player` picks actions in this process, without learning: a DQN checkpoint (shipped in
``assets/agents`` or written by ``main.py train``), a self-play Q-table, or, where nothing is
trained yet, a player that moves at random (and says so). Every decision comes back as an
:class:`agents.acting.Act`, so the Q-bars draw a player exactly as they draw a learning agent.

Stages are the time-travel difficulty: a game's shipped agents at a few points of their training
("beginner", "intermediate", "expert"), the most trained first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from agents.acting import Act
from game.catalog import GameSpec
from game.errors import UserError
from game.gym_games import as_trained, observation_reader
from game.modes.runs import check_checkpoint, load_shipped_agent, shipped_agents

UNTRAINED = "untrained"  # the name of the random player used when no agent exists yet
STAGE_ORDER = ("beginner", "intermediate", "expert")  # easiest first, as menus list them


class Player(Protocol):
    name: str
    """what a screen calls this player: a stage ("expert"), a checkpoint's file, or UNTRAINED"""

    def act(self, obs: np.ndarray, mask: np.ndarray | None = None) -> Act: ...


@dataclass(frozen=True)
class Stage:
    """One shipped agent of a game."""

    name: str
    path: Path
    kind: str  # "dqn" or "qtable"


def stages(spec: GameSpec) -> list[Stage]:
    """The shipped agents of ``spec``'s game, easiest first (networks and self-play tables)."""
    found = [
        Stage(name, path, kind) for kind in ("dqn", "qtable") for name, path in shipped_agents(spec.id, kind)
    ]
    rank = {name: i for i, name in enumerate(STAGE_ORDER)}
    return sorted(found, key=lambda s: (rank.get(s.name, len(rank)), s.name))


def _masked_choice(q: np.ndarray, mask: np.ndarray | None) -> int:
    if mask is None:
        return int(np.argmax(q))
    legal = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(legal[np.argmax(q[legal])]) if len(legal) else int(np.argmax(q))


class NetworkPlayer:
    """A DQN checkpoint acting greedily (or at a small ``epsilon``), one observation at a time.

    ``played``: the game whose ``make_env`` hands this player its observations; each is re-laid as the
    checkpoint's run read it (``obs_layout``). None: they come as the run read them.
    """

    def __init__(
        self,
        path: str | Path,
        name: str,
        epsilon: float = 0.0,
        seed: int | None = None,
        played: GameSpec | None = None,
    ):
        import torch

        torch.set_num_threads(1)  # beside the UI: one thread (two make both collapse)
        self.agent, self.metadata = load_shipped_agent(path)
        self.read = (
            None if played is None else observation_reader(played, as_trained(played, self.metadata, path))
        )
        self.name = name
        self.epsilon = epsilon
        self.rng = np.random.default_rng(seed)

    @property
    def game_id(self) -> str:
        return str(self.metadata["game_id"])

    def act(self, obs: np.ndarray, mask: np.ndarray | None = None) -> Act:
        decision = self.agent.act(np.asarray(obs) if self.read is None else self.read(obs), 0.0)
        q = np.asarray(decision.q_values, dtype=np.float32)
        greedy = _masked_choice(q, mask)
        explored = bool(self.rng.random() < self.epsilon)
        action = greedy
        if explored:
            legal = np.arange(len(q)) if mask is None else np.flatnonzero(np.asarray(mask, dtype=bool))
            action = int(self.rng.choice(legal))
        return Act(action, q, greedy, explored, decision.value, decision.advantages)


class TablePlayer:
    """A self-play Q-table (``main.py train GAME --self-play``): the best legal move from its side."""

    def __init__(self, path: str | Path, name: str):
        from agents.tabular import load_table

        self.table = load_table(path)
        self.name = name

    def act(self, obs: np.ndarray, mask: np.ndarray | None = None) -> Act:
        from agents.selfplay import state_key

        q = np.asarray(self.table.q_values(state_key(obs)), dtype=np.float32)
        greedy = _masked_choice(q, mask)
        return Act(greedy, q, greedy, False)


class RandomPlayer:
    """Moves at random among the legal actions: the stand-in while a game has no trained agent."""

    def __init__(self, n_actions: int, seed: int | None = None, name: str = UNTRAINED):
        self.n_actions = n_actions
        self.rng = np.random.default_rng(seed)
        self.name = name

    def act(self, obs: np.ndarray, mask: np.ndarray | None = None) -> Act:
        legal = np.arange(self.n_actions) if mask is None else np.flatnonzero(np.asarray(mask, dtype=bool))
        action = int(self.rng.choice(legal)) if len(legal) else 0
        return Act(action, np.zeros(self.n_actions, dtype=np.float32), action, True)


def load_player(
    spec: GameSpec,
    stage: str | None = None,
    checkpoint: str | None = None,
    epsilon: float = 0.0,
    seed: int | None = None,
) -> Player:
    """The agent that plays ``spec``: a checkpoint, a named shipped stage, or the most trained one.

    Without any shipped or given agent the player moves at random (its name says so).

    Raises:
        UserError: an unknown stage (the known ones named) or a checkpoint of another game.
    """
    if checkpoint is not None:
        check_checkpoint(spec, checkpoint)
        return NetworkPlayer(checkpoint, Path(checkpoint).name, epsilon, seed, played=spec)
    available = stages(spec)
    if stage is not None:
        chosen = next((s for s in available if s.name == stage.lower()), None)
        if chosen is None:
            known = ", ".join(s.name for s in available) or "none"
            raise UserError(f"{spec.title} has no agent stage '{stage}' (shipped stages: {known}).")
    elif available:
        chosen = available[-1]  # the most trained
    else:
        return RandomPlayer(_n_actions(spec), seed)
    if chosen.kind == "qtable":
        return TablePlayer(chosen.path, chosen.name)
    return NetworkPlayer(chosen.path, chosen.name, epsilon, seed, played=spec)


def _n_actions(spec: GameSpec) -> int:
    env: Any = spec.make_env("train")
    try:
        return int(env.action_space.n)
    finally:
        env.close()
