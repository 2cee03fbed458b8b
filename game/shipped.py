"""Trained agents that ship with Q-Arcade (``assets/agents/``), so the arena can start from a good one.

Each is a weights-only checkpoint, listed in ``assets/agents/agents.json`` with the command that
trained it, the agent steps it had, its evaluation and the score it must keep reaching (a test
plays every one). ``export_agent`` turns a run's checkpoint into a shipped one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.dqn import DQNAgent, make_agent
from agents.trainer import TrainConfig

AGENTS_DIR = Path(__file__).resolve().parent.parent / "assets" / "agents"
MANIFEST = AGENTS_DIR / "agents.json"  # game id -> stage -> {file, steps, eval, min_return, command}
HALF_PRECISION_ABOVE = 1_000_000  # networks with more weights than this ship in float16 (Nature CNN: 1.7M)


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
    state, metadata = load_checkpoint(checkpoint)
    slug = metadata["game_id"].replace("ALE/", "").replace("/", "-").lower()
    target = AGENTS_DIR / slug / f"{stage}.pt"
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


def export_table(
    table_file: str | os.PathLike, game_id: str, stage: str, games: int, min_return: float, command: str
) -> Path:
    """Ship a self-play Q-table (``main.py train GAME --self-play``) trained for ``games`` games."""
    slug = game_id.replace("/", "-").lower()
    target = AGENTS_DIR / slug / f"{stage}.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(table_file, target)
    entry = {
        "kind": "qtable",
        "file": str(target.relative_to(AGENTS_DIR)),
        "steps": games,
        "eval": None,
        "min_return": min_return,
        "command": command,
    }
    _record(game_id, stage, entry)
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
    from game.catalog import find_game

    state, metadata = load_checkpoint(path)
    config = TrainConfig.from_dict(metadata["config"])
    env = find_game(metadata["game_id"]).make_env("train")
    try:
        agent = make_agent(env.observation_space, env.action_space, config.dqn, device="cpu")
    finally:
        env.close()
    agent.load_state_dict({"model": state["model"], "optimizer": None})
    return agent, metadata
