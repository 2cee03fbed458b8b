"""SumTree: sums, finding, and sampling proportions (seeded)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.sum_tree import SumTree


def test_sums_follow_updates():
    tree = SumTree(5)  # 8 leaves, the last 3 are padding
    tree.set(np.array([0, 1, 2, 3, 4]), np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert tree.total == 15.0
    assert tree.nodes[tree.n_leaves // 2] == 1.0 + 2.0  # parent of leaves 0 and 1
    tree.set(2, 0.5)
    tree.set(np.array([4, 4]), np.array([9.0, 1.0]))  # the last write wins
    assert tree.total == pytest.approx(1.0 + 2.0 + 0.5 + 4.0 + 1.0)
    np.testing.assert_array_equal(tree.get(np.array([2, 4])), [0.5, 1.0])


def test_find_maps_prefix_sums_to_leaves_and_skips_zero_weights():
    tree = SumTree(4)
    tree.set(np.arange(4), np.array([1.0, 0.0, 2.0, 1.0]))
    np.testing.assert_array_equal(
        tree.find(np.array([0.0, 0.999, 1.0, 2.5, 3.0, 3.999, 4.0])), [0, 0, 2, 2, 3, 3, 3]
    )
    tree.set(np.arange(4), np.array([1.0, 2.0, 0.0, 0.0]))
    np.testing.assert_array_equal(tree.find(np.array([3.0, 3.5])), [1, 1])  # at or past the total


def test_sampling_proportions_match_weights():
    tree = SumTree(6)
    weights = np.array([1.0, 0.0, 3.0, 6.0, 0.5, 1.5])
    tree.set(np.arange(6), weights)
    rng = np.random.default_rng(0)
    counts = np.bincount(np.concatenate([tree.sample(64, rng) for _ in range(500)]), minlength=6)
    assert counts[1] == 0
    np.testing.assert_allclose(counts / counts.sum(), weights / weights.sum(), atol=0.006)


def test_rebuild_restores_internal_nodes():
    tree = SumTree(7)
    tree.leaves[:] = np.arange(7.0)
    tree.rebuild()
    assert tree.total == 21.0
    fresh = SumTree(7)
    fresh.set(np.arange(7), np.arange(7.0))
    np.testing.assert_array_equal(tree.nodes, fresh.nodes)


def test_bad_weights_and_empty_trees_are_refused():
    tree = SumTree(3)
    with pytest.raises(ValueError):
        tree.set(0, -1.0)
    with pytest.raises(IndexError):
        tree.set(3, 1.0)
    with pytest.raises(ValueError):
        tree.sample(1, np.random.default_rng(0))
