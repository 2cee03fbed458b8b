"""Schedules: small callables ``schedule(step) -> float`` for epsilon, learning rates and beta.

Each schedule is a frozen dataclass, so it prints, compares and pickles cleanly, and the caller
decides what a "step" counts (agent steps, updates, visits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


class Schedule(Protocol):
    """Anything that maps a step count to a value."""

    def __call__(self, step: int) -> float: ...


@dataclass(frozen=True)
class ConstantSchedule:
    """The same value at every step."""

    value: float
    """the value returned for any step"""

    def __call__(self, step: int) -> float:
        return float(self.value)


@dataclass(frozen=True)
class LinearSchedule:
    """``start`` until ``begin_step``, then a straight line to ``end`` over ``duration_steps``."""

    start: float
    """value at begin_step and before"""
    end: float
    """value from begin_step + duration_steps on"""
    duration_steps: int
    """steps taken to go from start to end"""
    begin_step: int = 0
    """step at which the change begins"""

    def __post_init__(self) -> None:
        if self.duration_steps < 0:
            raise ValueError(f"duration_steps must be >= 0, got {self.duration_steps}")

    def __call__(self, step: int) -> float:
        if self.duration_steps == 0:
            return float(self.end) if step >= self.begin_step else float(self.start)
        fraction = min(max((step - self.begin_step) / self.duration_steps, 0.0), 1.0)
        return float(self.start + fraction * (self.end - self.start))


@dataclass(frozen=True)
class ExponentialSchedule:
    """Decays from ``start`` towards ``end``, halving the remaining distance every ``half_life_steps``."""

    start: float
    """value at step 0"""
    end: float
    """value approached as the step count grows"""
    half_life_steps: float
    """steps after which (value - end) has halved"""

    def __post_init__(self) -> None:
        if self.half_life_steps <= 0:
            raise ValueError(f"half_life_steps must be > 0, got {self.half_life_steps}")

    def __call__(self, step: int) -> float:
        return float(self.end + (self.start - self.end) * math.pow(0.5, max(step, 0) / self.half_life_steps))


@dataclass(frozen=True)
class PowerSchedule:
    """``scale / (1 + step) ** power``: the Robbins-Monro step size that makes tabular Q-learning converge.

    Evaluated at the visit count of a state-action pair, ``power`` in (0.5, 1] satisfies
    sum(alpha) = inf and sum(alpha^2) < inf.
    """

    scale: float = 1.0
    """value at step 0"""
    power: float = 0.8
    """decay exponent"""

    def __call__(self, step: int) -> float:
        return float(self.scale / (1.0 + max(step, 0)) ** self.power)
