"""Q-networks with one output per action: an MLP, the Nature and 2013 DQN CNNs and a small CNN, each with an
optional dueling head.

Every network is a torso (observation -> features) followed by a head (features -> Q-values).
``forward(obs)`` returns Q-values of shape (batch, n_actions); ``forward_parts(obs)`` also returns
V(s) and the advantages of a dueling head, so an overlay can draw them.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.nn import functional

from agents.dqn_config import NETWORK_KINDS

NATURE_HIDDEN = 512  # width of the Nature CNN's dense layer (Mnih et al. 2015)
NIPS_HIDDEN = 256  # width of the 2013 DQN network's dense layer (Mnih et al. 2013)
SMALL_CNN_HIDDEN = 128  # width of the small CNN's dense layer
MLP_HIDDEN = (64, 64)  # default hidden widths of the MLP
NATURE_MIN_SIDE_PX = 36  # smallest image side the Nature CNN's strided convolutions accept


class QParts(NamedTuple):
    """The pieces of a Q estimate. ``value`` and ``advantages`` are None without a dueling head."""

    q: torch.Tensor
    """(batch, n_actions)"""
    value: torch.Tensor | None
    """(batch,) V(s)"""
    advantages: torch.Tensor | None
    """(batch, n_actions) A(s, a) - mean_a A(s, a), so that q = value + advantages"""


class DuelingHead(nn.Module):
    """Q(s, a) = V(s) + A(s, a) - mean_a A(s, a) (Wang et al. 2016)."""

    def __init__(self, n_features: int, n_actions: int) -> None:
        super().__init__()
        self.value = nn.Linear(n_features, 1)
        self.advantage = nn.Linear(n_features, n_actions)

    def forward(self, features: torch.Tensor) -> QParts:
        value = self.value(features).squeeze(1)
        advantage = self.advantage(features)
        advantage = advantage - advantage.mean(dim=1, keepdim=True)
        return QParts(value.unsqueeze(1) + advantage, value, advantage)


class QNetwork(nn.Module):
    """A torso that turns prepared observations into features, then a plain or dueling Q head."""

    def __init__(self, torso: nn.Module, n_features: int, n_actions: int, dueling: bool) -> None:
        super().__init__()
        self.n_actions = n_actions
        self.dueling = dueling
        self.torso = torso
        self.head: nn.Module = (
            DuelingHead(n_features, n_actions) if dueling else nn.Linear(n_features, n_actions)
        )

    def prepare(self, obs: torch.Tensor) -> torch.Tensor:
        """Turn raw observations (as stored) into the torso's float input."""
        return obs.float()

    def forward_parts(self, obs: torch.Tensor) -> QParts:
        features = self.torso(self.prepare(obs))
        if self.dueling:
            return self.head(features)
        return QParts(self.head(features), None, None)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.forward_parts(obs).q


class MLP(QNetwork):
    """Fully connected Q-network for vector observations, or Discrete ones given as integer indices."""

    def __init__(
        self,
        n_inputs: int,
        n_actions: int,
        hidden: tuple[int, ...] = MLP_HIDDEN,
        dueling: bool = False,
        one_hot: bool = False,
    ) -> None:
        layers: list[nn.Module] = []
        width = n_inputs
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        super().__init__(nn.Sequential(*layers), width, n_actions, dueling)
        self.n_inputs = n_inputs
        self.one_hot = one_hot

    def prepare(self, obs: torch.Tensor) -> torch.Tensor:
        if self.one_hot:
            return functional.one_hot(obs.long().reshape(-1), self.n_inputs).float()
        return obs.float().reshape(obs.shape[0], -1)


class ImageQNetwork(QNetwork):
    """A convolutional Q-network: scales its input and can run in channels-last memory format."""

    def __init__(
        self, torso: nn.Module, n_features: int, n_actions: int, dueling: bool, scale: float
    ) -> None:
        super().__init__(torso, n_features, n_actions, dueling)
        self.scale = scale
        self.channels_last = False

    def to_channels_last(self) -> ImageQNetwork:
        """Store weights and feed inputs as NHWC, which oneDNN convolutions on the CPU run faster."""
        self.to(memory_format=torch.channels_last)
        self.channels_last = True
        return self

    def prepare(self, obs: torch.Tensor) -> torch.Tensor:
        # Bytes are reordered before they are widened (a quarter of the traffic of reordering floats),
        # and under bfloat16 autocast they are widened straight to bfloat16, which the first convolution
        # would cast them to anyway: the same values for a third of the copies.
        x = obs.contiguous(memory_format=torch.channels_last) if self.channels_last else obs
        if x.is_floating_point():
            return x.float() * self.scale
        device = x.device.type
        dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else torch.float32
        return x.to(dtype).mul_(self.scale)


class StridedCNN(ImageQNetwork):
    """Strided convolutions (``CONVOLUTIONS``: filters, kernel, stride) and a dense layer, for stacks of
    84x84 uint8 frames scaled by 1/255 inside: the DQN papers' networks."""

    CONVOLUTIONS: tuple[tuple[int, int, int], ...] = ()
    HIDDEN = 0

    def __init__(
        self,
        n_actions: int,
        in_shape: tuple[int, int, int] = (4, 84, 84),
        dueling: bool = False,
        hidden: int | None = None,
        scale: float = 1.0 / 255.0,
    ) -> None:
        channels, height, width = in_shape
        if min(height, width) < NATURE_MIN_SIDE_PX:
            raise ValueError(
                f"{type(self).__name__} needs images of at least {NATURE_MIN_SIDE_PX} px a side, "
                f"got {in_shape}"
            )
        layers: list[nn.Module] = []
        for filters, kernel, stride in self.CONVOLUTIONS:
            layers += [nn.Conv2d(channels, filters, kernel_size=kernel, stride=stride), nn.ReLU()]
            channels = filters
        convs = nn.Sequential(*layers, nn.Flatten())
        hidden = hidden or self.HIDDEN
        torso = nn.Sequential(convs, nn.Linear(_flat_size(convs, in_shape), hidden), nn.ReLU())
        super().__init__(torso, hidden, n_actions, dueling, scale)


class NatureCNN(StridedCNN):
    """The DQN network of Mnih et al. (2015): 32, 64 and 64 filters, 512 units (3136 features for 84x84)."""

    CONVOLUTIONS = ((32, 8, 4), (64, 4, 2), (64, 3, 1))
    HIDDEN = NATURE_HIDDEN


class NipsCNN(StridedCNN):
    """The smaller DQN network of Mnih et al. (2013): 16 and 32 filters, 256 units.

    It takes the same 84x84 stacks as the Nature CNN for about a third of its arithmetic per frame.
    """

    CONVOLUTIONS = ((16, 8, 4), (32, 4, 2))
    HIDDEN = NIPS_HIDDEN


STRIDED_CNNS: dict[str, type[StridedCNN]] = {"nature": NatureCNN, "nips": NipsCNN}


class SmallCNN(ImageQNetwork):
    """Two 3x3 same-padding convolutions and a dense layer, for small grids such as (3, 10, 10)."""

    def __init__(
        self,
        in_shape: tuple[int, int, int],
        n_actions: int,
        dueling: bool = False,
        channels: tuple[int, int] = (16, 32),
        hidden: int = SMALL_CNN_HIDDEN,
        scale: float = 1.0,
    ) -> None:
        convs = nn.Sequential(
            nn.Conv2d(in_shape[0], channels[0], kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels[0], channels[1], kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        torso = nn.Sequential(convs, nn.Linear(_flat_size(convs, in_shape), hidden), nn.ReLU())
        super().__init__(torso, hidden, n_actions, dueling, scale)


def _flat_size(convs: nn.Module, in_shape: tuple[int, int, int]) -> int:
    with torch.no_grad():
        return int(convs(torch.zeros(1, *in_shape)).shape[1])


def network_kind(obs_space: gym.Space) -> str:
    """The network that suits an observation space: "mlp", "nature" or "small_cnn".

    A 3-D Box is a channels-first image (``agents.observations.with_layout`` puts channels-last ones
    first): the Nature CNN when both sides are at least NATURE_MIN_SIDE_PX, else the small CNN.
    Every other Box (a vector) and a Discrete space get the MLP.
    """
    if isinstance(obs_space, gym.spaces.Discrete):
        return "mlp"
    if not isinstance(obs_space, gym.spaces.Box):
        raise ValueError(f"Q-Arcade agents need a Box or Discrete observation space, not {obs_space}.")
    if len(obs_space.shape) == 3:
        return "nature" if min(obs_space.shape[1:]) >= NATURE_MIN_SIDE_PX else "small_cnn"
    return "mlp"


def make_network(
    obs_space: gym.Space,
    n_actions: int,
    kind: str = "auto",
    dueling: bool = False,
    hidden: tuple[int, ...] | None = None,
) -> QNetwork:
    """Build the Q-network for an observation space.

    Args:
        obs_space: Box (vector, or channels-first image) or Discrete.
        n_actions: number of discrete actions (one output each).
        kind: "auto", "mlp", "nature", "nips" or "small_cnn".
        dueling: use a dueling head.
        hidden: MLP hidden widths, or the CNN's dense width as a 1-tuple; None for the default.

    Returns:
        An untrained network on the CPU.
    """
    if kind == "auto":
        kind = network_kind(obs_space)
    uint8 = isinstance(obs_space, gym.spaces.Box) and obs_space.dtype == np.uint8
    if kind == "mlp":
        if isinstance(obs_space, gym.spaces.Discrete):
            return MLP(int(obs_space.n), n_actions, hidden or MLP_HIDDEN, dueling, one_hot=True)
        return MLP(math.prod(obs_space.shape), n_actions, hidden or MLP_HIDDEN, dueling)
    if kind in ("nature", "nips", "small_cnn"):
        if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 3:
            raise ValueError(
                f"A {kind} network needs (channels, height, width) observations, not {obs_space}."
            )
        in_shape = tuple(int(s) for s in obs_space.shape)
        scale = 1.0 / 255.0 if uint8 else 1.0
        if kind in STRIDED_CNNS:  # each keeps its own dense width unless one is given
            return STRIDED_CNNS[kind](n_actions, in_shape, dueling, hidden[0] if hidden else None, scale)
        return SmallCNN(in_shape, n_actions, dueling, hidden=(hidden or (SMALL_CNN_HIDDEN,))[0], scale=scale)
    raise ValueError(f"Unknown network kind {kind!r}; use one of {', '.join(NETWORK_KINDS)}.")
