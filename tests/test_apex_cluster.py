"""Ape-X on a fake Ray cluster of several nodes in this machine: an actor's node goes, the actor moves."""

from __future__ import annotations

import dataclasses
import importlib.util
import time

import pytest
import torch

from game.modes.apex import game_for, make_learner
from game.modes.apex_ray import RayFleet
from game.presets import preset

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="the 'ray' extra is not installed"),
]


@pytest.fixture
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    fake = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})  # the head runs no actor
    for _ in range(3):
        fake.add_node(num_cpus=1)  # two actors, and room for one to move
    ray.init(address=fake.address, logging_level="WARNING", log_to_driver=False)
    yield fake
    ray.shutdown()
    fake.shutdown()
    torch.set_num_threads(threads)


def test_an_actor_whose_node_is_removed_comes_back_on_another_and_the_run_goes_on(cluster):
    import ray

    config = dataclasses.replace(preset("catch"), actors=2, total_steps=10**6, eval_every_steps=0)
    fleet = RayFleet("catch", config, address=cluster.address)
    fleet.wait_until_up()
    learner = make_learner(game_for("catch", config), config, fleet, None)
    try:
        nodes = ray.get([handle.node.remote() for handle in fleet.handles])
        assert len(set(nodes)) == 2  # spread over the nodes
        while learner.steps < 1_000:
            learner.step()
        gone = next(node for node in cluster.worker_nodes if node.node_id == nodes[1])
        cluster.remove_node(gone)
        removed_at = time.monotonic()
        before = learner.actor_stats[1].transitions
        while learner.actor_stats[1].transitions <= before + 256 and time.monotonic() - removed_at < 60:
            learner.step()
        assert learner.actor_stats[1].transitions > before + 256  # playing again, after its lost calls
        moved = ray.get(fleet.handles[1].node.remote(), timeout=30)
        assert moved != nodes[1] and moved in {node.node_id for node in cluster.worker_nodes}
        assert learner.agent.update_count > 0
    finally:
        learner.close()
