"""A sum tree: sample indices in proportion to non-negative weights in O(log n), vectorised in numpy."""

from __future__ import annotations

import numpy as np


class SumTree:
    """Binary tree over ``capacity`` leaf weights where every node holds the sum of its children.

    Layout: node 1 is the root, node i has children 2i and 2i+1, and leaf j lives at node
    ``n_leaves + j`` with ``n_leaves`` the capacity rounded up to a power of two (the padding
    leaves stay 0). Parents are recomputed from their children, never patched by deltas, so
    floating-point error does not drift.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.n_leaves = 1 << (capacity - 1).bit_length()
        self.nodes = np.zeros(2 * self.n_leaves, dtype=np.float64)

    @property
    def total(self) -> float:
        """Sum of all leaf weights."""
        return float(self.nodes[1])

    def get(self, indices: np.ndarray | int) -> np.ndarray:
        """Leaf weights at ``indices``."""
        return self.nodes[self.n_leaves + np.asarray(indices, dtype=np.int64)]

    @property
    def leaves(self) -> np.ndarray:
        """All ``capacity`` leaf weights (a view)."""
        return self.nodes[self.n_leaves : self.n_leaves + self.capacity]

    def set(self, indices: np.ndarray | int, weights: np.ndarray | float) -> None:
        """Set leaf weights (>= 0) and refresh their ancestors."""
        if np.ndim(indices) == 0 and np.ndim(weights) == 0:
            self._set_one(int(indices), float(weights))
            return
        indices = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        weights = np.broadcast_to(np.asarray(weights, dtype=np.float64), indices.shape)
        if len(indices) == 0:
            return
        if np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ValueError("sum-tree weights must be finite and >= 0")
        if indices.min() < 0 or indices.max() >= self.capacity:
            raise IndexError(f"sum-tree index out of range [0, {self.capacity})")
        nodes = self.n_leaves + indices
        self.nodes[nodes] = weights  # with repeated indices the last write wins
        while nodes[0] > 1:  # all leaves share one depth; a parent listed twice gets the same sum twice
            nodes = nodes // 2
            self.nodes[nodes] = self.nodes[2 * nodes] + self.nodes[2 * nodes + 1]

    def _set_one(self, index: int, weight: float) -> None:
        """``set`` for one leaf: a plain loop, ten times faster than numpy on tiny arrays."""
        if not (weight >= 0.0 and weight != float("inf")):
            raise ValueError("sum-tree weights must be finite and >= 0")
        if not 0 <= index < self.capacity:
            raise IndexError(f"sum-tree index out of range [0, {self.capacity})")
        nodes = self.nodes
        node = self.n_leaves + index
        nodes[node] = weight
        while node > 1:
            node //= 2
            nodes[node] = nodes[2 * node] + nodes[2 * node + 1]

    def rebuild(self) -> None:
        """Recompute every internal node from the leaves (after writing ``leaves`` directly)."""
        for level_start in _level_starts(self.n_leaves):
            nodes = np.arange(level_start, 2 * level_start)
            self.nodes[nodes] = self.nodes[2 * nodes] + self.nodes[2 * nodes + 1]

    def find(self, targets: np.ndarray) -> np.ndarray:
        """For each target in [0, total), the leaf whose cumulative-weight interval contains it.

        A leaf of weight 0 is never returned (while total > 0), even at rounding edges.
        """
        targets = np.array(targets, dtype=np.float64)
        nodes = np.ones(len(targets), dtype=np.int64)
        while nodes[0] < self.n_leaves:  # every leaf has the same depth
            left = 2 * nodes
            left_sum = self.nodes[left]
            go_left = (targets < left_sum) | (self.nodes[left + 1] <= 0.0)
            targets = np.where(go_left, np.minimum(targets, left_sum), targets - left_sum)
            nodes = np.where(go_left, left, left + 1)
        return nodes - self.n_leaves

    def sample(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` leaf indices drawn in proportion to weight, one from each of ``count`` equal strata."""
        total = self.total
        if total <= 0.0:
            raise ValueError("cannot sample from a sum tree whose weights are all 0")
        targets = (np.arange(count) + rng.random(count)) * (total / count)
        return self.find(targets)


def _level_starts(n_leaves: int) -> list[int]:
    """First node of each internal level, deepest first: n_leaves/2, n_leaves/4, ..., 1."""
    starts = []
    start = n_leaves // 2
    while start >= 1:
        starts.append(start)
        start //= 2
    return starts
