"""The Bellman backup of one cell, written out with a method's current numbers, and its text.

For value iteration every action's Q(s, a) = sum p (r + gamma V(s')) and their max; for policy iteration
in evaluation the policy's action only; for the learning methods (Q-learning, DQN, fitted Q-iteration)
each action's learned Q(s, a) beside the target it is pulled towards, r + gamma max_a' Q(s', a'),
averaged over the model's outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTION_NAMES = ("UP", "RIGHT", "DOWN", "LEFT")  # GridWorld's actions 0..3
KINDS = ("optimality", "evaluation", "sample", "none")  # what a Backup writes out (see Backup.kind)
TERRAIN = {"#": "a wall", "P": "a pit (terminal)", "G": "the goal (terminal)"}  # cells without a backup


@dataclass(frozen=True)
class Outcome:
    """One way an action can go: p, s', r, and the value the method bootstraps from at s'."""

    probability: float
    next_state: int
    reward: float
    gamma: float
    next_value: float
    """V(s') for the planning methods, max_a' Q(s', a') for the learning ones"""
    terminated: bool
    """s' ends the episode: no bootstrap"""

    @property
    def term(self) -> float:
        """p * (r + gamma * next_value), without the bootstrap after termination."""
        bootstrap = 0.0 if self.terminated else self.gamma * self.next_value
        return self.probability * (self.reward + bootstrap)

    def text(self) -> str:
        """``0.8·(-0.04 + 0.9·0.71)``, ``0.1·(-0.04 + 0.9·(-0.32))``; ``0.1·(+1.00)`` at an end."""
        if self.terminated:
            return f"{self.probability:.3g}·({self.reward:+.2f})"
        value = f"{self.next_value:.2f}" if self.next_value >= 0 else f"({self.next_value:.2f})"
        return f"{self.probability:.3g}·({self.reward:+.2f} + {self.gamma:.3g}·{value})"


@dataclass(frozen=True)
class ActionBackup:
    """One action's backup: its outcomes, their sum (the target) and the method's Q(s, a)."""

    action: int
    outcomes: tuple[Outcome, ...]
    q: float
    """the method's Q(s, a) now (for the planning methods it equals ``target``)"""

    @property
    def target(self) -> float:
        """sum over outcomes of p * (r + gamma * next value)."""
        return sum(outcome.term for outcome in self.outcomes)

    @property
    def label(self) -> str:
        return ACTION_NAMES[self.action]

    def formula(self) -> str:
        """``0.8·(-0.04 + 0.9·0.71) + 0.1·(...) + 0.1·(...) = 0.53``."""
        return " + ".join(outcome.text() for outcome in self.outcomes) + f" = {self.target:.2f}"


@dataclass(frozen=True)
class Backup:
    """The backup of cell ``state`` as ``method`` computes it now.

    ``kind`` is "optimality" (every action, then the max: value iteration, policy improvement),
    "evaluation" (the policy's action only), "sample" (learned Q beside its expected target) or "none"
    (a wall or a terminal cell: nothing to back up).
    """

    method: str
    state: int
    position: tuple[int, int]
    """(row, col)"""
    tile: str
    kind: str
    value: float
    """the method's V(s) now (max_a Q(s, a) for the learning methods)"""
    actions: tuple[ActionBackup, ...] = ()
    best_action: int = -1
    """argmax of the targets ("optimality"), the policy's action ("evaluation"), argmax Q ("sample")"""

    @property
    def new_value(self) -> float:
        """What the next sweep makes of V(s): the best target, or the policy action's target."""
        if not self.actions:
            return self.value
        if self.kind == "sample":
            return max(a.q for a in self.actions)
        return max(a.target for a in self.actions)

    def lines(self) -> list[str]:
        """The backup as text, one line per action and a last line for V(s)."""
        row, col = self.position
        where = f"cell ({row}, {col})"
        if self.kind == "none":
            return [f"{where} is {TERRAIN.get(self.tile, 'not open')}: V = 0, nothing to back up"]
        best = ACTION_NAMES[self.best_action] if self.best_action >= 0 else "-"
        if self.kind == "evaluation":
            (only,) = self.actions
            return [
                f"{where}, policy action {only.label}",
                f"V(s) <- Q(s,{only.label}) = {only.formula()}",
                f"V(s) now {self.value:.2f}, after the sweep {only.target:.2f}",
            ]
        if self.kind == "optimality":
            lines = [f"{where}"]
            lines += [f"Q(s,{a.label}) = {a.formula()}" for a in self.actions]
            lines.append(f"V(s) = max = {self.new_value:.2f} ({best}), now {self.value:.2f}")
            return lines
        lines = [f"{where}: learned Q(s,a) and its target E[r + γ·max Q(s',·)]"]
        lines += [f"Q(s,{a.label}) = {a.q:.2f}, target {a.formula()}" for a in self.actions]
        lines.append(f"V(s) = max Q = {self.value:.2f} ({best})")
        return lines
