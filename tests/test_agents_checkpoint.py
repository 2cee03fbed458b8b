"""Checkpoints: round trips that reproduce actions, and clear errors for bad files."""

from __future__ import annotations

import os

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from agents.dqn import DQNConfig, make_agent
from agents.replay import Transition

torch.set_num_threads(1)

SPACE = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
ACTIONS = gym.spaces.Discrete(3)


def trained_agent(seed: int = 0):
    config = DQNConfig(batch_size=4, replay_capacity=64, hidden=(16,), seed=seed, learning_rate=1e-2)
    agent = make_agent(SPACE, ACTIONS, config, "cpu")
    rng = np.random.default_rng(seed)
    for t in range(10):
        obs, next_obs = rng.uniform(-1, 1, 4).astype(np.float32), rng.uniform(-1, 1, 4).astype(np.float32)
        agent.observe(Transition(obs, t % 3, float(t), next_obs, t == 9, False))
    for _ in range(3):
        agent.update()
    return agent


def metadata(agent, game_id: str = "catch") -> dict:
    return {
        "game_id": game_id,
        "network": "mlp",
        "observation_shape": list(SPACE.shape),
        "n_actions": int(ACTIONS.n),
        "steps": 10,
        "episodes": 1,
        "epsilon": 0.25,
        "config": agent.config.to_dict(),
    }


def save(agent, path, game_id: str = "catch") -> None:
    state = agent.state_dict()
    save_checkpoint(
        path,
        model_state=state["model"],
        optimizer_state=state["optimizer"],
        metadata=metadata(agent, game_id),
    )


def test_round_trip_reproduces_actions_and_optimizer_state(tmp_path):
    agent = trained_agent()
    path = tmp_path / "agent.pt"
    save(agent, path)
    assert not [p for p in os.listdir(tmp_path) if p != "agent.pt"]  # no temporary file left

    state, meta = load_checkpoint(
        path, expected={"game_id": "catch", "observation_shape": (4,), "n_actions": 3}
    )
    assert meta["epsilon"] == 0.25 and meta["format_version"] == 1
    restored = make_agent(SPACE, ACTIONS, DQNConfig.from_dict(meta["config"]), "cpu")
    restored.load_state_dict(state)
    assert restored.update_count == agent.update_count == 3

    observations = np.random.default_rng(1).uniform(-1, 1, (20, 4)).astype(np.float32)
    a, b = agent.act_batch(observations, 0.3), restored.act_batch(observations, 0.3)  # exploration state too
    np.testing.assert_array_equal(a.actions, b.actions)
    np.testing.assert_array_equal(a.q_values, b.q_values)
    for name, value in agent.optimizer.state_dict()["state"][0].items():
        torch.testing.assert_close(restored.optimizer.state_dict()["state"][0][name], value)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="No checkpoint at"):
        load_checkpoint(tmp_path / "nope.pt")


def test_truncated_file(tmp_path):
    path = tmp_path / "agent.pt"
    save(trained_agent(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged") as error:
        load_checkpoint(path)
    assert str(error.value).count(".") <= 2 + str(path).count(".")  # one sentence


def test_empty_file(tmp_path):
    path = tmp_path / "agent.pt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "agent.pt"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(CheckpointError, match="not a Q-Arcade checkpoint"):
        load_checkpoint(path)


def test_other_torch_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="not a Q-Arcade checkpoint"):
        load_checkpoint(path)


def test_checkpoint_for_another_game_names_both(tmp_path):
    path = tmp_path / "agent.pt"
    save(trained_agent(), path, game_id="pong")
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path, expected={"game_id": "catch", "observation_shape": (4,), "n_actions": 3})
    message = str(error.value)
    assert "'pong'" in message and "'catch'" in message


def test_checkpoint_with_another_shape_and_action_count_names_both(tmp_path):
    path = tmp_path / "agent.pt"
    save(trained_agent(), path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path, expected={"game_id": "catch", "observation_shape": (4, 84, 84), "n_actions": 6})
    message = str(error.value)
    assert "(4,)" in message and "(4, 84, 84)" in message and "3" in message and "6" in message


def test_metadata_must_be_complete_and_json_able(tmp_path):
    agent = trained_agent()
    with pytest.raises(ValueError, match="lacks"):
        save_checkpoint(tmp_path / "a.pt", model_state={}, optimizer_state=None, metadata={"game_id": "x"})
    bad = {**metadata(agent), "epsilon": object()}
    with pytest.raises(ValueError, match="JSON"):
        save_checkpoint(tmp_path / "a.pt", model_state={}, optimizer_state=None, metadata=bad)
    assert not list(tmp_path.iterdir())
