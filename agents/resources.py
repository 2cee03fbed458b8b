"""What a run needs in memory, weighed against what the machine has before anything is allocated.

A replay memory too big for the machine would otherwise end in numpy's ``ArrayMemoryError`` (or,
as numpy allocates lazily, in the kernel killing the run hours later when the ring fills up).
"""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import torch

from agents.dqn_config import DQNConfig
from agents.networks import make_network
from agents.replay import replay_nbytes

MEMINFO = Path("/proc/meminfo")  # Linux: MemAvailable is what can be allocated without swapping
WARN_SHARE = 0.8  # a run needing more than this share of the available memory is warned about
NETWORK_COPIES = 5  # online and target weights, gradients and Adam's two moments
GIB = 1024**3


class NotEnoughMemoryError(Exception):
    """The settings need more memory than the machine has; ``str(error)`` is one sentence for the user."""


def available_bytes(meminfo: Path = MEMINFO) -> int | None:
    """The memory that can be allocated now (MemAvailable), or None where it is unknown."""
    try:
        lines = meminfo.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name == "MemAvailable":
            fields = value.split()  # "8000000 kB"
            try:
                return int(fields[0]) * (1024 if fields[1:] == ["kB"] else 1)
            except (ValueError, IndexError):
                return None
    return None


def network_nbytes(obs_space: gym.Space, n_actions: int, config: DQNConfig) -> int:
    """Bytes of the networks and their optimizer state, measured on a network built without memory."""
    with torch.device("meta"):
        network = make_network(obs_space, n_actions, config.network, config.dueling, config.hidden)
    weights = sum(p.numel() * p.element_size() for p in network.parameters())
    return NETWORK_COPIES * weights


def check_memory(obs_space: gym.Space, n_actions: int, config: DQNConfig) -> str | None:
    """Refuse settings whose replay memory and networks do not fit in the available memory.

    Returns:
        A warning sentence when they need more than ``WARN_SHARE`` of it, else None (also where the
        available memory is unknown).

    Raises:
        NotEnoughMemoryError: they need more than is available.
    """
    available = available_bytes()
    if available is None:
        return None
    replay = replay_nbytes(obs_space, config.replay_capacity, config.demo_capacity)
    needed = replay + network_nbytes(obs_space, n_actions, config)
    settings = f"dqn.replay_capacity={config.replay_capacity:,}"
    if config.demo_capacity:
        settings += f" with dqn.demo_capacity={config.demo_capacity:,}"
    if needed > available:
        what = "replay memory" if replay >= needed / 2 else "replay memory and networks"
        raise NotEnoughMemoryError(
            f"{settings} needs {show_bytes(needed)} of {what} but {show_bytes(available)} is available; "
            "lower it."
        )
    if needed > WARN_SHARE * available:
        return (
            f"{settings} needs {show_bytes(needed)}, {needed / available:.0%} of the "
            f"{show_bytes(available)} available; lower it if the machine starts swapping."
        )
    return None


def show_bytes(count: float) -> str:
    """A size as a person reads it: '112 GiB', '20.1 GiB', '512.0 MiB'."""
    if count >= 100 * GIB:
        return f"{count / GIB:,.0f} GiB"
    if count >= GIB:
        return f"{count / GIB:.1f} GiB"
    return f"{count / 1024**2:.1f} MiB" if count >= 1024**2 else f"{math.ceil(count / 1024):,} KiB"
