"""Every playable game as a GameSpec: how to make it, what its actions are called, which keys play it.

The catalog holds the home-made games, gymnasium's classic-control games with discrete actions,
every Atari ROM the installed ale-py ships, and — looked up on demand — any other registered
gymnasium id with a discrete action space. ``find_game`` turns what a user typed into a spec,
or raises :class:`UnknownGameError` with one sentence naming the closest matches.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from agents.observations import with_layout
from game.arcade import ARCADE_GAMES, GYM_IDS
from game.arcade.common import KeyCombo, combo
from game.atari import env as atari
from game.errors import UserError

Mode = Literal["train", "show", "play"]
"""What an env is made for: a learner's env, the agent's showcase on screen, or a person's game."""

FEATURED_ARCADE = ("catch", "snake", "runner", "pong", "gridworld", "tictactoe")
ATARI_PIXEL_ASPECT = 1.75  # the 2600's 160x210 picture filled a 4:3 television
ATARI_PRESETS = {"ALE/Pong-v5": "atari-pong"}  # the rest learn with the "atari" preset
ARCADE_BLURBS = {
    "catch": "move the basket under the falling fruit",
    "snake": "eat, grow, and never bite your own tail",
    "runner": "jump over cacti, duck under birds",
    "pong": "two paddles, one ball: first to five points",
    "gridworld": "reach the flag without falling into a pit",
    "tictactoe": "three in a row against the computer",
}


class UnknownGameError(UserError):
    """A game id that the catalog cannot play; the message is one sentence for the user."""


@dataclass(frozen=True)
class GameSpec:
    """One playable game.

    Attributes:
        id: what a user types (``catch``, ``ALE/Pong-v5``, ``CartPole-v1``).
        title: the name shown in menus.
        kind: ``arcade`` (home-made), ``atari``, ``classic`` (gymnasium classic control) or ``gym``.
        players: 1, or 2 for games with an opponent policy.
        factory: ``factory(mode) -> gymnasium.Env`` with ``render_mode="rgb_array"``.
        preset: name of the default agent preset for this game.
        featured: shown first in menus and listings.
        blurb: one line for menus.
        pixel_aspect: width of one frame pixel over its height on screen.
        pool_factory: ``pool_factory(num_envs, seed)`` steps that many training envs together
            (the Trainer's fast path; Atari has one); None steps copies of ``make_env("train")``.
        eval_pool_factory: the same for evaluations: whole games (no episodic life), played side
            by side; None evaluates on ``make_env("show")``, one game after another.
        obs_layout: how ``make_env`` hands observations to the agent (``agents.observations``):
            "chw", "hwc" (transposed to channels-first) or "vector"; "" as the factory makes them.
        observations: one phrase for a progress header on how the observations are read.
        notices: sentences to tell the person once at start (an env that breaks gymnasium's rules).
    """

    id: str
    title: str
    kind: str
    players: int
    factory: Callable[[Mode], gym.Env] = field(repr=False)
    preset: str
    featured: bool = False
    blurb: str = ""
    pixel_aspect: float = 1.0
    pool_factory: Callable[[int, int], Any] | None = field(default=None, repr=False)
    eval_pool_factory: Callable[[int, int], Any] | None = field(default=None, repr=False)
    obs_layout: str = ""
    observations: str = ""
    notices: tuple[str, ...] = ()

    @property
    def full_title(self) -> str:
        """The title with the machine it ran on, where that matters ("Pong  ·  Atari 2600")."""
        return f"{self.title}  ·  Atari 2600" if self.kind == "atari" else self.title

    def make_env(self, mode: Mode = "train") -> gym.Env:
        """A fresh environment of this game, made for ``mode``."""
        env = self.factory(mode)
        return with_layout(env, self.obs_layout)[0] if self.obs_layout else env


# --------------------------------------------------------------------------- labels and keys


class ActionLabels(gym.Wrapper):
    """Gives an env without them ALE's ``get_action_meanings()`` and ``get_keys_to_action()``."""

    def __init__(self, env: gym.Env, labels: list[str], keys: dict[KeyCombo, int]):
        super().__init__(env)
        assert isinstance(env.action_space, gym.spaces.Discrete)
        assert len(labels) == env.action_space.n, (labels, env.action_space)
        self._labels = list(labels)
        self._keys = dict(keys)

    def get_action_meanings(self) -> list[str]:
        return list(self._labels)

    def get_keys_to_action(self) -> dict[KeyCombo, int]:
        return dict(self._keys)


def action_labels(env: gym.Env) -> list[str]:
    """The name of every action of ``env`` (``NOOP``, ``FIRE``, ``JUMP``, ...)."""
    return list(env.get_wrapper_attr("get_action_meanings")())


def key_bindings(env: gym.Env) -> dict[KeyCombo, int]:
    """Held-key combinations (sorted pygame key names) -> action, for a person playing ``env``."""
    return {
        combo(*keys): int(action) for keys, action in env.get_wrapper_attr("get_keys_to_action")().items()
    }


_DIGIT_KEYS = [str(d) for d in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0)]


def generic_labels_and_keys(n_actions: int) -> tuple[list[str], dict[KeyCombo, int]]:
    """Numbered actions on the number keys, for ids the catalog knows nothing about."""
    labels = [f"ACTION {a}" for a in range(n_actions)]
    keys = {(_DIGIT_KEYS[a],): a for a in range(min(n_actions, len(_DIGIT_KEYS)))}
    return labels, keys


# --------------------------------------------------------------------------- the games

_CLASSIC: dict[str, tuple[str, str, list[str], dict[KeyCombo, int]]] = {
    "CartPole-v1": (
        "CartPole",
        "balance a pole on a cart by pushing it left or right",
        ["LEFT", "RIGHT"],
        {("left",): 0, ("right",): 1},
    ),
    "Acrobot-v1": (
        "Acrobot",
        "swing a two-link arm above the line by torque at its elbow",
        ["LEFT", "NOOP", "RIGHT"],
        {("left",): 0, (): 1, ("right",): 2},
    ),
    "MountainCar-v0": (
        "Mountain Car",
        "rock an underpowered car out of a valley to the flag",
        ["LEFT", "NOOP", "RIGHT"],
        {("left",): 0, (): 1, ("right",): 2},
    ),
}


def _arcade_spec(game_id: str, featured: bool) -> GameSpec:
    env_class = ARCADE_GAMES[game_id]
    return GameSpec(
        id=game_id,
        title=game_id.capitalize() if game_id != "tictactoe" else "Tic-Tac-Toe",
        kind="arcade",
        players=int(getattr(env_class, "players", 1)),
        factory=lambda mode: env_class(render_mode="rgb_array"),
        preset=game_id,
        featured=featured,
        blurb=ARCADE_BLURBS.get(game_id, ""),
    )


def _classic_factory(game_id: str) -> Callable[[Mode], gym.Env]:
    _, _, labels, keys = _CLASSIC[game_id]
    return lambda mode: ActionLabels(gym.make(game_id, render_mode="rgb_array"), labels, keys)


def _atari_factory(game_id: str) -> Callable[[Mode], gym.Env]:
    def factory(mode: Mode) -> gym.Env:
        if mode == "train":
            settings = atari.AtariSettings()
        elif mode == "show":
            settings = atari.AtariSettings(episodic_life=False)
        else:  # a person plays every one of the 60 frames a second, from the very first one
            settings = atari.AtariSettings(episodic_life=False, frame_skip=1, noop_max=0, fire_reset=False)
        return atari.AtariEnv(game_id, settings, render_mode="rgb_array")

    return factory


def _atari_pool_factory(
    game_id: str, settings: atari.AtariSettings | None = None
) -> Callable[[int, int], Any]:
    def factory(num_envs: int, seed: int) -> Any:
        from game.atari.pool import AtariVectorPool

        return AtariVectorPool(game_id, num_envs, seed, settings)

    return factory


@functools.cache
def catalog() -> dict[str, GameSpec]:
    """Every game the catalog lists, featured first: home-made, Atari featured, classic, all Atari."""
    specs: dict[str, GameSpec] = {}
    for game_id in FEATURED_ARCADE:
        specs[game_id] = _arcade_spec(game_id, featured=True)
    for game_id in ARCADE_GAMES:
        specs.setdefault(game_id, _arcade_spec(game_id, featured=False))
    atari_ids = atari.atari_game_ids()
    featured_atari = list(atari.FEATURED_ATARI_GAMES)
    for game_id in featured_atari + atari_ids:
        if game_id in specs or game_id not in atari_ids:
            continue
        specs[game_id] = GameSpec(
            id=game_id,
            title=atari.atari_title(game_id),
            kind="atari",
            players=1,
            factory=_atari_factory(game_id),
            preset=ATARI_PRESETS.get(game_id, "atari"),
            featured=game_id in featured_atari,
            blurb="Atari 2600",
            pixel_aspect=ATARI_PIXEL_ASPECT,
            pool_factory=_atari_pool_factory(game_id),
            eval_pool_factory=_atari_pool_factory(game_id, atari.AtariSettings(episodic_life=False)),
        )
    for game_id, (title, blurb, _, _) in _CLASSIC.items():
        specs[game_id] = GameSpec(
            id=game_id,
            title=title,
            kind="classic",
            players=1,
            factory=_classic_factory(game_id),
            preset="classic",
            blurb=blurb,
        )
    return specs


def find_game(name: str) -> GameSpec:
    """The spec for what a user typed: a catalog id (any case), a registered gymnasium id, or
    gymnasium's ``module:Id`` form, which imports the module first (``game.gym_games``).

    Raises:
        UnknownGameError: with one sentence that names the closest matches.
    """
    specs = catalog()
    if name in specs:
        return specs[name]
    by_lower = {game_id.lower(): spec for game_id, spec in specs.items()}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    arcade_by_gym_id = {gym_id.lower(): game_id for game_id, gym_id in GYM_IDS.items()}
    if name.lower() in arcade_by_gym_id:  # QArcade/Catch-v0 is the catalog's catch
        return specs[arcade_by_gym_id[name.lower()]]
    if ":" in name or name in gym.registry:  # module:Id, or an id registered outside the catalog
        from game.gym_games import module_spec, registered_spec

        return module_spec(name) if ":" in name else registered_spec(name)
    # Forgiving forms of Atari ids: "Pong-v5", "ALE/Pong", "breakout".
    for candidate in (f"ALE/{name}", f"ALE/{name}-v5", f"{name}-v5"):
        if candidate.lower() in by_lower and by_lower[candidate.lower()].kind == "atari":
            return by_lower[candidate.lower()]
    raise UnknownGameError(_unknown_message(name, list(specs) + list(gym.registry)))


def _unknown_message(name: str, known: list[str]) -> str:
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.5)
    # Atari ids are long; compare the bare game name too ("pongg" -> "ALE/Pong-v5").
    bare = {k.lower().removeprefix("ale/").removesuffix("-v5"): k for k in known if k.startswith("ALE/")}
    close += [bare[b].lower() for b in difflib.get_close_matches(name.lower(), list(bare), n=2, cutoff=0.6)]
    suggestions = list(dict.fromkeys(lowered[c] for c in close))[:3]
    if suggestions:
        hint = "did you mean " + " or ".join(f"'{s}'" for s in suggestions) + "?"
    else:
        hint = "run 'python main.py games' to list them."
    return f"There is no game called '{name}'; {hint}"


def frame_of(env: gym.Env) -> np.ndarray:
    """The env's current picture as (H, W, 3) uint8."""
    frame = env.render()
    assert isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.dtype == np.uint8, type(frame)
    return frame


def display_frames(env: gym.Env) -> list[np.ndarray]:
    """The pictures a person sees of the env's last reset or step: every raw frame of an Atari game
    (shown at its 60 Hz while the agent decides every 4th), else the one picture."""
    last_frames = getattr(env.unwrapped, "last_frames", None)
    frames = list(last_frames()) if last_frames is not None else []
    return frames or [frame_of(env)]
