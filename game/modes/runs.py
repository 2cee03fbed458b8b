"""Run directories and the agents in them: where a game's agents are kept, found, checked and read.

- A run directory (``runs/NAME`` in the data folder of ``game.places``, or where ``--out`` says)
  holds a run's ``config.json``, metrics (``episodes.csv``, ``train.csv``, ``eval.csv``) and
  ``checkpoints/``. Each game's arena agent has its own (``runs/arena-GAME``), so coming back to a
  game continues its agent, across restarts.
- Shipped agents (``assets/agents/``) are weights-only checkpoints listed in
  ``assets/agents/agents.json`` with the command that trained them, the agent steps they had,
  their evaluation and the score they must keep reaching (a test plays every one).
  ``export_agent`` turns a run's checkpoint into a shipped one.
- ``check_checkpoint`` says in one sentence why a checkpoint does not fit a game;
  ``read_run`` reads a run's learning curves back.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from game.errors import UserError
from game.places import runs_dir

if TYPE_CHECKING:  # the helpers that read checkpoints import torch when called, not on import
    from agents.dqn import DQNAgent
    from game.catalog import GameSpec

CHECKOUT_AGENTS = Path(__file__).resolve().parents[2] / "assets" / "agents"  # beside game/ in the checkout
INSTALLED_AGENTS = Path(__file__).resolve().parents[1] / "assets" / "agents"  # inside game/ (pyproject.toml)
AGENTS_DIR = INSTALLED_AGENTS if INSTALLED_AGENTS.is_dir() else CHECKOUT_AGENTS  # the shipped agents
MANIFEST = AGENTS_DIR / "agents.json"  # game id -> stage -> {file, steps, eval, min_return, command}
HALF_PRECISION_ABOVE = 1_000_000  # networks with more weights than this ship in float16 (Nature CNN: 1.7M)
RUNNING_MEAN = 20  # training episodes averaged for a run's training curve


def game_slug(game_id: str) -> str:
    """A game id as a folder name: ``ALE/Pong-v5`` -> ``pong-v5``, ``pkg.m:Game-v0`` -> ``pkg.m-game-v0``."""
    return game_id.replace("ALE/", "").replace("/", "-").replace(":", "-").lower()


def manifest() -> dict[str, dict[str, dict[str, Any]]]:
    """Everything shipped, by game id and stage; empty when nothing is."""
    if not MANIFEST.is_file():
        return {}
    return json.loads(MANIFEST.read_text())


def shipped_agents(game_id: str, kind: str = "dqn") -> list[tuple[str, Path]]:
    """(stage, file) of every agent of ``kind`` ("dqn" checkpoints, "qtable" self-play tables)
    shipped for ``game_id``, the most trained first."""
    stages = sorted(manifest().get(game_id, {}).items(), key=lambda item: item[1]["steps"], reverse=True)
    return [
        (stage, AGENTS_DIR / entry["file"]) for stage, entry in stages if entry.get("kind", "dqn") == kind
    ]


def export_agent(checkpoint: str | os.PathLike, stage: str, min_return: float, command: str) -> Path:
    """Ship a run's checkpoint as ``stage``: its weights (no optimizer state) and a manifest entry.

    Args:
        checkpoint: a checkpoint written by ``main.py train``.
        stage: the name the menu shows ("expert", "beginner", ...).
        min_return: the mean evaluation return the test will require of it.
        command: the command that trained it, recorded beside it.
    """
    from agents.checkpoint import load_checkpoint, save_checkpoint

    state, metadata = load_checkpoint(checkpoint)
    target = AGENTS_DIR / game_slug(metadata["game_id"]) / f"{stage}.pt"
    target.parent.mkdir(parents=True, exist_ok=True)
    # A shipped agent starts with its target network equal to its network: one copy of the weights.
    # A large one is stored in float16 (half the file; loading turns it back into float32).
    network = state["model"]["network"]
    if sum(t.numel() for t in network.values() if t.is_floating_point()) > HALF_PRECISION_ABOVE:
        network = {k: t.half() if t.is_floating_point() else t for k, t in network.items()}
    model = {**state["model"], "network": network, "target_network": network}
    save_checkpoint(target, model_state=model, optimizer_state=None, metadata=metadata)
    entry = {
        "kind": "dqn",
        "file": str(target.relative_to(AGENTS_DIR)),
        "steps": metadata["steps"],
        "eval": round(float(metadata.get("last_eval") or 0.0), 3),  # its own evaluation when saved
        "min_return": min_return,
        "command": command,
    }
    _record(metadata["game_id"], stage, entry)
    return target


def _record(game_id: str, stage: str, entry: dict[str, Any]) -> None:
    """Add or replace one manifest entry, atomically."""
    entries = manifest()
    entries.setdefault(game_id, {})[stage] = entry
    temporary = MANIFEST.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, MANIFEST)


def load_shipped_agent(path: str | os.PathLike) -> tuple[DQNAgent, dict[str, Any]]:
    """A shipped agent's network, ready to act, and its metadata."""
    from agents.checkpoint import load_checkpoint
    from agents.dqn import make_agent
    from agents.train_config import TrainConfig
    from game.catalog import find_game
    from game.gym_games import as_trained

    state, metadata = load_checkpoint(path)
    config = TrainConfig.from_dict(metadata["config"])
    env = as_trained(find_game(metadata["game_id"]), metadata, path).make_env("train")  # as its run read it
    try:
        agent = make_agent(env.observation_space, env.action_space, config.dqn, device="cpu")
    finally:
        env.close()
    agent.load_state_dict({"model": state["model"], "optimizer": None})
    return agent, metadata


def arena_run_dir(spec: GameSpec, runs: Path | None = None) -> Path:
    """Where ``spec``'s own arena agent lives (under ``runs``, by default the data folder's runs/)."""
    return (runs if runs is not None else runs_dir()) / f"arena-{game_slug(spec.id)}"


def saved_agents(spec: GameSpec, runs: Path | None = None) -> list[Path]:
    """The agents shipped for ``spec``'s game, then checkpoints of it found in run directories under
    ``runs`` (by default the data folder's runs/; best.pt where there is one), newest first."""
    runs = runs if runs is not None else runs_dir()
    shipped = [path for _, path in shipped_agents(spec.id)]
    found = []
    for config in runs.glob("*/config.json"):
        try:
            game_id = json.loads(config.read_text()).get("game_id")
        except (OSError, ValueError):
            continue
        folder = config.parent / "checkpoints"
        checkpoint = next(
            (folder / name for name in ("best.pt", "latest.pt") if (folder / name).is_file()), None
        )
        if game_id == spec.id and checkpoint is not None and config.parent != arena_run_dir(spec, runs):
            found.append(checkpoint)
    return shipped + sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)


def check_checkpoint(spec: GameSpec, path: str) -> None:
    """Raise UserError (one sentence) unless ``path`` is a checkpoint this game can load, its
    observations read as the checkpoint's run read them (``obs_layout``)."""
    from agents.checkpoint import CheckpointError, load_checkpoint
    from game.gym_games import as_trained

    try:
        env = as_trained(spec, load_checkpoint(path)[1], path).make_env("train")
    except CheckpointError as error:
        raise UserError(str(error)) from error
    try:
        expected = {
            "game_id": spec.id,
            "observation_shape": list(env.observation_space.shape or ()),
            "n_actions": int(env.action_space.n),
        }
    finally:
        env.close()
    try:
        load_checkpoint(path, expected)
    except CheckpointError as error:
        raise UserError(str(error)) from error


@dataclass
class RunCurves:
    """A run's evaluations and training episodes against agent steps and training minutes."""

    name: str
    eval_steps: np.ndarray
    eval_means: np.ndarray
    eval_minutes: np.ndarray
    episode_steps: np.ndarray
    episode_minutes: np.ndarray
    episode_means: np.ndarray  # running mean of training returns


def _cumulative(wall_s: np.ndarray) -> np.ndarray:
    """Training seconds across resumes: each ``--resume`` starts its clock at 0 again."""
    restarts = np.flatnonzero(np.diff(wall_s) < 0) + 1
    total = wall_s.copy()
    for start in restarts:
        total[start:] += total[start - 1]
    return total


def read_run(folder: Path) -> RunCurves:
    """A run's evaluations with the wall-clock minute each happened (from the episodes' clock).

    A run without evaluations yet (or with ``eval_every_steps=0``) has empty evaluation arrays.
    """
    if not folder.is_dir():
        raise UserError(f"There is no run directory {folder}; check the path.")
    episodes = _rows(folder / "episodes.csv")
    evals = _rows(folder / "eval.csv") if (folder / "eval.csv").is_file() else []
    if not episodes:
        raise UserError(f"{folder} has no finished episodes yet; let the run train longer.")
    steps = np.array([float(row["step"]) for row in episodes])
    minutes = _cumulative(np.array([float(row["wall_s"]) for row in episodes])) / 60.0
    returns = np.array([float(row["return"]) for row in episodes])
    kernel = np.ones(RUNNING_MEAN) / RUNNING_MEAN
    running = np.convolve(returns, kernel, mode="valid") if len(returns) >= RUNNING_MEAN else returns
    offset = len(returns) - len(running)
    eval_steps = np.array([float(row["step"]) for row in evals])
    return RunCurves(
        name=folder.name,
        eval_steps=eval_steps,
        eval_means=np.array([float(row["mean_return"]) for row in evals]),
        eval_minutes=np.interp(eval_steps, steps, minutes),  # an evaluation ends the step it is logged at
        episode_steps=steps[offset:],
        episode_minutes=minutes[offset:],
        episode_means=running,
    )


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="") as file:
            return list(csv.DictReader(file))
    except FileNotFoundError as error:
        raise UserError(
            f"{path.parent} has no {path.name}: is it a run directory of main.py train?"
        ) from error
