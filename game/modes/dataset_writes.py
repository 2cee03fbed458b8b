"""Adding recorded episodes to a game's Minari dataset, atomically (the layout is in ``game.modes.datasets``).

Appending never edits the dataset in place: the dataset is copied into a hidden staging folder
beside it, the new episodes are added there with Minari's API, and the folders are swapped with two
renames (``play-v0`` -> ``.play-v0.previous``, staged -> ``play-v0``). A crash at any point leaves
either the previous dataset or the new one whole; ``datasets.recover`` puts ``.previous`` back if the
swap stopped half way. Observations are stored losslessly (Minari's JPEG encoding of image
observations is off): Bellman targets need the very states that were played.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from game.errors import UserError
from game.modes.datasets import (
    GAME_KEY,
    RETURNS_KEY,
    minari_root,
    play_dataset_id,
    recover,
    require_minari,
    spaces_in_words,
)


@dataclass(frozen=True)
class Episode:
    """One recorded episode in Minari's layout: T steps, T + 1 observations."""

    observations: np.ndarray
    """(T + 1, *obs_shape): s_0 .. s_T"""
    actions: np.ndarray
    """(T,) int64: a_t, executed in s_t"""
    rewards: np.ndarray
    """(T,) float32: r_t, given for a_t"""
    terminations: np.ndarray
    """(T,) bool"""
    truncations: np.ndarray
    """(T,) bool"""
    seen_index: np.ndarray
    """(T + 1,) int64: for each observation t, the index of the one on screen ``reaction_s`` earlier"""

    def __post_init__(self) -> None:
        steps = len(self.actions)
        assert len(self.observations) == steps + 1 == len(self.seen_index), "T + 1 observations"
        assert len(self.rewards) == len(self.terminations) == len(self.truncations) == steps

    def __len__(self) -> int:
        return len(self.actions)


@dataclass(frozen=True)
class SaveResult:
    """What a save wrote."""

    dataset_id: str
    path: Path
    episodes_added: int
    steps_added: int
    total_episodes: int
    total_steps: int

    def sentence(self) -> str:
        return (
            f"Saved {self.episodes_added} episode(s), {self.steps_added:,} steps, to {self.dataset_id} "
            f"({self.total_episodes} episodes in all)."
        )


def append_episodes(
    data_dir: str | os.PathLike,
    game_id: str,
    observation_space: gym.Space,
    action_space: gym.Space,
    episodes: list[Episode],
    *,
    algorithm: str = "human play",
) -> SaveResult:
    """Add ``episodes`` to ``game_id``'s dataset (made on first use), atomically.

    Raises:
        UserError: minari is not installed, or the dataset on disk has other spaces.
    """
    minari = require_minari()
    dataset_id = play_dataset_id(game_id)
    root = Path(data_dir).resolve()  # Minari builds its paths from the root it is given: no relative ones
    root.mkdir(parents=True, exist_ok=True)
    final = root / dataset_id
    buffers = [_buffer(episode) for episode in episodes]
    added = sum(len(episode) for episode in episodes)
    returns = float(sum(float(np.sum(episode.rewards)) for episode in episodes))
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))  # hidden: Minari's listing skips it
    try:
        staged = staging / dataset_id
        with minari_root(staging), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Minari's reminders to give a permalink, an email, ...
            recover(final)
            if final.exists():
                shutil.copytree(final, staged)
                dataset = minari.MinariDataset(staged / "data")
                _check_spaces(dataset, observation_space, action_space, final)
                before = float(dataset.storage.metadata.get(RETURNS_KEY, 0.0))
                dataset.update_dataset_from_buffer(buffers)
            else:
                before = 0.0
                dataset = minari.create_dataset_from_buffers(
                    dataset_id,
                    buffers,
                    observation_space=observation_space,
                    action_space=action_space,
                    algorithm_name=algorithm,
                    author="Q-Arcade",
                    description=f"Play of {game_id} recorded by Q-Arcade; infos['seen_index'] pairs each "
                    "observation with the one on screen a reaction time earlier.",
                    jpeg_encoding=False,
                )
            dataset.storage.update_metadata({GAME_KEY: game_id, RETURNS_KEY: before + returns})
            total_episodes, total_steps = dataset.storage.total_episodes, dataset.storage.total_steps
        _sync_tree(staged)
        _swap(staged, final)
        _keep_namespace_files(staging, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SaveResult(dataset_id, final, len(episodes), added, total_episodes, total_steps)


def _swap(staged: Path, final: Path) -> None:
    """Move the staged dataset into place: previous aside, new in, previous gone (two renames)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    previous = final.with_name(f".{final.name}.previous")
    if final.exists():
        os.rename(final, previous)
    os.rename(staged, final)
    _fsync_dir(final.parent)
    shutil.rmtree(previous, ignore_errors=True)


def _sync_tree(folder: Path) -> None:
    """Flush every file of ``folder`` to disk before it is renamed into place."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as file:
                os.fsync(file.fileno())


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _keep_namespace_files(staging: Path, root: Path) -> None:
    """Minari's namespace_metadata.json files, made in the staging root, where the root lacks them."""
    for path in staging.rglob("namespace_metadata.json"):
        target = root / path.relative_to(staging)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _buffer(episode: Episode) -> Any:
    from minari.data_collector import EpisodeBuffer

    return EpisodeBuffer(
        observations=episode.observations,
        actions=episode.actions,
        rewards=episode.rewards,
        terminations=episode.terminations,
        truncations=episode.truncations,
        infos={"seen_index": episode.seen_index},
    )


def _check_spaces(dataset: Any, observation_space: gym.Space, action_space: gym.Space, where: Path) -> None:
    if dataset.observation_space != observation_space or dataset.action_space != action_space:
        raise UserError(
            f"The dataset at {where} was recorded with "
            f"{spaces_in_words(dataset.observation_space, dataset.action_space)}, not "
            f"{spaces_in_words(observation_space, action_space)}; "
            "move it away or record into another --data folder."
        )
