"""The Q-learning lab: one GridWorld solved four ways side by side, without a window.

Value iteration, policy iteration, tabular Q-learning and a DQN (and fitted Q-iteration when a recorded
dataset is given) work on the same :class:`LabWorld`; the :class:`Lab` advances each at its own pace and
keeps each one's error against the optimum V*/Q* over its own units of work (sweeps, steps, iterations).
The methods live in ``game.modes.lab_methods``, the worker process in ``game.modes.lab_worker``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from game.arcade.gridworld import DEFAULT_LAYOUT, GridWorldEnv
from game.modes.lab_methods import (
    ACTION_NAMES,
    Backup,
    FittedQIteration,
    LabMethod,
    PolicyIteration,
    ValueIteration,
    dataset_fits,
)
from game.modes.lab_walkers import DQN, QLearning

__all__ = ["ACTION_NAMES", "LAYOUTS", "LAYOUT_SETTINGS", "Backup", "Lab", "LabMethod", "LabWorld"]

LAYOUTS: dict[str, tuple[str, ...]] = {
    # Russell & Norvig's 4x3 world: a wall at (1, 1), the goal top right, a pit below it.
    "classic": ("...G", ".#.P", "S..."),
    # Sutton & Barto's cliff walk: the short way runs along the edge of a row of pits.
    "cliff": ("............", "............", "............", "SPPPPPPPPPPG"),
    # A small maze: a short way past a pit along the bottom, a long way round through the top.
    "maze": ("S..#.....", ".#.#.###.", ".#...#...", ".####.#.#", "......#..", "#.###.##.", "...P....G"),
    # The catalog's GridWorld: a bridge between two rows of pits, or the walk around.
    "gridworld": tuple(DEFAULT_LAYOUT),
}
LAYOUT_SETTINGS: dict[str, tuple[float, float, float]] = {  # (gamma, slip, step_reward) per layout
    "classic": (0.9, 0.2, -0.04),  # R&N's slip and step cost; gamma 0.9 so Q-learning settles in ~50k steps
    "cliff": (0.9, 0.0, -0.01),  # no slip: the optimal path hugs the cliff, epsilon-greedy falls off it
    "maze": (0.95, 0.1, -0.01),  # longer paths need a longer horizon; a slip makes the pit matter
    "gridworld": (0.95, 0.1, -0.01),  # the catalog game's slip and step reward
}
MAX_GAMMA = 0.99  # below 1, so that every sweep contracts and every method settles
DEFAULT_LAYOUT_NAME = "classic"  # what `python main.py lab` opens with
EDIT_CYCLE = {".": "#", "#": "P", "P": "G", "G": "."}  # a click turns a cell into the next kind
MAX_CURVE_POINTS = 1_000  # points kept per error curve; past it every other one goes and the stride doubles
ADVANCE_BUDGET_S = 0.02  # wall-clock seconds one advance() may spend, all methods together
MAX_BACKLOG_S = 0.25  # a paced method catches up at most this much missed time (after a stall)


@dataclass(frozen=True)
class LabWorld:
    """One grid and its dynamics: the layout (rows of ``S . # P G``), discount, slip and step reward."""

    layout: tuple[str, ...]
    gamma: float = 0.9
    slip: float = 0.0
    step_reward: float = -0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "layout", tuple(str(row) for row in self.layout))
        if not 0.0 < self.gamma <= MAX_GAMMA:
            raise ValueError(f"gamma must be in (0, {MAX_GAMMA}], not {self.gamma}.")
        self.model()  # GridWorldEnv checks the layout and the slip, in one clear sentence

    @classmethod
    def named(cls, name: str) -> LabWorld:
        """A named layout with its own settings (see ``LAYOUTS`` and ``LAYOUT_SETTINGS``)."""
        if name not in LAYOUTS:
            raise ValueError(f"Unknown lab layout {name!r}; choose one of {', '.join(LAYOUTS)}.")
        gamma, slip, step_reward = LAYOUT_SETTINGS[name]
        return cls(LAYOUTS[name], gamma, slip, step_reward)

    # ---------------------------------------------------------------- cells

    @property
    def height(self) -> int:
        return len(self.layout)

    @property
    def width(self) -> int:
        return len(self.layout[0])

    @property
    def n_states(self) -> int:
        return self.height * self.width

    def tile(self, row: int, col: int) -> str:
        """The tile at ``(row, col)``: one of ``S . # P G``."""
        return self.layout[row][col]

    def tiles(self) -> str:
        """Every tile, state by state (``state = row * width + col``)."""
        return "".join(self.layout)

    def cells(self) -> list[tuple[int, int, str]]:
        """``(row, col, tile)`` of every cell, state by state."""
        return [(row, col, tile) for row, line in enumerate(self.layout) for col, tile in enumerate(line)]

    def state(self, row: int, col: int) -> int:
        return row * self.width + col

    def position(self, state: int) -> tuple[int, int]:
        """``(row, col)`` of ``state``."""
        return divmod(int(state), self.width)

    def open_mask(self) -> np.ndarray:
        """(n_states,) bool: floor and start cells, where an agent can stand and errors are measured."""
        return np.array([tile in "S." for tile in self.tiles()])

    def open_states(self) -> np.ndarray:
        return np.flatnonzero(self.open_mask())

    @property
    def start_state(self) -> int:
        return self.tiles().index("S")

    # ---------------------------------------------------------------- changes

    def edit(self, row: int, col: int) -> LabWorld:
        """The world with cell ``(row, col)`` turned into the next kind: empty, wall, pit, goal, empty.

        The start cannot be edited, nor the last goal (a world needs one): both return ``self``.
        """
        if not (0 <= row < self.height and 0 <= col < self.width):
            raise ValueError(f"({row}, {col}) is outside the {self.height}x{self.width} grid.")
        tile = self.tile(row, col)
        if tile == "S" or (tile == "G" and self.tiles().count("G") == 1):
            return self
        line = self.layout[row]
        rows = list(self.layout)
        rows[row] = line[:col] + EDIT_CYCLE[tile] + line[col + 1 :]
        return dataclasses.replace(self, layout=tuple(rows))

    def with_settings(
        self, gamma: float | None = None, slip: float | None = None, step_reward: float | None = None
    ) -> LabWorld:
        """The same grid with the settings given changed (None keeps one)."""
        changes = {"gamma": gamma, "slip": slip, "step_reward": step_reward}
        return dataclasses.replace(self, **{k: float(v) for k, v in changes.items() if v is not None})

    # ---------------------------------------------------------------- the model and its solution

    def env(self, **kwargs: object) -> GridWorldEnv:
        """A GridWorldEnv of this world (``kwargs``: render_mode, max_episode_steps)."""
        return GridWorldEnv(layout=self.layout, slip=self.slip, step_reward=self.step_reward, **kwargs)

    def model(self) -> tuple[dict, int, int]:
        """``(P, n_states, n_actions)``: the transition model in FrozenLake's format (cached)."""
        return _model(self.layout, self.slip, self.step_reward)

    def optimum(self) -> tuple[np.ndarray, np.ndarray]:
        """``(V*, Q*)`` by value iteration to convergence (cached; the arrays are read-only)."""
        return _optimum(self)


@functools.lru_cache(maxsize=32)
def _model(layout: tuple[str, ...], slip: float, step_reward: float) -> tuple[dict, int, int]:
    env = GridWorldEnv(layout=layout, slip=slip, step_reward=step_reward)
    return env.P, env.n_states, env.n_actions


@functools.lru_cache(maxsize=32)
def _optimum(world: LabWorld) -> tuple[np.ndarray, np.ndarray]:
    from agents.tabular import value_iteration

    P, n_states, n_actions = world.model()  # noqa: N806 (the model's name)
    values, q = value_iteration(P, n_states, n_actions, world.gamma)
    values.setflags(write=False)
    q.setflags(write=False)
    return values, q


class Lab:
    """Four (or five) methods on one world, their error curves, and the clock that paces them.

    Args:
        world: the grid and its settings.
        seed: seed of Q-learning's and the DQN's exploration and of the DQN's weights.
        dataset: recorded transitions (``obs``, ``actions``, ``rewards``, ``next_obs``, ``terminated``, as
            a mapping of arrays or an ``agents.transitions.Transitions``); fitted Q-iteration joins as a fifth
            method while their states fit the grid.
        layout_name: the name the world came by ("" when it is not a named layout).
    """

    def __init__(
        self,
        world: LabWorld,
        seed: int = 0,
        dataset: Mapping[str, np.ndarray] | object | None = None,
        layout_name: str = "",
    ) -> None:
        self.world = world
        self.seed = seed
        self.dataset = dataset
        self.layout_name = layout_name or next((k for k, v in LAYOUTS.items() if v == world.layout), "")
        self.edited = False
        """the grid was changed by hand since the layout was loaded"""
        self.speed = 1.0
        """multiplies every paced method's units per second (the DQN always runs as fast as it can)"""
        self.methods: list[LabMethod] = []
        self.curves: dict[str, list[tuple[int, float]]] = {}
        self.reset()

    @classmethod
    def named(cls, name: str, seed: int = 0, dataset: Mapping[str, np.ndarray] | object | None = None) -> Lab:
        return cls(LabWorld.named(name), seed, dataset, layout_name=name)

    # ---------------------------------------------------------------- work

    def step_all(self) -> None:
        """One unit of work for every method (a converged planning method stays where it is)."""
        for method in self.methods:
            method.step()
            self._record(method, force=True)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of wall-clock time pass: each method does its units per second (``pace``
        times ``speed``), the unpaced ones (the DQN) as many as the budget leaves; the call itself
        spends at most about ``ADVANCE_BUDGET_S``."""
        if seconds <= 0:
            return
        deadline = time.monotonic() + ADVANCE_BUDGET_S
        for method in sorted(self.methods, key=lambda m: math.isinf(m.pace)):  # paced ones first
            if not method.keeps_learning and method.converged():
                continue
            if math.isinf(method.pace):
                while time.monotonic() < deadline:
                    method.step()
                    self._record(method)
                continue
            rate = method.pace * self.speed
            credit = min(self._credit[method.name] + rate * seconds, max(1.0, rate * MAX_BACKLOG_S))
            units = int(credit)
            self._credit[method.name] = credit - units
            for _ in range(units):
                if time.monotonic() >= deadline:
                    self._credit[method.name] = 0.0
                    break
                method.step()
                self._record(method)

    def _record(self, method: LabMethod, force: bool = False) -> None:
        """Append (work, error) when ``stride`` units have passed since the last point; thin past the cap."""
        curve = self.curves[method.name]
        if curve and not force and method.work - curve[-1][0] < self._stride[method.name]:
            return
        if curve and curve[-1][0] == method.work:
            curve[-1] = (method.work, method.error())
        else:
            curve.append((method.work, method.error()))
        if len(curve) > MAX_CURVE_POINTS:
            curve[:] = curve[::2] if len(curve) % 2 else [*curve[:-1:2], curve[-1]]
            self._stride[method.name] *= 2

    # ---------------------------------------------------------------- changes

    def reset(self) -> None:
        """Every method starts again on the current world; curves cleared."""
        fits = self.dataset is not None and dataset_fits(self.dataset, self.world.n_states)
        self.methods = build_methods(self.world, self.seed, self.dataset if fits else None)
        self.curves = {method.name: [] for method in self.methods}
        self._stride = {method.name: 1 for method in self.methods}
        self._credit = {method.name: 0.0 for method in self.methods}
        for method in self.methods:
            self._record(method, force=True)

    def with_world(self, world: LabWorld) -> None:
        """Change the world (V* is recomputed) and restart every method on it."""
        self.world = world
        self.reset()

    def edit(self, row: int, col: int) -> None:
        """Cycle one cell's kind (see ``LabWorld.edit``) and restart; a cell that cannot change, doesn't."""
        world = self.world.edit(row, col)
        if world is not self.world:
            self.edited = True
            self.with_world(world)

    def set(
        self, gamma: float | None = None, slip: float | None = None, step_reward: float | None = None
    ) -> None:
        """Change the discount, the slip or the step reward (None keeps one) and restart."""
        self.with_world(self.world.with_settings(gamma, slip, step_reward))

    def load_layout(self, name: str) -> None:
        """Switch to a named layout with its own settings and restart."""
        world = LabWorld.named(name)
        self.layout_name, self.edited = name, False
        self.with_world(world)

    def method(self, name: str) -> LabMethod:
        """The method called ``name``."""
        for method in self.methods:
            if method.name == name:
                return method
        raise KeyError(f"no method {name!r} in the lab; there are {[m.name for m in self.methods]}")


def build_methods(
    world: LabWorld, seed: int = 0, dataset: Mapping[str, np.ndarray] | object | None = None
) -> list[LabMethod]:
    """The lab's methods on ``world``, fitted Q-iteration last when a dataset is given."""
    methods: list[LabMethod] = [
        ValueIteration(world),
        PolicyIteration(world),
        QLearning(world, seed),
        DQN(world, seed),
    ]
    if dataset is not None:
        methods.append(FittedQIteration(world, dataset))
    return methods
