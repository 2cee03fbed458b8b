"""Recorded play on disk: one Minari dataset per game, appended to atomically, listed and read back.

Layout (``datasets/`` in the data folder of ``game.places``, or ``--data DIR``) is Minari's own:
the data folder is a Minari dataset root (``MINARI_DATASETS_PATH``), and a game's play is the
dataset ``q-arcade/<game>/play-v0`` (``datasets/q-arcade/catch/play-v0/data/``), so that
``minari.load_dataset("q-arcade/catch/play-v0")`` reads it with that root. Minari ids are
``namespace/name-vN``; the namespace here is ``q-arcade/<game slug>`` and the name ``play``.

Episodes are added by ``game.modes.dataset_writes``, never in place: a crash keeps the previous
dataset whole, and ``recover`` finishes a swap that a crash interrupted.

``minari`` and ``h5py`` are an optional extra (``pip install -e ".[offline]"``): they are imported
inside the functions that need them, and their absence is one sentence for the user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from agents.transitions import Transitions
from game.errors import UserError
from game.modes.runs import game_slug
from game.places import datasets_dir

NAMESPACE = "q-arcade"  # every dataset the app records lies in this Minari namespace
PLAY_DATASET = "play-v0"  # a game's recorded play: name and version of its dataset
GAME_KEY = "q_arcade_game_id"  # metadata: the catalog id of the game played
RETURNS_KEY = "q_arcade_return_sum"  # metadata: sum of the episodes' undiscounted returns
INSTALL_HINT = 'Recorded play needs the offline extra; install it with: pip install -e ".[offline]".'
_ROOT_LOCK = threading.Lock()  # MINARI_DATASETS_PATH is process-wide: one dataset operation at a time


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset of the data folder, as ``main.py datasets`` lists it."""

    id: str
    game: str | None
    episodes: int
    steps: int
    mean_return: float | None
    path: Path


def require_minari() -> ModuleType:
    """The minari module, or a UserError saying how to install it."""
    try:
        import h5py  # noqa: F401  (the storage format; Minari imports it only when it meets a dataset)
        import minari
    except ImportError as error:
        raise UserError(INSTALL_HINT) from error
    return minari


def describe_space(space: Any) -> str:
    """A space in a few words, on one line: ``Box(3,) float32``, ``Discrete(4)``."""
    shape, dtype = getattr(space, "shape", None), getattr(space, "dtype", None)
    if type(space).__name__ == "Box":
        return f"Box{tuple(shape)} {dtype}"
    return str(space).replace("\n", " ")


def spaces_in_words(observation_space: Any, action_space: Any) -> str:
    """``observations Box(3,) float32 and actions Discrete(3)``."""
    return f"observations {describe_space(observation_space)} and actions {describe_space(action_space)}"


def play_dataset_id(game_id: str) -> str:
    """The Minari id of ``game_id``'s recorded play: ``q-arcade/catch/play-v0``."""
    return f"{NAMESPACE}/{game_slug(game_id)}/{PLAY_DATASET}"


@contextlib.contextmanager
def minari_root(data_dir: str | os.PathLike) -> Iterator[Path]:
    """Point Minari's dataset root (``MINARI_DATASETS_PATH``) at ``data_dir`` for the block."""
    root = Path(data_dir).resolve()
    with _ROOT_LOCK:
        before = os.environ.get("MINARI_DATASETS_PATH")
        os.environ["MINARI_DATASETS_PATH"] = str(root)
        try:
            yield root
        finally:
            if before is None:
                os.environ.pop("MINARI_DATASETS_PATH", None)
            else:
                os.environ["MINARI_DATASETS_PATH"] = before


def recover(final: Path) -> None:
    """Finish a swap a crash interrupted: put ``.NAME.previous`` back, or drop it once NAME is whole."""
    previous = final.with_name(f".{final.name}.previous")
    if not previous.exists():
        return
    if final.exists():
        shutil.rmtree(previous)
    else:
        os.rename(previous, final)


def data_root(data_dir: str | os.PathLike | None) -> Path:
    """The Minari dataset root: ``data_dir`` as given, or the data folder's datasets/ when it is None."""
    return Path(data_dir) if data_dir is not None else datasets_dir()


def open_dataset(source: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> Any:
    """The MinariDataset named by ``source``: a dataset id under ``data_dir`` (None: the data folder's
    datasets/), or a dataset's folder.

    Raises:
        UserError: minari is missing, or there is no such dataset.
    """
    minari = require_minari()
    path = Path(source)
    for folder in (path / "data", path):  # the dataset's folder, or its data/ folder itself
        if (folder / "metadata.json").is_file():
            return minari.MinariDataset(folder)
    root = data_root(data_dir)
    recover(root / str(source))
    try:
        with minari_root(root):
            return minari.load_dataset(str(source))
    except (FileNotFoundError, ValueError) as error:
        raise UserError(
            f"There is no dataset {source} in {root}; list them with 'python main.py datasets', "
            "or give a dataset's folder."
        ) from error


def load_transitions(source: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> Transitions:
    """Every step of a dataset as flat arrays (see ``open_dataset`` for ``source``).

    An episode whose last step is neither terminated nor truncated counts as truncated there.
    """
    return transitions_of(open_dataset(source, data_dir))


def transitions_of(dataset: Any) -> Transitions:
    """A MinariDataset's steps as ``Transitions``, read with ``iterate_episodes``."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("obs", "act", "rew", "next", "term", "trunc")}
    for episode in dataset.iterate_episodes():
        if len(episode) == 0:
            continue
        observations = np.asarray(episode.observations)
        truncations = np.asarray(episode.truncations, dtype=bool).copy()
        terminations = np.asarray(episode.terminations, dtype=bool)
        truncations[-1] |= not terminations[-1]
        parts["obs"].append(observations[:-1])
        parts["next"].append(observations[1:])
        parts["act"].append(np.asarray(episode.actions, dtype=np.int64).reshape(-1))
        parts["rew"].append(np.asarray(episode.rewards, dtype=np.float32))
        parts["term"].append(terminations)
        parts["trunc"].append(truncations)
    if not parts["obs"]:
        raise UserError(f"The dataset {dataset.id} holds no steps; record some play first.")
    return Transitions(
        obs=np.concatenate(parts["obs"]),
        actions=np.concatenate(parts["act"]),
        rewards=np.concatenate(parts["rew"]),
        next_obs=np.concatenate(parts["next"]),
        terminated=np.concatenate(parts["term"]),
        truncated=np.concatenate(parts["trunc"]),
    )


def episode_returns(dataset: Any) -> np.ndarray:
    """Undiscounted return of each episode."""
    return np.array([float(np.sum(episode.rewards)) for episode in dataset.iterate_episodes()])


def list_datasets(data_dir: str | os.PathLike | None = None) -> list[DatasetInfo]:
    """Every Minari dataset under ``data_dir`` (None: the data folder's datasets/), recorded by Q-Arcade
    or not, sorted by id."""
    minari = require_minari()
    root = data_root(data_dir)
    if not root.is_dir():
        return []
    for previous in root.rglob(".*.previous"):
        recover(previous.with_name(previous.name[1 : -len(".previous")]))
    with minari_root(root), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a damaged dataset is skipped with a warning
        found = minari.list_local_datasets()
    infos = []
    for dataset_id, metadata in sorted(found.items()):
        episodes, steps = int(metadata.get("total_episodes", 0)), int(metadata.get("total_steps", 0))
        if RETURNS_KEY in metadata:
            mean = float(metadata[RETURNS_KEY]) / episodes if episodes else None
        else:  # made elsewhere: add its rewards up
            returns = episode_returns(minari.MinariDataset(root / dataset_id / "data"))
            mean = float(returns.mean()) if len(returns) else None
        infos.append(
            DatasetInfo(dataset_id, metadata.get(GAME_KEY), episodes, steps, mean, root / dataset_id)
        )
    return infos
