"""Checkpoints: weights, optimizer state and JSON metadata in one file, written atomically and
read back without unpickling code (``torch.load(..., weights_only=True)``).

Every problem a user can cause -- a missing, truncated or foreign file, or a checkpoint of another
game -- raises ``CheckpointError`` whose message is one sentence saying what to do.
"""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

FORMAT = "q-arcade-checkpoint"  # marks our files among other torch files
FORMAT_VERSION = 1  # bump when the layout changes; older versions stay readable where possible
REQUIRED_METADATA = (
    "game_id",
    "network",
    "observation_shape",
    "n_actions",
    "steps",
    "episodes",
    "epsilon",
    "config",
)


class CheckpointError(Exception):
    """A checkpoint that cannot be used; ``str(error)`` is one sentence for the user."""


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model_state: dict[str, Any],
    optimizer_state: dict[str, Any] | None,
    metadata: dict[str, Any],
) -> None:
    """Write a checkpoint atomically: a temporary file in the same directory, then os.replace.

    Args:
        path: where the checkpoint goes (its directory must exist).
        model_state: network weights and counters (tensors, numbers, strings, lists, dicts).
        optimizer_state: ``optimizer.state_dict()``, or None.
        metadata: JSON-able; must hold game_id, network, observation_shape, n_actions, steps,
            episodes, epsilon and config. ``format_version`` is added.
    """
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ValueError(f"checkpoint metadata lacks {missing}")
    metadata = {**metadata, "format_version": FORMAT_VERSION}
    try:
        metadata_json = json.dumps(metadata)
    except TypeError as error:
        raise ValueError(f"checkpoint metadata must be JSON-able: {error}") from error
    payload = {
        "format": FORMAT,
        "metadata": metadata_json,
        "model": model_state,
        "optimizer": optimizer_state,
    }

    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_checkpoint(
    path: str | os.PathLike, expected: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a checkpoint onto the CPU and check it against what the caller is about to play.

    Args:
        path: the checkpoint file.
        expected: values the metadata must match, among game_id, observation_shape and n_actions
            (and any other metadata key); None checks nothing.

    Returns:
        (state, metadata): state is {"model": ..., "optimizer": ...}, as ``DQNAgent.load_state_dict``
        takes it; metadata is the saved dictionary.

    Raises:
        CheckpointError: the file is missing, damaged, not a checkpoint, or for something else.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}; check the path, or start a new run.")
    if not zipfile.is_zipfile(path):
        if path.stat().st_size == 0 or _starts_like_zip(path):
            raise _damaged(path)
        raise _foreign(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "weights only" in str(error).lower() or "weights_only" in str(error):
            raise _foreign(path) from error  # it holds Python objects a checkpoint never has
        raise _damaged(path) from error
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as error:
        raise _damaged(path) from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise _foreign(path)
    try:
        metadata = json.loads(payload["metadata"])
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise _damaged(path) from error
    if int(metadata.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"Checkpoint {path} was written by a newer Q-Arcade (format {metadata['format_version']}); "
            "update Q-Arcade to load it."
        )
    if expected:
        _check(path, metadata, expected)
    return {"model": payload.get("model"), "optimizer": payload.get("optimizer")}, metadata


def _check(path: Path, metadata: dict[str, Any], expected: dict[str, Any]) -> None:
    """Raise when the checkpoint was made for another game, observation shape or action count."""
    names = {"game_id": "game", "observation_shape": "observation shape", "n_actions": "action count"}
    clashes = [key for key, want in expected.items() if _normal(metadata.get(key)) != _normal(want)]
    if not clashes:
        return
    saved = ", ".join(f"{names.get(key, key)} {_show(metadata.get(key))}" for key in clashes)
    wanted = ", ".join(f"{names.get(key, key)} {_show(expected[key])}" for key in clashes)
    game = expected.get("game_id", metadata.get("game_id"))
    raise CheckpointError(
        f"Checkpoint {path} was made for {saved}, but this game needs {wanted}; "
        f"choose a checkpoint trained on {game!r} or start a new run."
    )


def _normal(value: Any) -> Any:
    """Compare tuples and JSON lists alike."""
    if isinstance(value, tuple | list):
        return [_normal(v) for v in value]
    return value


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return str(tuple(value))
    return repr(value) if isinstance(value, str) else str(value)


def _starts_like_zip(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(4) == b"PK\x03\x04"


def _damaged(path: Path) -> CheckpointError:
    return CheckpointError(
        f"Checkpoint {path} is damaged (truncated or corrupt) and cannot be read; "
        "use an earlier checkpoint or start a new run."
    )


def _foreign(path: Path) -> CheckpointError:
    return CheckpointError(
        f"{path} is not a Q-Arcade checkpoint; choose a .pt file that Q-Arcade saved, or start a new run."
    )
