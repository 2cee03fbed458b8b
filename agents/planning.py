"""Dynamic programming one step at a time: value iteration, policy iteration and tabular fitted Q-iteration.

Each solver is a *stepper*: an object that does one unit of work per call (a sweep, an evaluation sweep
or an improvement step, an iteration) and keeps its numbers in attributes, so a view can show the values
between two steps. The model is gymnasium's FrozenLake format,
``P[s][a] = [(probability, next_state, reward, terminated), ...]``, flattened once into a table of
outcomes so that a sweep is a few numpy operations (a weighted ``np.bincount``), as in
``agents.tabular.value_iteration``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from agents.tabular import Model

THETA = 1e-10  # a sweep that changes no value by more than this has converged
MAX_EVAL_SWEEPS = 10_000  # sweeps of one policy before improving anyway (improper policies at gamma=1)
UNSEEN_Q = 0.0  # fitted Q-iteration's value for a (state, action) pair the dataset never shows
DATASET_KEYS = ("obs", "actions", "rewards", "next_obs", "terminated")  # arrays a transitions mapping holds


class Outcomes(NamedTuple):
    """The model as flat arrays, one row per outcome of every (state, action) pair."""

    pair: np.ndarray
    """(rows,) int64: state * n_actions + action"""
    probability: np.ndarray
    """(rows,) float64"""
    next_state: np.ndarray
    """(rows,) int64"""
    reward: np.ndarray
    """(rows,) float64"""
    continues: np.ndarray
    """(rows,) float64: 0 where the outcome terminates (no bootstrap), else 1"""


def outcome_table(P: Model, n_states: int, n_actions: int) -> Outcomes:  # noqa: N803 (the model's name)
    """Flatten ``P`` into :class:`Outcomes`."""
    rows = [
        (s * n_actions + a, *outcome)
        for s in range(n_states)
        for a in range(n_actions)
        for outcome in P[s][a]
    ]
    pair, probability, next_state, reward, terminated = (np.array(c) for c in zip(*rows, strict=True))
    return Outcomes(
        pair.astype(np.int64),
        probability.astype(np.float64),
        next_state.astype(np.int64),
        reward.astype(np.float64),
        1.0 - terminated.astype(np.float64),
    )


def policy_values(table: Outcomes, policy: np.ndarray, gamma: float, n_actions: int) -> np.ndarray:
    """V of ``policy`` exactly: the linear system V = r_pi + gamma * P_pi V, solved."""
    n_states = len(policy)
    chosen = table.pair % n_actions == policy[table.pair // n_actions]  # the outcomes of pi's actions
    states = table.pair[chosen] // n_actions
    system = np.eye(n_states)
    np.add.at(
        system,
        (states, table.next_state[chosen]),
        -gamma * table.probability[chosen] * table.continues[chosen],
    )
    rewards = np.bincount(
        states, weights=table.probability[chosen] * table.reward[chosen], minlength=n_states
    )
    return np.linalg.solve(system, rewards)


def lookahead(table: Outcomes, values: np.ndarray, gamma: float, n_actions: int) -> np.ndarray:
    """Q(s, a) = sum_{s'} p * (r + gamma * V(s') * (not terminated)), shape (n_states, n_actions)."""
    n_states = len(values)
    outcome = table.probability * (table.reward + gamma * table.continues * values[table.next_state])
    q = np.bincount(table.pair, weights=outcome, minlength=n_states * n_actions)
    return q.reshape(n_states, n_actions)


class ValueIterationStepper:
    """Value iteration, one synchronous Bellman-optimality sweep per :meth:`sweep`.

    ``values`` is V after ``sweeps`` sweeps (zeros at first); ``q`` is the one-step lookahead of that V,
    Q(s, a) = sum p (r + gamma V(s')), which the next sweep maximises: V <- max_a Q.
    """

    def __init__(self, P: Model, n_states: int, n_actions: int, gamma: float) -> None:  # noqa: N803
        self.n_states, self.n_actions, self.gamma = n_states, n_actions, float(gamma)
        self.table = outcome_table(P, n_states, n_actions)
        self.values = np.zeros(n_states)
        self.q = lookahead(self.table, self.values, self.gamma, n_actions)
        self.sweeps = 0
        self.delta = float("inf")
        """the largest change of a value in the last sweep (inf before the first)"""

    def sweep(self) -> float:
        """One sweep: V <- max_a Q(V); returns the largest change."""
        new_values = self.q.max(axis=1)
        self.delta = float(np.max(np.abs(new_values - self.values)))
        self.values = new_values
        self.q = lookahead(self.table, self.values, self.gamma, self.n_actions)
        self.sweeps += 1
        return self.delta

    def converged(self, theta: float = THETA) -> bool:
        """Whether the last sweep changed no value by more than ``theta``."""
        return self.delta <= theta


class PolicyIterationStepper:
    """Policy iteration in two phases, one unit of work per :meth:`step`.

    - ``phase == "evaluation"``: one sweep of iterative policy evaluation, V(s) <- sum p (r + gamma V(s'))
      for the policy's action, until no value changes by more than ``theta`` (or ``max_eval_sweeps``
      sweeps have run: an improper policy at gamma = 1 never settles);
    - ``phase == "improvement"``: the policy becomes greedy in the lookahead of V (a tie keeps the current
      action, so that a policy cannot flip between equals forever); an unchanged policy has converged.

    It starts from the policy "all action 0" (UP in GridWorld) and V = 0. ``phase`` names the work the
    next step will do; ``q`` is the lookahead of the current V.

    With ``exact_finish``, evaluation sweeps stop at a looser ``theta`` (a few sweeps, so the two phases
    alternate where people can watch them), and a policy that improvement leaves unchanged is evaluated
    once exactly (the linear system solved, the phase "exact evaluation") and improved once more: the
    end is the same V* as sweeping to 1e-10.
    """

    def __init__(
        self,
        P: Model,  # noqa: N803
        n_states: int,
        n_actions: int,
        gamma: float,
        theta: float = THETA,
        max_eval_sweeps: int = MAX_EVAL_SWEEPS,
        exact_finish: bool = False,
    ) -> None:
        self.n_states, self.n_actions, self.gamma = n_states, n_actions, float(gamma)
        self.theta, self.max_eval_sweeps = theta, max_eval_sweeps
        self.exact_finish = exact_finish
        self.exact = False
        """the current V is the current policy's exactly (solved, not swept)"""
        self.table = outcome_table(P, n_states, n_actions)
        self.values = np.zeros(n_states)
        self.policy = np.zeros(n_states, dtype=np.int64)
        self.q = lookahead(self.table, self.values, self.gamma, n_actions)
        self.phase = "evaluation"
        self.eval_sweeps = 0
        """evaluation sweeps over all policies so far"""
        self.phase_sweeps = 0
        """evaluation sweeps of the current policy"""
        self.improvements = 0
        self.delta = float("inf")
        """the largest change of a value in the last evaluation sweep"""
        self.converged = False

    @property
    def work(self) -> int:
        """Steps taken: evaluation sweeps plus improvement steps."""
        return self.eval_sweeps + self.improvements

    def step(self) -> None:
        """One evaluation sweep or one improvement step, as the phase asks; nothing once converged."""
        if self.converged:
            return
        if self.phase == "evaluation":
            self._evaluate()
        elif self.phase == "exact evaluation":
            self.values = policy_values(self.table, self.policy, self.gamma, self.n_actions)
            self.q = lookahead(self.table, self.values, self.gamma, self.n_actions)
            self.eval_sweeps += 1
            self.exact, self.phase = True, "improvement"
        else:
            self._improve()

    def _evaluate(self) -> None:
        new_values = self.q[np.arange(self.n_states), self.policy]
        self.delta = float(np.max(np.abs(new_values - self.values)))
        self.values = new_values
        self.q = lookahead(self.table, self.values, self.gamma, self.n_actions)
        self.eval_sweeps += 1
        self.phase_sweeps += 1
        if self.delta <= self.theta or self.phase_sweeps >= self.max_eval_sweeps:
            self.phase = "improvement"

    def _improve(self) -> None:
        best = self.q.max(axis=1, keepdims=True)
        greedy = self.q.argmax(axis=1)
        current_is_best = self.q[np.arange(self.n_states), self.policy] >= best[:, 0] - 1e-12
        new_policy = np.where(current_is_best, self.policy, greedy)
        self.improvements += 1
        stable = bool(np.array_equal(new_policy, self.policy))
        self.policy = new_policy
        self.phase_sweeps = 0
        if stable and self.exact_finish and not self.exact:
            self.phase = "exact evaluation"
        elif stable:
            self.converged = True
        else:
            self.phase, self.exact = "evaluation", False


def policy_iteration(
    P: Model,  # noqa: N803
    n_states: int,
    n_actions: int,
    gamma: float,
    theta: float = THETA,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Policy iteration to convergence.

    Returns:
        (V, Q, policy, improvements, eval_sweeps): V of the final policy (V*), its lookahead Q (Q*), the
        policy, and the improvement steps and evaluation sweeps it took.
    """
    stepper = PolicyIterationStepper(P, n_states, n_actions, gamma, theta)
    while not stepper.converged:
        stepper.step()
    return stepper.values, stepper.q, stepper.policy, stepper.improvements, stepper.eval_sweeps


def dataset_arrays(transitions: Mapping[str, np.ndarray] | object) -> tuple[np.ndarray, ...]:
    """(obs, actions, rewards, next_obs, terminated) of a mapping with those keys, or of an object with
    those attributes (``agents.transitions.Transitions``)."""
    if isinstance(transitions, Mapping):
        missing = [key for key in DATASET_KEYS if key not in transitions]
        columns = [transitions.get(key) for key in DATASET_KEYS]
    else:
        missing = [key for key in DATASET_KEYS if not hasattr(transitions, key)]
        columns = [getattr(transitions, key, None) for key in DATASET_KEYS]
    if missing:
        raise ValueError(f"a transitions dataset needs the arrays {DATASET_KEYS}; missing {missing}.")
    return tuple(np.asarray(column) for column in columns)


class FQIStepper:
    """Tabular fitted Q-iteration on a fixed dataset, one iteration per :meth:`iterate`.

    Each iteration, Q_k(s, a) = mean over the dataset's samples of (s, a) of
    r + gamma * (1 - terminated) * max_a' Q_{k-1}(s', a'). Pairs the dataset never shows keep
    ``UNSEEN_Q`` (0). ``counts[s, a]`` is how many samples each pair has.

    Args:
        transitions: arrays ``obs``, ``actions``, ``rewards``, ``next_obs``, ``terminated`` (same length), as
            a mapping or as attributes (``agents.transitions.Transitions``).
        n_states: number of states (every obs and next_obs is below it).
        n_actions: number of actions.
        gamma: discount per step.
    """

    def __init__(
        self, transitions: Mapping[str, np.ndarray] | object, n_states: int, n_actions: int, gamma: float
    ) -> None:
        obs, actions, rewards, next_obs, terminated = dataset_arrays(transitions)
        size = len(obs)
        if any(len(array) != size for array in (actions, rewards, next_obs, terminated)):
            raise ValueError("the dataset's arrays must all have the same length.")
        if size and (max(obs.max(), next_obs.max()) >= n_states or min(obs.min(), next_obs.min()) < 0):
            raise ValueError(f"the dataset's states must lie in 0..{n_states - 1}.")
        if size and (actions.max() >= n_actions or actions.min() < 0):
            raise ValueError(f"the dataset's actions must lie in 0..{n_actions - 1}.")
        self.n_states, self.n_actions, self.gamma = n_states, n_actions, float(gamma)
        self.pair = obs.astype(np.int64) * n_actions + actions.astype(np.int64)
        self.rewards = rewards.astype(np.float64)
        self.next_obs = next_obs.astype(np.int64)
        self.continues = 1.0 - terminated.astype(np.float64)
        self.counts = np.bincount(self.pair, minlength=n_states * n_actions).reshape(n_states, n_actions)
        self.q = np.full((n_states, n_actions), UNSEEN_Q)
        self.iterations = 0
        self.delta = float("inf")
        """the largest change of a Q-value in the last iteration"""

    def iterate(self) -> float:
        """One iteration: regress Q onto the dataset's targets; returns the largest change."""
        targets = self.rewards + self.gamma * self.continues * self.q.max(axis=1)[self.next_obs]
        sums = np.bincount(self.pair, weights=targets, minlength=self.n_states * self.n_actions)
        sums = sums.reshape(self.n_states, self.n_actions)
        seen = self.counts > 0
        new_q = np.where(seen, sums / np.maximum(self.counts, 1), UNSEEN_Q)
        self.delta = float(np.max(np.abs(new_q - self.q)))
        self.q = new_q
        self.iterations += 1
        return self.delta

    def converged(self, theta: float = THETA) -> bool:
        """Whether the last iteration changed no Q-value by more than ``theta``."""
        return self.delta <= theta


def fitted_q_iteration_table(
    transitions: Mapping[str, np.ndarray] | object,
    n_states: int,
    n_actions: int,
    gamma: float,
    iterations: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``iterations`` iterations of tabular fitted Q-iteration (see :class:`FQIStepper`).

    Returns:
        (Q, counts): Q of shape (n_states, n_actions), and the samples of each pair in the dataset.
    """
    stepper = FQIStepper(transitions, n_states, n_actions, gamma)
    for _ in range(iterations):
        stepper.iterate()
    return stepper.q, stepper.counts
