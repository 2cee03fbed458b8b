"""Observation layouts: which axis of an image holds its channels, and the wrapper that puts them first.

The networks (``agents.networks``) read images channels-first, (C, H, W), as torch does; gymnasium
envs hand them out either way. :func:`detect_layout` guesses from the shape, :func:`with_layout`
wraps an env so that its observations reach the agent as a vector or a channels-first image.

The rule for a 3-D Box: **channels-last (H, W, C) when the last axis is 1 to 4 long and the first is
longer than 4** (an RGB, RGBA or grey frame: (84, 84, 3), (10, 10, 1)); every other 3-D Box is
channels-first (C, H, W). Boxes of 1, 2 or more than 3 axes, Discrete, MultiBinary and MultiDiscrete
spaces are vectors (flattened for the MLP). Dict and Tuple spaces are refused: the agent takes one
array. A wrong guess is overridden with the ``obs_layout`` setting (``--set obs_layout=hwc``).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

LAYOUTS = ("auto", "chw", "hwc", "vector")  # what the obs_layout setting accepts
MAX_CHANNELS = 4  # the longest last axis still read as channels (RGBA)
LAYOUT_NAMES = {
    "chw": "a channels-first image (C,H,W)",
    "hwc": "a channels-last image (H,W,C), transposed to (C,H,W)",
    "vector": "a vector",
}


class LayoutError(ValueError):
    """An observation space the agent cannot take, or a layout that does not fit it; one sentence."""


def detect_layout(space: gym.Space) -> str:
    """The layout of ``space``: "chw", "hwc" or "vector" (see the module's rule).

    Raises:
        LayoutError: a Dict, Tuple or other structured space.
    """
    if isinstance(space, (gym.spaces.Discrete, gym.spaces.MultiBinary, gym.spaces.MultiDiscrete)):
        return "vector"
    if not isinstance(space, gym.spaces.Box):
        raise LayoutError(
            f"its observations are a {type(space).__name__} space; Q-Arcade's agents take one array "
            "(a Box or Discrete space), so flatten them with gymnasium.wrappers.FlattenObservation first"
        )
    shape = space.shape
    if len(shape) != 3:
        return "vector"
    return "hwc" if shape[-1] <= MAX_CHANNELS and shape[0] > MAX_CHANNELS else "chw"


def describe(space: gym.Space, layout: str) -> str:
    """One phrase for a progress header: "10x10x3 uint8, read as a channels-last image (H,W,C), ..."."""
    shape = "x".join(str(s) for s in (space.shape or ())) or "1"
    return f"{shape} {getattr(space, 'dtype', '')}, read as {LAYOUT_NAMES[layout]}"


class ChannelsFirst(gym.ObservationWrapper):
    """(H, W, C) observations as (C, H, W), same dtype and bounds."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        space = env.observation_space
        assert isinstance(space, gym.spaces.Box) and len(space.shape) == 3, space
        self.observation_space = gym.spaces.Box(
            low=np.transpose(space.low, (2, 0, 1)),
            high=np.transpose(space.high, (2, 0, 1)),
            dtype=space.dtype,
        )

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.transpose(observation, (2, 0, 1)))


def resolve_layout(space: gym.Space, layout: str = "auto") -> str:
    """``layout`` checked against ``space``, or detected when "auto".

    Raises:
        LayoutError: an unknown layout, an image layout for a space that is not a 3-D Box, or a
            structured space.
    """
    if layout not in LAYOUTS:
        raise LayoutError(f"obs_layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    detected = detect_layout(space)
    if layout == "auto":
        return detected
    if layout in ("chw", "hwc") and not (isinstance(space, gym.spaces.Box) and len(space.shape) == 3):
        raise LayoutError(f"obs_layout={layout}, which needs 3-D image observations, not {space}")
    return layout


def with_layout(env: gym.Env, layout: str = "auto") -> tuple[gym.Env, str]:
    """``env`` wrapped so that the agent sees a vector or a channels-first image, and the layout used.

    Raises:
        LayoutError: as :func:`resolve_layout`.
    """
    space = env.observation_space
    layout = resolve_layout(space, layout)
    if layout == "hwc":
        return ChannelsFirst(env), layout
    if layout == "vector" and not (
        isinstance(space, gym.spaces.Discrete)
        or (isinstance(space, gym.spaces.Box) and len(space.shape) == 1)
    ):
        return gym.wrappers.FlattenObservation(env), layout
    return env, layout
