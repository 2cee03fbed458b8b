"""What the lab scene and the lab worker say to each other: commands one way, snapshots the other.

Commands are small frozen dataclasses; a :class:`LabSnapshot` carries plain arrays, so that the scene
draws it without knowing the methods (and without torch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from game.modes.lab import DEFAULT_LAYOUT_NAME, Lab
from game.modes.lab_backup import Backup

# ---------------------------------------------------------------------- commands


@dataclass(frozen=True)
class LabRun:
    """Run (on) or pause (off) every method."""

    on: bool


@dataclass(frozen=True)
class LabStep:
    """One unit of work for every method (paused or not)."""


@dataclass(frozen=True)
class LabReset:
    """Every method starts again; curves cleared."""


@dataclass(frozen=True)
class LabEdit:
    """Cycle the kind of cell (row, col): empty -> wall -> pit -> goal -> empty."""

    row: int
    col: int


@dataclass(frozen=True)
class LabSet:
    """New discount, slip or step reward (None keeps one)."""

    gamma: float | None = None
    slip: float | None = None
    step_reward: float | None = None


@dataclass(frozen=True)
class LabLayout:
    """Load a named layout (``game.modes.lab.LAYOUTS``) with its settings."""

    name: str


@dataclass(frozen=True)
class LabSpeed:
    """Multiply the paced methods' units per second (VI, PI, Q-learning, FQI) by ``factor``."""

    factor: float


@dataclass(frozen=True)
class LabBackup:
    """Which cell's Bellman backup the snapshots carry (None: none)."""

    state: int | None


@dataclass(frozen=True)
class LabQuit:
    """End the worker."""


LabCommand = LabRun | LabStep | LabReset | LabEdit | LabSet | LabLayout | LabSpeed | LabBackup | LabQuit


@dataclass(frozen=True)
class LabConfig:
    """How the worker starts."""

    layout: str = DEFAULT_LAYOUT_NAME
    """a name from LAYOUTS"""
    seed: int = 0
    """seed of the walking agents and the DQN's weights"""
    dataset: str | None = None
    """recorded play that adds fitted Q-iteration: a dataset id or folder in ``data_dir``
    (``game.modes.datasets``), or an .npz with arrays obs, actions, rewards, next_obs, terminated"""
    data_dir: str | None = None
    """the folder of recorded datasets (None: the data folder's datasets/, ``game.places``)"""
    running: bool = True
    """start running (False: paused until LabRun(True) or LabStep)"""
    threads: int = 1
    """torch threads (one: the UI shares the machine)"""


# ---------------------------------------------------------------------- snapshots


@dataclass
class MethodView:
    """One method as the scene draws it."""

    name: str
    unit: str
    work: int
    counter_text: str
    phase: str
    values: np.ndarray
    """(n_states,) float32 V(s)"""
    q: np.ndarray
    """(n_states, n_actions) float32 Q(s, a)"""
    greedy: np.ndarray
    """(n_states,) int8 greedy action (the policy for policy iteration), -1 on walls and terminal cells"""
    error: float
    converged: bool
    agent_state: int | None
    backup: Backup | None
    counts: np.ndarray | None = None
    """(n_states, n_actions) samples per pair of fitted Q-iteration's dataset, None for the others"""


@dataclass
class LabSnapshot:
    """Everything the lab scene draws, or an error with its traceback."""

    layout: tuple[str, ...] = ()
    layout_name: str = ""
    edited: bool = False
    gamma: float = 0.0
    slip: float = 0.0
    step_reward: float = 0.0
    methods: list[MethodView] = field(default_factory=list)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """per method: (work int64, error float32)"""
    v_star: np.ndarray | None = None
    """(n_states,) float32, for the colour scale"""
    running: bool = False
    speed: float = 1.0
    backup_state: int | None = None
    error: str | None = None
    traceback: str | None = None


def snapshot_of(lab: Lab, running: bool, backup_state: int | None) -> LabSnapshot:
    """The lab now, as plain arrays."""
    world = lab.world
    views = [
        MethodView(
            name=m.name,
            unit=m.unit,
            work=int(m.work),
            counter_text=m.counter_text(),
            phase=m.phase,
            values=np.asarray(m.values(), dtype=np.float32),
            q=np.asarray(m.q(), dtype=np.float32),
            greedy=np.asarray(m.greedy(), dtype=np.int8),
            error=float(m.error()),
            converged=bool(m.converged()),
            agent_state=m.agent_state(),
            backup=None if backup_state is None else m.backup(backup_state),
            counts=getattr(m, "counts", None),
        )
        for m in lab.methods
    ]
    curves = {
        name: (np.array([w for w, _ in points], np.int64), np.array([e for _, e in points], np.float32))
        for name, points in lab.curves.items()
    }
    return LabSnapshot(
        layout=world.layout,
        layout_name=lab.layout_name,
        edited=lab.edited,
        gamma=world.gamma,
        slip=world.slip,
        step_reward=world.step_reward,
        methods=views,
        curves=curves,
        v_star=np.asarray(world.optimum()[0], dtype=np.float32),
        running=running,
        speed=lab.speed,
        backup_state=backup_state,
    )
