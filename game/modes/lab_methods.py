"""The lab's planning methods: value iteration, policy iteration and fitted Q-iteration, behind the small
interface every lab method shares (:class:`LabMethod`), so that the lab and its scene treat them alike.

The walking learners (Q-learning, DQN) are in ``game.modes.lab_walkers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np

from agents.planning import FQIStepper, PolicyIterationStepper, ValueIterationStepper, dataset_arrays
from game.modes.lab_backup import ACTION_NAMES, ActionBackup, Backup, Outcome

if TYPE_CHECKING:
    from game.modes.lab import LabWorld

__all__ = [
    "ACTION_NAMES",
    "Backup",
    "FittedQIteration",
    "LabMethod",
    "MethodBase",
    "PolicyIteration",
    "ValueIteration",
    "dataset_fits",
]

LAB_THETA = 1e-6  # a planning method whose last sweep changed no value more than this has converged
LEARNED_TOLERANCE = 0.05  # a learning method whose V is within this of V* everywhere counts as settled
PLANNING_PACE = 4.0  # value iteration and fitted Q-iteration: units per second, slow enough to watch
POLICY_PACE = 8.0  # policy iteration: steps per second
POLICY_EVAL_THETA = 1e-3  # policy iteration's evaluation sweeps stop when no value changes more than this
POLICY_EVAL_SWEEPS = 20  # ... or after this many; the policy left unchanged is then evaluated exactly


class LabMethod(Protocol):
    """What the lab and its scene need of a method."""

    name: str
    unit: str
    """what ``work`` counts: "sweeps", "steps" or "iterations\""""
    pace: float
    """units per second when the lab runs (math.inf: as many as the time budget allows)"""
    keeps_learning: bool
    """whether it keeps working once ``converged()`` (the walking agents do)"""
    work: int
    phase: str

    def counter_text(self) -> str: ...
    def values(self) -> np.ndarray: ...
    def q(self) -> np.ndarray: ...
    def greedy(self) -> np.ndarray: ...
    def error(self) -> float: ...
    def step(self) -> None: ...
    def converged(self) -> bool: ...
    def backup(self, state: int) -> Backup: ...
    def agent_state(self) -> int | None: ...


class MethodBase:
    """What every method shares: the world, its model, V*/Q* and the cells errors are measured on."""

    name = ""
    unit = "steps"
    pace = PLANNING_PACE
    keeps_learning = False
    phase = ""
    backup_kind = "sample"

    def __init__(self, world: LabWorld) -> None:
        self.world = world
        self.P, self.n_states, self.n_actions = world.model()
        self.open = world.open_mask()
        self.v_star, self.q_star = world.optimum()
        self.work = 0

    def q(self) -> np.ndarray:
        raise NotImplementedError

    def values(self) -> np.ndarray:
        """V(s) = max_a Q(s, a), 0 on walls and terminal cells."""
        return np.where(self.open, self.q().max(axis=1), 0.0)

    def greedy(self) -> np.ndarray:
        """The greedy action per cell, -1 on walls and terminal cells."""
        return np.where(self.open, self.q().argmax(axis=1), -1)

    def error(self) -> float:
        """max |V - V*| over the open cells, V = max_a Q: the planning methods' measure, so that one plot
        compares them all (|Q - Q*| would be ruled by moves a walker rarely tries, such as into a pit)."""
        return float(np.max(np.abs(self.values() - self.v_star)[self.open]))

    def converged(self) -> bool:
        return self.error() <= LEARNED_TOLERANCE

    def agent_state(self) -> int | None:
        return None

    def next_values(self) -> np.ndarray:
        """The value each outcome bootstraps from at s'."""
        return self.q().max(axis=1)

    def backup(self, state: int) -> Backup:
        """Cell ``state``'s backup with this method's numbers now."""
        state = int(state)
        position = self.world.position(state)
        tile = self.world.tiles()[state]
        value = float(self.values()[state])
        if not self.open[state]:
            return Backup(self.name, state, position, tile, "none", value)
        q = self.q()
        next_values = self.next_values()
        gamma = self.world.gamma
        actions = self.backup_actions(state)
        rows = tuple(
            ActionBackup(
                a,
                tuple(
                    Outcome(p, s2, r, gamma, float(next_values[s2]), t) for p, s2, r, t in self.P[state][a]
                ),
                float(q[state, a]),
            )
            for a in actions
        )
        if self.backup_kind == "sample":
            best = int(np.argmax(q[state]))
        else:
            best = rows[int(np.argmax([row.target for row in rows]))].action
        return Backup(self.name, state, position, tile, self.backup_kind, value, rows, best)

    def backup_actions(self, state: int) -> list[int]:
        return list(range(self.n_actions))


class PlanningMethod(MethodBase):
    """A method that keeps V itself (a stepper's ``values``): what it shows and bootstraps from."""

    stepper: ValueIterationStepper | PolicyIterationStepper

    def values(self) -> np.ndarray:
        return self.stepper.values

    def next_values(self) -> np.ndarray:
        return self.stepper.values


class ValueIteration(PlanningMethod):
    """Synchronous sweeps of the Bellman optimality backup, V <- max_a sum p (r + gamma V')."""

    name = "Value iteration"
    unit = "sweeps"
    pace = PLANNING_PACE
    backup_kind = "optimality"

    def __init__(self, world: LabWorld) -> None:
        super().__init__(world)
        self.stepper = ValueIterationStepper(self.P, self.n_states, self.n_actions, world.gamma)

    def counter_text(self) -> str:
        return f"sweep {self.work:,}"

    def step(self) -> None:
        if not self.converged():
            self.stepper.sweep()
            self.work = self.stepper.sweeps

    def q(self) -> np.ndarray:
        """The lookahead of the current V, which the next sweep maximises."""
        return self.stepper.q

    def converged(self) -> bool:
        return self.stepper.converged(LAB_THETA)


class PolicyIteration(PlanningMethod):
    """Evaluation sweeps of the current policy until they settle, then one improvement step; repeat."""

    name = "Policy iteration"
    unit = "steps"
    pace = POLICY_PACE

    def __init__(self, world: LabWorld) -> None:
        super().__init__(world)
        self.stepper = PolicyIterationStepper(
            self.P,
            self.n_states,
            self.n_actions,
            world.gamma,
            POLICY_EVAL_THETA,
            POLICY_EVAL_SWEEPS,
            exact_finish=True,
        )

    @property
    def phase(self) -> str:  # type: ignore[override]
        return "converged" if self.stepper.converged else self.stepper.phase

    @property
    def backup_kind(self) -> str:  # type: ignore[override]
        return "evaluation" if self.stepper.phase == "evaluation" else "optimality"

    def counter_text(self) -> str:
        return f"evaluation sweep {self.stepper.eval_sweeps:,} · improvement {self.stepper.improvements}"

    def step(self) -> None:
        self.stepper.step()
        self.work = self.stepper.work

    def q(self) -> np.ndarray:
        return self.stepper.q

    def greedy(self) -> np.ndarray:
        """The current policy (what evaluation evaluates), -1 on walls and terminal cells."""
        return np.where(self.open, self.stepper.policy, -1)

    def converged(self) -> bool:
        return self.stepper.converged

    def backup_actions(self, state: int) -> list[int]:
        if self.stepper.phase == "evaluation":
            return [int(self.stepper.policy[state])]
        return list(range(self.n_actions))


class FittedQIteration(MethodBase):
    """Tabular fitted Q-iteration on a recorded dataset: no walking, the same samples every iteration."""

    name = "Fitted Q-iteration"
    unit = "iterations"
    pace = PLANNING_PACE

    def __init__(self, world: LabWorld, dataset: Mapping[str, np.ndarray] | object) -> None:
        super().__init__(world)
        self.stepper = FQIStepper(dataset, self.n_states, self.n_actions, world.gamma)
        self.counts = self.stepper.counts
        """(n_states, n_actions) samples of each pair in the dataset"""

    def counter_text(self) -> str:
        return f"iteration {self.work:,} · {int(self.counts.sum()):,} recorded steps"

    def step(self) -> None:
        if not self.converged():
            self.stepper.iterate()
            self.work = self.stepper.iterations

    def q(self) -> np.ndarray:
        return self.stepper.q

    def converged(self) -> bool:
        return self.stepper.converged(LAB_THETA)


def dataset_fits(dataset: Mapping[str, np.ndarray] | object, n_states: int) -> bool:
    """Whether a dataset's states are cells of a grid of ``n_states`` (by its ``n_states`` entry, if any):
    integer states, one per step, all below ``n_states``."""
    if isinstance(dataset, Mapping) and "n_states" in dataset:
        return int(np.asarray(dataset["n_states"])) == n_states
    obs, _, _, next_obs, _ = dataset_arrays(dataset)
    if obs.ndim != 1 or not np.issubdtype(obs.dtype, np.integer) or len(obs) == 0:
        return False
    low, high = min(int(obs.min()), int(next_obs.min())), max(int(obs.max()), int(next_obs.max()))
    return low >= 0 and high < n_states
