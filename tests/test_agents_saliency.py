"""Perturbation saliency: it finds the part of the picture a network uses, and keeps to its budget."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.saliency import PerturbationSaliency, SaliencyScheduler, perturbation_saliency

torch.set_num_threads(1)


def corner_network(x: torch.Tensor) -> torch.Tensor:
    """Q(s, 0) grows with the texture of the top-left 20x20 corner; Q(s, 1) with the bottom right one."""
    top_left = x[:, :, :20, :20].std(dim=(1, 2, 3))
    bottom_right = x[:, :, -20:, -20:].std(dim=(1, 2, 3))
    return torch.stack([top_left, bottom_right], dim=1)


def textured(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(4, 84, 84), dtype=np.uint8)


@pytest.mark.parametrize(
    ("action", "corner"), [(0, (slice(0, 20), slice(0, 20))), (1, (slice(64, 84), slice(64, 84)))]
)
def test_the_map_is_hot_where_the_network_looks_for_that_action(action, corner):
    heat = perturbation_saliency(corner_network, textured(), action)
    assert heat.shape == (84, 84) and heat.dtype == np.float32
    assert heat.max() == pytest.approx(1.0) and heat.min() >= 0.0
    in_corner = np.zeros((84, 84), dtype=bool)
    in_corner[corner] = True
    inside, outside = heat[in_corner].mean(), heat[~in_corner].mean()
    assert inside > 4 * outside


def test_a_network_that_ignores_the_picture_gives_an_empty_map():
    heat = perturbation_saliency(lambda x: torch.ones(len(x), 2), textured(), 0)
    assert not heat.any()


def test_a_map_in_pieces_equals_the_map_at_once():
    job = PerturbationSaliency(corner_network, textured(1), 0)
    pieces = 0
    heat = None
    while heat is None:
        heat = job.advance(5)
        pieces += 1
    assert pieces == -(-len(job.centres) // 5) > 1
    np.testing.assert_allclose(heat, perturbation_saliency(corner_network, textured(1), 0), rtol=1e-6)


def test_vector_observations_are_refused():
    with pytest.raises(ValueError, match="channels, height, width"):
        PerturbationSaliency(corner_network, np.zeros(8, np.float32), 0)


def test_the_scheduler_waits_so_maps_stay_within_their_budget():
    now = [0.0]
    scheduler = SaliencyScheduler(
        corner_network, budget=0.01, min_period_s=0.5, chunk=1000, clock=lambda: now[0]
    )
    scheduler.offer(textured(), 1)
    done = scheduler.work()
    assert done is not None and done[1] == 1
    cost = scheduler.spent_s
    assert scheduler.next_start == pytest.approx(max(0.5, cost / 0.01))
    scheduler.offer(textured(), 0)
    assert scheduler.job is None and scheduler.work() is None  # not due yet
    now[0] = scheduler.next_start
    scheduler.offer(textured(), 0)
    assert scheduler.job is not None
