"""Importing this module registers its games with gymnasium, as a third-party package does.

- ``Tiny-v0``: a 2-number vector, 2 actions, 10-step episodes; reward 1 for action 1.
- ``TinyImageHWC-v0``: (8, 8, 3) uint8 images, channels-last.
- ``TinyImageBool-v0``: (2, 8, 8) bool images, channels-first.
- ``TinyImageFloat-v0``: (6, 6, 1) float32 images, channels-last.
- ``TinyDict-v0``: Dict observations (refused).
- ``TinyBox-v0``: continuous actions (refused).
- ``Sloppy-v0``: breaks gymnasium's rules: its reset ignores the seed, it has no render mode.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

EPISODE_STEPS = 10  # every game here ends after this many steps


class TinyEnv(gym.Env):
    """Vector observations; action 1 pays 1, action 0 pays 0."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(
        self,
        render_mode: str | None = None,
        obs_space: gym.Space | None = None,
        action_space: gym.Space | None = None,
    ) -> None:
        self.render_mode = render_mode
        self.observation_space = obs_space or gym.spaces.Box(0.0, 1.0, (2,), np.float32)
        self.action_space = action_space or gym.spaces.Discrete(2)
        self._t = 0

    def _obs(self) -> Any:
        return self.observation_space.sample()

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        self.observation_space.seed(int(self.np_random.integers(2**31)))
        self._t = 0
        return self._obs(), {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        self._t += 1
        reward = float(np.asarray(action).reshape(-1)[0] == 1)
        return self._obs(), reward, False, self._t >= EPISODE_STEPS, {}

    def render(self) -> np.ndarray:
        return np.zeros((16, 16, 3), dtype=np.uint8)


def image_env(shape: tuple[int, ...], dtype: type, render_mode: str | None = None) -> TinyEnv:
    high = 1 if dtype is not np.uint8 else 255
    return TinyEnv(render_mode, gym.spaces.Box(0, high, shape, dtype))


class SloppyEnv(TinyEnv):
    """Reset ignores its seed (a fresh random start each time) and there is no render mode."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(self) -> None:  # no render_mode argument at all
        super().__init__(None)
        self._rng = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        self._t = 0
        return self._rng.random(2, dtype=np.float32), {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        _, reward, terminated, truncated, info = super().step(action)
        return self._rng.random(2, dtype=np.float32), reward, terminated, truncated, info


GAMES: dict[str, Any] = {
    "Tiny-v0": TinyEnv,
    "TinyImageHWC-v0": lambda render_mode=None: image_env((8, 8, 3), np.uint8, render_mode),
    "TinyImageBool-v0": lambda render_mode=None: image_env((2, 8, 8), np.bool_, render_mode),
    "TinyImageFloat-v0": lambda render_mode=None: image_env((6, 6, 1), np.float32, render_mode),
    "TinyDict-v0": lambda render_mode=None: TinyEnv(
        render_mode, gym.spaces.Dict({"a": gym.spaces.Box(0.0, 1.0, (2,), np.float32)})
    ),
    "TinyBox-v0": lambda render_mode=None: TinyEnv(
        render_mode, action_space=gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    ),
    "Sloppy-v0": SloppyEnv,
}

for _id, _entry in GAMES.items():
    if _id not in gym.registry:
        gym.register(id=_id, entry_point=_entry)
