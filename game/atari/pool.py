"""Atari training environments stepped together in C++ (ale-py's AtariVectorEnv): the Trainer's fast path.

The pool speaks the Trainer's Pool interface. ale-py resets a finished game in the same step
(``SameStep`` autoreset) and hands back its final observation in ``info["final_obs"]``, so every
transition ends in the observation its game really ended in, and the next action is chosen from
the new game's first one.
"""

from __future__ import annotations

import numpy as np
from gymnasium.vector import AutoresetMode

from game.atari.env import AtariSettings, make_atari_vector_env


class AtariVectorPool:
    """``num_envs`` copies of an Atari game as one Trainer pool.

    Observations match :class:`game.atari.env.AtariEnv`'s to within rounding, except that a new game's
    first stack pads its older planes with zeros instead of copies of the first frame.
    """

    def __init__(self, game_id: str, num_envs: int, seed: int, settings: AtariSettings | None = None):
        self.settings = settings or AtariSettings()
        self.envs = make_atari_vector_env(
            game_id, num_envs, self.settings, autoreset_mode=AutoresetMode.SAME_STEP
        )
        self.num_envs = num_envs
        self.seed = seed
        self.observation_space = self.envs.single_observation_space
        self.action_space = self.envs.single_action_space
        self._last_obs: np.ndarray | None = None
        self._episode_frames = np.zeros(num_envs, dtype=np.int64)  # frames into each game, for game over

    def reset(self) -> np.ndarray:
        obs, info = self.envs.reset(seed=self.seed)  # copy i gets seed + i
        self._last_obs = obs
        self._episode_frames = np.asarray(info["episode_frame_number"])
        return obs

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[dict], np.ndarray]:
        """Returns (next_obs, rewards, terminated, truncated, infos, obs_to_act_on)."""
        self.step_async(actions)
        return self.step_wait()

    def step_async(self, actions: np.ndarray) -> None:
        """Start stepping every game with ``actions``; the emulators run in ale-py's own threads."""
        self.envs.send(np.asarray(actions, dtype=np.int64))

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[dict], np.ndarray]:
        """The results of the step begun by ``step_async``, as ``step`` returns them."""
        obs, rewards, terminated, truncated, info = self.envs.recv()
        lives = np.asarray(info["lives"])
        frames = np.asarray(info["episode_frame_number"])
        # A game that really ended (or ran out of time) was reset within the step: its frame count starts
        # again and its last observation is in final_obs. A lost life under episodic life is terminal
        # too, but that game goes on: its observation continues, and final_obs is not to be trusted.
        new_game = (terminated | truncated) & (frames < self._episode_frames)
        self._episode_frames = frames
        next_obs = obs.copy()
        for i in np.flatnonzero(new_game):
            next_obs[i] = info["final_obs"][i]
        infos = [
            {"lives": int(lives[i]), "game_over": bool(truncated[i] or new_game[i])}
            for i in range(self.num_envs)
        ]
        self._last_obs = obs
        return next_obs, rewards.astype(np.float32), terminated, truncated, infos, obs

    def frame(self, index: int) -> np.ndarray | None:
        """What the agent sees of game ``index``: its newest 84x84 grey plane, as RGB."""
        if self._last_obs is None:
            return None
        plane = self._last_obs[index, -1]
        return np.repeat(plane[:, :, None], 3, axis=2)

    def close(self) -> None:
        self.envs.close()
