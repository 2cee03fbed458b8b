"""Games from elsewhere as GameSpecs: any registered gymnasium id, ``module:Id`` ids, ``--import`` modules.

``find_game`` (``game.catalog``) hands here every id it does not list itself:

- ``MyGame-v0``: an id already in gymnasium's registry;
- ``my_pkg.envs:MyGame-v0``: gymnasium's own form, which imports ``my_pkg.envs`` (registering the
  id, as a package does on import) and then makes ``MyGame-v0``. The spec keeps the whole form as
  its id, so that a run directory, a checkpoint and the arena's worker process find it again;
- ``main.py --import MODULE[:FUNCTION]`` imports a module (and calls a registration function) first;
  :func:`applied_imports` lists what was imported, so a worker process can do the same (and a run
  records them, ``game.modes.provenance``, so that its checkpoints find their game again).

The env's observations are read by the rule of ``agents.observations`` (channels-last images are
transposed), its preset is picked by their kind and size, and gymnasium's env checker runs once on
a spare copy: an env that breaks its rules still trains, with one notice saying what it breaks. A
checkpoint is read with the layout its run trained with (:func:`as_trained`, :func:`observation_reader`).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.env_check import env_check_problems, summary
from agents.observations import LayoutError, describe, resolve_layout
from game.catalog import ActionLabels, GameSpec, UnknownGameError, generic_labels_and_keys
from game.errors import UserError

SMALL_IMAGE_SIDE_PX = 36  # an image with a shorter side is "small": a small CNN (the Nature CNN needs 36)
BLANK_PICTURE_PX = (120, 160)  # (height, width) of the grey picture shown for an env that draws none
BLANK_GREY = 48  # its shade
_applied: list[str] = []  # --import entries this process applied, in order (a worker repeats them)


def _import(module_name: str, needed_by: str) -> object:
    """``importlib.import_module``, with what goes wrong said in one sentence."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or module_name
        raise UserError(
            f"{needed_by} needs the module {missing}, which is not installed: "
            f"pip install {missing.split('.')[0]} (or the package that provides it)."
        ) from error
    except Exception as error:  # the module itself is broken: its first line, not a traceback
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(
            f"Importing {module_name} for {needed_by} failed ({first}); fix or leave it out."
        ) from error


def import_games(entries: Sequence[str], recorded_in: Path | None = None) -> None:
    """Import each ``MODULE[:FUNCTION]`` and call FUNCTION (no arguments) when given; an entry this
    process applied already is not applied again.

    Args:
        entries: ``--import`` entries.
        recorded_in: the file they were read from, named when one fails (None: the command line).

    Raises:
        UserError: a module that is not installed or fails to import, or a FUNCTION it lacks.
    """
    for entry in entries:
        if entry in _applied:
            continue
        module_name, _, function = entry.partition(":")
        needed_by = f"--import {entry}" + (f" (recorded in {recorded_in})" if recorded_in else "")
        if not module_name:
            raise UserError(f"--import takes MODULE or MODULE:FUNCTION, not {entry!r}.")
        module = _import(module_name, needed_by)
        if function:
            register = getattr(module, function, None)
            if not callable(register):
                raise UserError(f"The module {module_name} has no function {function}; check {needed_by}.")
            register()
        _applied.append(entry)


def applied_imports() -> tuple[str, ...]:
    """The ``--import`` entries applied in this process, in order."""
    return tuple(_applied)


def module_spec(name: str) -> GameSpec:
    """The spec of ``module:Id``: the module imported, then the id it registered.

    Raises:
        UserError: a missing module (naming what to install), an id the module does not register.
    """
    module_name, _, env_id = name.partition(":")
    if not module_name or not env_id:
        raise UnknownGameError(f"'{name}' is not of the form module:GameId-v0 (e.g. my_pkg.envs:MyGame-v0).")
    _import(module_name, f"The game {name}")
    if env_id not in gym.registry:
        raise UnknownGameError(
            f"Importing {module_name} registered no game called '{env_id}'; check the id after the colon."
        )
    return registered_spec(env_id, game_id=name)


def _make(env_id: str) -> gym.Env:
    """The env, drawn as pictures where it can be; gymnasium's checks run once, apart (``_problems``)."""
    try:
        with warnings.catch_warnings():  # a render mode the env does not list: the checker says it once
            warnings.simplefilter("ignore")
            return gym.make(env_id, render_mode="rgb_array", disable_env_checker=True)
    except TypeError as error:
        if "render_mode" not in str(error):
            raise
        return gym.make(env_id, disable_env_checker=True)  # an env with no render mode still trains


class BlankPicture(gym.Wrapper):
    """An env without a render mode, drawn as a grey picture, so that a window can still show its Q-values."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._picture = np.full((*BLANK_PICTURE_PX, 3), BLANK_GREY, dtype=np.uint8)

    @property
    def render_mode(self) -> str:
        return "rgb_array"

    def render(self) -> np.ndarray:
        return self._picture.copy()


def _make_drawn(env_id: str) -> gym.Env:
    env = _make(env_id)
    return env if env.render_mode == "rgb_array" else BlankPicture(env)


@functools.cache
def _problems(env_id: str) -> tuple[str, ...]:
    return tuple(env_check_problems(_make(env_id)))


def _preset(space: gym.Space, layout: str) -> str:
    if layout == "vector":
        return "classic"
    side = min(space.shape[-2:]) if layout == "chw" else min(space.shape[:2])
    return "small_image" if side < SMALL_IMAGE_SIDE_PX else "image"


def registered_spec(env_id: str, game_id: str | None = None, layout: str = "auto") -> GameSpec:
    """A spec for a registered gymnasium id outside the catalog, if the agent can play it.

    Args:
        env_id: the id in gymnasium's registry.
        game_id: the spec's id (``module:Id``), when it differs from ``env_id``.
        layout: the observation layout, "auto" to detect it (``agents.observations``).

    Raises:
        UnknownGameError: an env that cannot be made, continuous actions, structured observations.
    """
    game_id = game_id or env_id
    try:
        probe = _make(env_id)
    except Exception as error:  # a missing extra, a deprecated version, a bad kwarg: one sentence
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UnknownGameError(f"The gymnasium game '{game_id}' cannot be made here: {first_line}") from error
    try:
        space = probe.action_space
        if not isinstance(space, gym.spaces.Discrete):
            raise UnknownGameError(
                f"'{game_id}' has a {type(space).__name__} action space; Q-Arcade plays only games "
                "with discrete actions."
            )
        n_actions = int(space.n)
        raw_space = probe.observation_space
        try:
            layout = resolve_layout(raw_space, layout)
        except LayoutError as error:
            raise UnknownGameError(f"'{game_id}' cannot be played: {error}.") from error
    finally:
        probe.close()
    labels, keys = generic_labels_and_keys(n_actions)
    problems = _problems(env_id)
    notices = (
        (f"Warning: {game_id} breaks gymnasium's env checker ({summary(list(problems))}); it trains anyway.",)
        if problems
        else ()
    )
    return GameSpec(
        id=game_id,
        title=game_id,
        kind="gym",
        players=1,
        factory=lambda mode: ActionLabels(_make_drawn(env_id), labels, keys),
        preset=_preset(raw_space, layout),
        blurb="a registered gymnasium game",
        obs_layout=layout,
        observations=describe(raw_space, layout),
        notices=notices,
    )


def with_obs_layout(spec: GameSpec, layout: str) -> GameSpec:
    """``spec`` with its observations read in ``layout`` ("auto" leaves it as it is).

    Raises:
        UserError: a layout that does not fit the game's observations, or a game with its own pool.
    """
    if layout == "auto":
        return spec
    if spec.pool_factory is not None:
        raise UserError(f"{spec.id} makes its observations itself; leave obs_layout out.")
    probe = spec.factory("train")
    try:
        space = probe.observation_space
        resolved = resolve_layout(space, layout)
    except LayoutError as error:
        raise UserError(f"{spec.id} cannot take {error}; leave obs_layout out.") from error
    finally:
        probe.close()
    return dataclasses.replace(spec, obs_layout=resolved, observations=describe(space, resolved))


def trained_layout(metadata: Mapping[str, Any]) -> str:
    """The ``obs_layout`` setting of the run that wrote a checkpoint's ``metadata`` ("auto" where none)."""
    config = metadata.get("config")
    layout = config.get("obs_layout", "auto") if isinstance(config, Mapping) else "auto"
    return layout if isinstance(layout, str) else "auto"


def as_trained(spec: GameSpec, metadata: Mapping[str, Any], checkpoint: str | os.PathLike) -> GameSpec:
    """``spec`` reading observations as the run that wrote the checkpoint did (its ``obs_layout``).

    A checkpoint of another game leaves ``spec`` as it is: the metadata check names the game.

    Raises:
        UserError: a layout the game's observations no longer fit.
    """
    layout = trained_layout(metadata)
    if metadata.get("game_id") != spec.id or layout == "auto":
        return spec
    try:
        return with_obs_layout(spec, layout)
    except UserError as error:
        raise UserError(
            f"Checkpoint {checkpoint} was trained reading {spec.id}'s observations with obs_layout={layout}, "
            "which they no longer fit; choose a checkpoint trained on this version of the game."
        ) from error


def observation_reader(spec: GameSpec, trained: GameSpec) -> Callable[[np.ndarray], np.ndarray] | None:
    """How an agent trained on ``trained`` (``spec`` in another layout) reads an observation that
    ``spec.make_env`` hands out; None where the two layouts agree.

    Each layout is a view of the env's own observation: channels-last images transposed ("hwc"),
    other shapes flattened ("vector"); the reader undoes ``spec``'s view and applies ``trained``'s.
    """
    if trained.obs_layout == spec.obs_layout:
        return None
    probe = spec.factory("train")
    try:
        space = probe.observation_space
    finally:
        probe.close()
    if not isinstance(space, gym.spaces.Box):  # Discrete and the like: a vector in every layout
        return None
    shape = space.shape
    undo = {"hwc": lambda obs: np.transpose(obs, (1, 2, 0)), "vector": lambda obs: np.reshape(obs, shape)}
    redo = {
        "hwc": lambda raw: np.ascontiguousarray(np.transpose(raw, (2, 0, 1))),
        "vector": lambda raw: np.reshape(raw, -1),
    }
    to_raw = undo.get(spec.obs_layout, np.asarray)
    from_raw = redo.get(trained.obs_layout, np.asarray)
    return lambda obs: from_raw(to_raw(np.asarray(obs)))
