"""Atari 2600 games from the Arcade Learning Environment, prepared the way the DQN papers did.

The agent sees 84x84 greyscale frames, max-pooled over the last two raw frames, stacked four deep,
and decides every fourth frame. A person sees every raw frame in full colour at 60 Hz:
`AtariEnv.last_frames()` holds all the frames the last `reset()` or `step()` produced.
`make_atari_vector_env` builds the same preprocessing inside ale-py, in C++, for fast training.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Sequence
from typing import Any

import ale_py
import gymnasium as gym
import numpy as np
from ale_py.vector_env import AtariVectorEnv
from gymnasium import spaces
from gymnasium.envs.registration import EnvSpec
from gymnasium.vector import AutoresetMode

RAW_FPS = 60  # raw Atari frames per second
NOOP, FIRE = 0, 1  # indices in every minimal action set that has them

FEATURED_ATARI_GAMES = (
    "ALE/Pong-v5",
    "ALE/Breakout-v5",
    "ALE/SpaceInvaders-v5",
    "ALE/Boxing-v5",
    "ALE/Freeway-v5",
    "ALE/Seaquest-v5",
)
"""The Atari games the menu shows first."""

# ALE action-name parts -> pygame key names (as `pygame.key.name()` prints them).
_KEY_FOR_PART = {"UP": "up", "DOWN": "down", "LEFT": "left", "RIGHT": "right", "FIRE": "space"}
_ACTION_PARTS = re.compile("UP|DOWN|LEFT|RIGHT|FIRE")

# Per-ROM key overrides: ALE action-name part -> key. Only what was checked by stepping the
# emulator and watching the pixels: in Pong, RIGHT moves the player's paddle up, LEFT down.
KEY_OVERRIDES: dict[str, dict[str, str]] = {
    "pong": {"RIGHT": "up", "LEFT": "down"},
}


@dataclasses.dataclass(frozen=True)
class AtariSettings:
    """How an Atari game is prepared for an agent (defaults: DQN training, Mnih et al. 2015)."""

    frame_skip: int = 4
    """raw frames per agent step; the action repeats and the rewards add up (1 for a person)"""
    frame_stack: int = 4
    """preprocessed frames stacked into one observation, oldest first"""
    screen_size: int = 84
    """side of the square greyscale observation, in pixels"""
    noop_max: int = 30
    """at most this many no-op raw frames (at least one) after a new game, for varied starts"""
    episodic_life: bool = True
    """a lost life ends the episode (terminated); the next reset continues the same game"""
    sticky_action_probability: float = 0.0
    """chance that each raw frame repeats the previous action instead (Machado et al. use 0.25)"""
    max_episode_frames: int = 108_000
    """a game is truncated after this many raw frames (108 000 = 30 minutes)"""
    fire_reset: bool = True
    """press FIRE for one frame on every reset, in games that wait for it"""

    def __post_init__(self) -> None:
        for name in ("frame_skip", "frame_stack", "screen_size", "max_episode_frames"):
            if getattr(self, name) < 1:
                raise ValueError(f"Atari setting {name} must be at least 1, not {getattr(self, name)}.")
        if self.noop_max < 0:
            raise ValueError(f"Atari setting noop_max must be 0 or more, not {self.noop_max}.")
        if not 0.0 <= self.sticky_action_probability <= 1.0:
            raise ValueError(
                "Atari setting sticky_action_probability must be between 0 and 1, "
                f"not {self.sticky_action_probability}."
            )


class AtariEnv(gym.Env[np.ndarray, np.int64]):
    """
    ## Description

    An ALE game (ale-py, minimal action set, emulated one raw frame at a time) with the
    preprocessing of the DQN papers done here, so that the raw colour frames stay available for
    a display. One step repeats the action for `frame_skip` raw frames.

    ## Action Space

    `Discrete(n)`, the game's minimal action set; `get_action_meanings()` names them.

    ## Observation Space

    `Box(0, 255, (frame_stack, screen_size, screen_size), uint8)`, oldest frame first. Each plane
    is the pixel-wise maximum of two consecutive raw frames (Atari sprites flicker) in ITU-R 601
    luma (ALE's greyscale screen), shrunk with area averaging.

    ## Rewards

    The game's score change, summed over the raw frames of the step; not clipped.

    ## Episode End

    Terminated when the game is over or, with `episodic_life`, when a life is lost (then
    `info["game_over"]` is False and the next `reset()` continues the same game). Truncated after
    `max_episode_frames` raw frames of one game. `info` holds `lives`, `game_over` and
    `episode_frame_number` (raw frames since the game began).

    ## Display

    `last_frames()` returns every raw (210, 160, 3) RGB frame of the last `reset()` or `step()`;
    `render()` returns the newest one. `metadata["render_fps"]` counts raw frames.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": RAW_FPS}  # noqa: RUF012 (gymnasium's API)

    def __init__(
        self, game_id: str, settings: AtariSettings | None = None, *, render_mode: str | None = None
    ) -> None:
        """Open the game `game_id` ("ALE/Pong-v5").

        Raises:
            ValueError: the id is not an installed ALE game, or the render mode is unknown.
        """
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"Atari games render only as 'rgb_array', not {render_mode!r}.")
        self.settings = settings if settings is not None else AtariSettings()
        self.render_mode = render_mode
        self.game_id = game_id
        self.rom = rom_name(game_id)
        self._emulator = gym.make(
            game_id,
            frameskip=1,
            repeat_action_probability=self.settings.sticky_action_probability,
            full_action_space=False,
            obs_type="rgb",
            max_num_frames_per_episode=None,  # truncation is counted here, in one place
            disable_env_checker=True,
        ).unwrapped
        self._ale_actions = self.ale.getMinimalActionSet()  # what full_action_space=False uses
        meanings = self.get_action_meanings()
        self._fire_on_reset = self.settings.fire_reset and len(meanings) >= 3 and meanings[FIRE] == "FIRE"

        side = self.settings.screen_size
        self.action_space = spaces.Discrete(len(self._ale_actions))
        self.observation_space = spaces.Box(0, 255, (self.settings.frame_stack, side, side), np.uint8)
        height, width = self.ale.getScreenDims()
        self._row_weights = area_weights(side, height)  # (side, height)
        self._col_weights_t = np.ascontiguousarray(area_weights(side, width).T)  # (width, side)

        self._stack = np.zeros(self.observation_space.shape, np.uint8)
        self._frames: list[np.ndarray] = []  # raw RGB frames of the last reset() or step()
        self._greys: deque[np.ndarray] = deque(maxlen=2)  # greyscale screens of the newest frames
        self._lives = 0
        self._continue_game = False  # the last episode ended on a lost life: reset() plays on

        # A spec lets gymnasium (and `check_env`) re-create this environment.
        self.spec = EnvSpec(
            id=game_id,
            entry_point=make_atari_env,
            kwargs={"game_id": game_id, "render_mode": render_mode, **dataclasses.asdict(self.settings)},
        )

    # -- gymnasium API -------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode: a new game, or after a lost life (`episodic_life`) the same game."""
        super().reset(seed=seed)
        self._frames = []
        played_on = self._continue_game and seed is None and self._play_on()
        if not played_on:
            self._new_game(seed)
        self._continue_game = False
        self._lives = self.ale.lives()

        self._stack[:] = self._preprocess()
        return self._stack.copy(), self._info()

    def step(self, action: int | np.integer) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Repeat `action` for `frame_skip` raw frames."""
        if not self.action_space.contains(action):
            raise ValueError(
                f"{action!r} is not an action of {self.game_id} (0 to {self.action_space.n - 1})."
            )
        self._frames = []
        reward, game_over = self._play(self._ale_actions[action], self.settings.frame_skip)

        lives = self.ale.lives()
        life_lost = 0 < lives < self._lives
        self._lives = lives
        terminated = game_over or (self.settings.episodic_life and life_lost)
        truncated = not game_over and self._out_of_time()
        self._continue_game = terminated and not game_over and not truncated

        self._stack[:-1] = self._stack[1:]
        self._stack[-1] = self._preprocess()
        return self._stack.copy(), reward, terminated, truncated, self._info(game_over)

    def render(self) -> np.ndarray | None:
        """The newest raw frame, (210, 160, 3) RGB uint8, with render_mode "rgb_array"."""
        if self.render_mode != "rgb_array" or not self._frames:
            return None
        return self._frames[-1]

    def close(self) -> None:
        self._emulator.close()

    # -- for the display, the controls and the Q-value labels ----------------------------------

    def last_frames(self) -> list[np.ndarray]:
        """Every raw (210, 160, 3) RGB frame the last reset() or step() produced, oldest first.

        The arrays are new on every call of reset() and step() and are never written again.
        """
        return list(self._frames)

    def get_action_meanings(self) -> list[str]:
        """ALE's name for each action ("NOOP", "FIRE", "UPRIGHT", ...)."""
        return self._emulator.get_action_meanings()

    def get_keys_to_action(self) -> dict[tuple[str, ...], int]:
        """Sorted tuples of pygame key names -> action: arrows move, space fires, () is NOOP."""
        return keys_to_action(self.get_action_meanings(), KEY_OVERRIDES.get(self.rom, {}))

    @property
    def ale(self) -> ale_py.ALEInterface:
        """The emulator, for what this class does not wrap (RAM, states, modes)."""
        return self._emulator.ale

    @property
    def lives(self) -> int:
        """Lives left in the current game (0 in games without lives)."""
        return self.ale.lives()

    # -- internals -----------------------------------------------------------------------------

    def _new_game(self, seed: int | None) -> None:
        """Reset the emulator, then play the random no-ops and FIRE."""
        for _ in range(100):  # a game that ends during its own start is tried again
            # ale-py derives its emulator seed from ours; reseeding reloads the ROM (~0.1 s).
            first_frame, _ = self._emulator.reset(seed=seed)
            seed = None
            self._frames = [first_frame]
            self._greys.clear()
            self._greys.append(self.ale.getScreenGrayscale())
            noops = (
                int(self.np_random.integers(1, self.settings.noop_max + 1)) if self.settings.noop_max else 0
            )
            _, game_over = self._play(self._ale_actions[NOOP], noops)
            if not game_over and self._fire_on_reset:
                _, game_over = self._play(self._ale_actions[FIRE], 1)
            if not game_over:
                return
        raise RuntimeError(f"{self.game_id} ends as soon as it starts; it cannot be played.")

    def _play_on(self) -> bool:
        """Continue the game after a lost life (one no-op frame, FIRE); False if it ended."""
        _, game_over = self._play(self._ale_actions[NOOP], 1)
        if not game_over and self._fire_on_reset:
            _, game_over = self._play(self._ale_actions[FIRE], 1)
        return not game_over and not self._out_of_time()

    def _play(self, ale_action: ale_py.Action, num_frames: int) -> tuple[float, bool]:
        """Emulate `num_frames` raw frames, stopping early when the game ends or runs out of time.

        Keeps every RGB frame, and the greyscale screens of the last two (those max-pooled).
        Returns the summed reward and whether the game is over.
        """
        ale = self.ale
        reward = 0.0
        for k in range(num_frames):
            reward += ale.act(ale_action)
            self._frames.append(ale.getScreenRGB())
            game_over = ale.game_over(with_truncation=False)
            stop = game_over or self._out_of_time()
            if stop or k >= num_frames - 2:
                previous_kept = k == 0 or k - 1 >= num_frames - 2
                if not previous_kept:
                    self._greys.clear()  # an early stop: the frame before was not kept, pool this one alone
                self._greys.append(ale.getScreenGrayscale())
            if stop:
                return reward, game_over
        return reward, False

    def _preprocess(self) -> np.ndarray:
        """Max-pool the newest two greyscale screens and shrink them by area averaging."""
        return pool_and_shrink(self._greys, self._row_weights, self._col_weights_t)

    def _out_of_time(self) -> bool:
        return self.ale.getEpisodeFrameNumber() >= self.settings.max_episode_frames

    def _info(self, game_over: bool = False) -> dict[str, Any]:
        return {
            "lives": self.ale.lives(),
            "game_over": game_over,
            "episode_frame_number": self.ale.getEpisodeFrameNumber(),
        }


def pool_and_shrink(
    greys: Sequence[np.ndarray], row_weights: np.ndarray, col_weights_t: np.ndarray
) -> np.ndarray:
    """One observation plane: the pixel-wise max of two greyscale screens, shrunk by area averaging.

    Args:
        greys: one or two (height, width) uint8 screens; a single one is shrunk alone.
        row_weights: ``area_weights(side, height)``.
        col_weights_t: ``area_weights(side, width).T``, C-contiguous.

    Returns:
        (side, side) uint8.
    """
    screen = greys[0] if len(greys) == 1 else np.maximum(greys[0], greys[1])
    small = row_weights @ screen.astype(np.float32) @ col_weights_t
    small += 0.5  # round to nearest; area averages of 0..255 stay within 0..255
    return small.astype(np.uint8)


def area_weights(size_out: int, size_in: int) -> np.ndarray:
    """(size_out, size_in) matrix averaging each output pixel's span of input pixels (area resize).

    Output pixel i covers input coordinates [i * s, (i + 1) * s) with s = size_in / size_out;
    each input pixel weighs by how much of it lies in that span. Rows sum to 1.
    """
    scale = size_in / size_out
    edges = np.arange(size_out + 1) * scale
    lo, hi = edges[:-1, None], edges[1:, None]  # (size_out, 1)
    pixel = np.arange(size_in)[None, :]  # (1, size_in)
    overlap = np.clip(np.minimum(hi, pixel + 1) - np.maximum(lo, pixel), 0.0, None)
    return (overlap / scale).astype(np.float32)


def keys_to_action(
    meanings: list[str], overrides: dict[str, str] | None = None
) -> dict[tuple[str, ...], int]:
    """Key bindings for an ALE action set: sorted pygame key names -> action index.

    Args:
        meanings: ALE action names, e.g. ["NOOP", "FIRE", "RIGHT", "LEFT"].
        overrides: action-name part -> key, replacing the default arrow for that part.
    """
    key_for_part = {**_KEY_FOR_PART, **(overrides or {})}
    bindings: dict[tuple[str, ...], int] = {}
    for action, meaning in enumerate(meanings):
        keys = tuple(sorted(key_for_part[part] for part in _ACTION_PARTS.findall(meaning)))
        assert keys not in bindings, f"{meaning} and action {bindings[keys]} share the keys {keys}"
        bindings[keys] = action
    return bindings


# -- catalog -----------------------------------------------------------------------------------


def atari_game_ids() -> list[str]:
    """Every "ALE/<Name>-v5" id the installed ale-py registers, sorted."""
    gym.register_envs(ale_py)
    return sorted(i for i in gym.registry if i.startswith("ALE/") and i.endswith("-v5"))


def atari_title(game_id: str) -> str:
    """A readable title: "ALE/SpaceInvaders-v5" -> "Space Invaders"."""
    name = game_id.rsplit("/", 1)[-1].split("-v", 1)[0]
    return " ".join(re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", name))


def rom_name(game_id: str) -> str:
    """ale-py's ROM name for an id: "ALE/SpaceInvaders-v5" -> "space_invaders".

    Raises:
        ValueError: the id is not an installed ALE game.
    """
    gym.register_envs(ale_py)
    spec = gym.registry.get(game_id)
    if spec is None or spec.namespace != "ALE" or "game" not in spec.kwargs:
        raise ValueError(
            f"{game_id!r} is not an installed Atari game; use an id like 'ALE/Pong-v5' "
            "(`python main.py games` lists them)."
        )
    return spec.kwargs["game"]


def make_atari_env(game_id: str, *, render_mode: str | None = None, **settings: Any) -> AtariEnv:
    """An `AtariEnv` for `game_id` ("ALE/Pong-v5"); `settings` are `AtariSettings` fields."""
    return AtariEnv(game_id, _settings(settings), render_mode=render_mode)


def make_atari_vector_env(
    game_id: str,
    num_envs: int,
    settings: AtariSettings | None = None,
    *,
    num_threads: int = 0,
    autoreset_mode: AutoresetMode = AutoresetMode.NEXT_STEP,
) -> AtariVectorEnv:
    """`num_envs` copies of a game, stepped in parallel by ale-py in C++: the fast training path.

    The preprocessing follows `settings` like `AtariEnv`'s (rewards are not clipped), but it is
    ale-py's own: the newest plane matches `AtariEnv`'s to within rounding, while a reset
    observation pads the older planes with zeros, not copies. There are no display frames. Seed it
    with `reset(seed=s)`: copy i gets seed s + i. Episode ends (gymnasium NEXT_STEP autoreset):

    - game over or out of time: the next `step()` resets that copy and ignores its action;
    - a lost life, with `episodic_life`: terminated, and the game simply plays on at the next
      `step()`, whose action counts (no FIRE is pressed for the agent).

    (ale-py's own `episodic_life` flag restarts the whole game on every lost life; its
    `life_loss_info` flag is the DQN papers' behaviour and the one used here.)

    Args:
        num_threads: emulator threads; 0 lets ale-py choose.
        autoreset_mode: ``SAME_STEP`` resets a finished game within its last step instead, its
            final observation in ``info["final_obs"]`` (what the Trainer's pool uses).
    """
    s = settings if settings is not None else AtariSettings()
    return AtariVectorEnv(
        rom_name(game_id),
        num_envs,
        num_threads=num_threads,
        max_num_frames_per_episode=s.max_episode_frames,
        repeat_action_probability=s.sticky_action_probability,
        img_height=s.screen_size,
        img_width=s.screen_size,
        stack_num=s.frame_stack,
        frameskip=s.frame_skip,
        noop_max=s.noop_max,
        episodic_life=False,
        life_loss_info=s.episodic_life,
        reward_clipping=False,
        use_fire_reset=s.fire_reset,
        autoreset_mode=autoreset_mode,
    )


def _settings(overrides: dict[str, Any]) -> AtariSettings:
    names = {f.name for f in dataclasses.fields(AtariSettings)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(f"Unknown Atari setting(s) {unknown}; the settings are {sorted(names)}.")
    return AtariSettings(**overrides)
