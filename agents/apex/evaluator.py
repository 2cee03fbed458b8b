"""The evaluator: whole games at the evaluation epsilon with the weights it is sent, away from the learner.

A local run stops learning while it evaluates; an Ape-X run hands the weights of the step to an
evaluator of its own (a Ray actor) and goes on, and the learner logs the result in ``eval.csv``
(under the step the weights were taken at) when it comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.apex.actor import NetworkPolicy


class Evaluator:
    """Plays an evaluation with the weights it is given.

    Args:
        policy: a network of the run's kind, acting epsilon-greedily.
        play: ``play(policy, seed)``: the returns of one evaluation's games (game n seeded seed + n).
    """

    def __init__(self, policy: NetworkPolicy, play: Callable[[NetworkPolicy, int], list[float]]):
        self.policy = policy
        self.play = play

    def evaluate(self, weights: dict[str, Any], seed: int) -> list[float]:
        self.policy.network.load_state_dict(weights)
        return self.play(self.policy, seed)
