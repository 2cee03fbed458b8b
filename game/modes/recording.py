"""Recording a person's play (or a scripted player's) as a Minari dataset, for learning offline.

A :class:`Recorder` collects the env's own transitions (s_t, a_t executed in s_t, r_t, s_{t+1}) while
it is on, keeps finished episodes in memory, and writes them into the game's dataset
(``game.modes.datasets``) when it stops, or in a thread when asked (``save_async``).

People react late: 200-300 ms between a picture and the key it prompts (Atari-HEAD, Zhang et al.
2019). The transitions stay the env's own so that Bellman targets are right; beside them every
observation t carries ``infos["seen_index"][t]``, the index of the observation that was on screen
``reaction_s`` earlier: the picture a key pressed in state t most likely answers. Learners that
imitate can pair a_t with s_{seen_index[t]}; Q-learning uses s_t.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from game.modes.dataset_writes import Episode, SaveResult, append_episodes
from game.modes.datasets import data_root, require_minari

REACTION_S = 0.25  # seconds between a picture and the key it prompts (Atari-HEAD: 200-300 ms)
DEFAULT_STEPS_PER_S = 30.0  # agent steps a second when the env's metadata gives no render_fps


@dataclass
class _OpenEpisode:
    """The episode being recorded: lists that grow by one step at a time."""

    observations: list[np.ndarray]
    actions: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    terminations: list[bool] = field(default_factory=list)
    truncations: list[bool] = field(default_factory=list)


class Recorder:
    """Collects one game's transitions while on, and saves them into the game's dataset.

    Args:
        game_id: the catalog id of the game played.
        observation_space: the env's observation space (the dataset's).
        action_space: the env's action space.
        data_dir: the Minari dataset root (None: the data folder's datasets/, ``game.places``).
        steps_per_second: the rate at which the game is stepped while recorded.
        reaction_s: a person's reaction time, for ``infos["seen_index"]``.
        algorithm: who played, as Minari's ``algorithm_name`` ("human play", "scripted catch expert").
    """

    def __init__(
        self,
        game_id: str,
        observation_space: gym.Space,
        action_space: gym.Space,
        data_dir: str | os.PathLike | None = None,
        *,
        steps_per_second: float = DEFAULT_STEPS_PER_S,
        reaction_s: float = REACTION_S,
        algorithm: str = "human play",
    ) -> None:
        if steps_per_second <= 0 or reaction_s < 0:
            raise ValueError("steps_per_second must be positive and reaction_s 0 or more")
        self.game_id = game_id
        self.observation_space = observation_space
        self.action_space = action_space
        self.data_dir = data_root(data_dir)
        self.algorithm = algorithm
        self.lag_steps = math.floor(reaction_s * steps_per_second + 0.5)
        """observations between the one on screen and the one a key answers"""
        self.recording = False
        self.episodes = 0
        """episodes finished since ``start`` (saved or not)"""
        self.steps = 0
        """steps recorded since ``start``, the open episode's included"""
        self.last_result: SaveResult | None = None
        self.last_error: str | None = None
        """why the latest background save failed (its episodes are kept for the next save)"""
        self._open: _OpenEpisode | None = None
        self._finished: list[Episode] = []
        self._lock = threading.Lock()  # guards _finished between the game's thread and a saving one
        self._save_lock = threading.Lock()  # one write at a time
        self._saver: threading.Thread | None = None

    @classmethod
    def for_env(
        cls,
        game_id: str,
        env: gym.Env,
        data_dir: str | os.PathLike | None = None,
        *,
        steps_per_second: float | None = None,
        **kwargs: Any,
    ) -> Recorder:
        """A recorder for ``env``'s spaces; the step rate defaults to its ``render_fps`` / frame skip."""
        if steps_per_second is None:
            fps = float(env.metadata.get("render_fps") or DEFAULT_STEPS_PER_S)
            settings = getattr(env.unwrapped, "settings", None)
            steps_per_second = fps / getattr(settings, "frame_skip", 1)
        return cls(
            game_id,
            env.observation_space,
            env.action_space,
            data_dir,
            steps_per_second=steps_per_second,
            **kwargs,
        )

    @property
    def pending(self) -> int:
        """Finished episodes not saved yet."""
        with self._lock:
            return len(self._finished)

    def start(self) -> None:
        """Record from the next step on.

        Raises:
            UserError: the offline extra (minari) is not installed.
        """
        require_minari()
        if not self.recording:
            self.recording = True
            self.episodes = self.steps = 0

    def add(
        self,
        obs: Any,
        action: int,
        reward: float,
        next_obs: Any,
        terminated: bool,
        truncated: bool,
    ) -> None:
        """One env step. A step that does not follow the last one (``obs`` is not its ``next_obs``)
        closes the open episode as truncated and opens another; the end of an episode closes it."""
        if not self.recording:
            return
        episode = self._open
        if episode is not None and episode.actions and not np.array_equal(obs, episode.observations[-1]):
            self.end_episode()
            episode = None
        if episode is None:
            episode = self._open = _OpenEpisode(observations=[np.array(obs, copy=True)])
        episode.observations.append(np.array(next_obs, copy=True))
        episode.actions.append(int(action))
        episode.rewards.append(float(reward))
        episode.terminations.append(bool(terminated))
        episode.truncations.append(bool(truncated))
        self.steps += 1
        if terminated or truncated:
            self.end_episode()

    def offer(self, by_person: bool, *step: Any) -> None:
        """``add`` a step of the showcase if a person played it; an agent's step ends the person's
        episode instead (as truncated): only the person's play is recorded."""
        if by_person:
            self.add(*step)
        elif self._open is not None:
            self.end_episode()

    def end_episode(self) -> None:
        """Keep the open episode (if it has a step) among the finished ones; unended, it is truncated."""
        episode, self._open = self._open, None
        if episode is None or not episode.actions:
            return
        if not (episode.terminations[-1] or episode.truncations[-1]):
            episode.truncations[-1] = True
        steps = len(episode.actions)
        finished = Episode(
            observations=np.stack(episode.observations),
            actions=np.asarray(episode.actions, dtype=np.int64),
            rewards=np.asarray(episode.rewards, dtype=np.float32),
            terminations=np.asarray(episode.terminations, dtype=bool),
            truncations=np.asarray(episode.truncations, dtype=bool),
            seen_index=np.maximum(0, np.arange(steps + 1) - self.lag_steps).astype(np.int64),
        )
        with self._lock:
            self._finished.append(finished)
        self.episodes += 1

    def save(self) -> SaveResult | None:
        """Write the finished episodes into the dataset now (None: there were none). On failure they
        are kept for the next save and the error propagates."""
        with self._save_lock:
            with self._lock:
                episodes, self._finished = self._finished, []
            if not episodes:
                return None
            try:
                result = append_episodes(
                    self.data_dir,
                    self.game_id,
                    self.observation_space,
                    self.action_space,
                    episodes,
                    algorithm=self.algorithm,
                )
            except BaseException:
                with self._lock:
                    self._finished[:0] = episodes
                raise
            self.last_result = result
            return result

    def save_async(self) -> None:
        """Save in a thread of its own (a save already running takes these episodes next time)."""
        if self._saver is not None and self._saver.is_alive():
            return

        def run() -> None:
            try:
                self.save()
                self.last_error = None
            except Exception as error:  # kept for the next save; the caller shows the sentence
                self.last_error = str(error)

        self._saver = threading.Thread(target=run, name="q-arcade-recording-save", daemon=True)
        self._saver.start()

    def stop(self) -> SaveResult | None:
        """Stop recording: the open episode is kept (as truncated) and everything is saved now."""
        self.end_episode()
        self.recording = False
        if self._saver is not None:
            self._saver.join()
        return self.save()

    def finish(self) -> str | None:
        """``stop``, told as a sentence: what was saved, or why it could not be (the episodes are kept
        for the next try); None when there was nothing to save."""
        if not (self.recording or self.pending):
            return None
        try:
            result = self.stop()
        except Exception as error:
            return f"The recording could not be saved ({error}); its episodes are kept for the next try."
        return None if result is None else result.sentence()

    def take_error(self) -> str | None:
        """The sentence of a background save that failed since the last call (None: none did)."""
        error, self.last_error = self.last_error, None
        if error is None:
            return None
        return f"The recording could not be saved ({error}); its episodes are kept for the next try."
