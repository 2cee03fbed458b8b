"""Importing this module registers nothing: its ``register`` function does, as some packages ask."""

from __future__ import annotations

import gymnasium as gym

LAZY_ID = "LazyTiny-v0"  # registered by register() only


def register() -> None:
    """Register ``LazyTiny-v0`` (a copy of the tiny vector game)."""
    if LAZY_ID not in gym.registry:
        gym.register(id=LAZY_ID, entry_point="tests.fake_pkg.envs:TinyEnv")
