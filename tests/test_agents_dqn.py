"""DQNAgent: Bellman targets by hand, Double DQN, the demo margin, acting, target refresh, learning."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn

from agents.dqn import DQNAgent, DQNConfig, make_agent
from agents.replay import ReplayMemory, Transition
from agents.schedules import LinearSchedule

torch.set_num_threads(1)


def linear(*weights: float) -> nn.Linear:
    """Q(s) = s * weights: one input, one output per action, no bias."""
    layer = nn.Linear(1, len(weights), bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weights).reshape(-1, 1))
    return layer


def hand_agent(double: bool = True, n_step: int = 1, **config) -> DQNAgent:
    """Online Q(s) = [s, 2s], target Q(s) = [3s, 0.5s], gamma 0.9, plain SGD with lr 0.1."""
    network, target = linear(1.0, 2.0), linear(3.0, 0.5)
    replay = ReplayMemory((1,), capacity=16, n_step=n_step, gamma=0.9)
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    settings = DQNConfig(
        gamma=0.9, n_step=n_step, batch_size=1, double_dqn=double, max_grad_norm=0.0, **config
    )
    return DQNAgent(network, target, replay, optimizer, settings)


def obs(value: float) -> np.ndarray:
    return np.array([value], np.float32)


@pytest.mark.parametrize(("double", "target"), [(True, 1.0 + 0.9 * 1.0), (False, 1.0 + 0.9 * 6.0)])
def test_one_step_update_by_hand(double, target):
    agent = hand_agent(double=double)
    agent.observe(Transition(obs(1.0), 0, 1.0, obs(2.0), False, True))
    # Online Q(2) = [2, 4] picks action 1; target Q(2) = [6, 1]. Double DQN values action 1 at 1,
    # plain DQN takes the target's max, 6. Q(1, 0) = 1.
    stats = agent.update()
    td = target - 1.0
    expected_loss = 0.5 * td**2 if abs(td) <= 1 else abs(td) - 0.5  # Huber, delta 1
    assert stats["loss"] == pytest.approx(expected_loss)
    assert stats["td_error"] == pytest.approx(abs(td))
    assert stats["mean_q"] == pytest.approx(1.0)
    # dLoss/dw0 = -clip(td, -1, 1) * s, so SGD moves w0 by 0.1 * clip(td) * 1.
    assert agent.network.weight[0, 0].item() == pytest.approx(1.0 + 0.1 * min(td, 1.0))
    assert agent.network.weight[1, 0].item() == pytest.approx(2.0)


def test_termination_stops_bootstrapping():
    agent = hand_agent()
    agent.observe(Transition(obs(1.0), 0, 1.0, obs(2.0), True, False))
    stats = agent.update()
    assert stats["loss"] == pytest.approx(0.0)  # y = r = 1 = Q(1, 0)


def test_two_step_truncated_target_bootstraps_with_gamma_squared():
    agent = hand_agent(n_step=2)
    agent.observe(Transition(obs(1.0), 0, 1.0, obs(2.0), False, False))
    agent.observe(Transition(obs(2.0), 1, 2.0, obs(3.0), False, True))
    batch = agent.replay.gather(np.array([0]))
    assert batch.reward[0] == pytest.approx(1.0 + 0.9 * 2.0)
    assert batch.discount[0] == pytest.approx(0.81)
    target = agent.bellman_target(
        torch.from_numpy(batch.reward), torch.from_numpy(batch.discount), torch.from_numpy(batch.next_obs)
    )
    # Online Q(3) = [3, 6] picks action 1; target Q(3) = [9, 1.5] values it at 1.5.
    assert target.item() == pytest.approx(2.8 + 0.81 * 1.5)


def test_double_dqn_selects_with_online_and_evaluates_with_target():
    agent = hand_agent(double=True)
    next_obs = torch.tensor([[1.0], [-1.0]])
    targets = agent.bellman_target(torch.zeros(2), torch.ones(2), next_obs)
    # s' = 1: online [1, 2] -> action 1, target [3, 0.5] -> 0.5 (plain DQN would say 3).
    # s' = -1: online [-1, -2] -> action 0, target [-3, -0.5] -> -3 (plain DQN would say -0.5).
    np.testing.assert_allclose(targets.numpy(), [0.5, -3.0])


def test_demo_margin_loss_by_hand():
    agent = hand_agent(demo_margin=0.8)
    q_values = torch.tensor([[1.0, 3.0, 2.0], [0.0, 5.0, 0.0]])
    action = torch.tensor([0, 2])
    demo = torch.tensor([1.0, 0.0])  # only the first row is a demonstration
    loss = agent.demo_margin_loss(q_values, action, demo)
    assert loss.item() == pytest.approx(max(1.0, 3.0 + 0.8, 2.0 + 0.8) - 1.0)


def test_act_returns_the_networks_q_values_and_marks_exploration():
    agent = hand_agent()
    act = agent.act(obs(2.0), epsilon=0.0)
    np.testing.assert_allclose(act.q_values, [2.0, 4.0])
    assert (act.action, act.greedy_action, act.explored) == (1, 1, False)
    batch = agent.act_batch(np.array([[1.0], [-1.0], [3.0]], np.float32), epsilon=np.array([0.0, 0.0, 1.0]))
    np.testing.assert_array_equal(batch.greedy_actions, [1, 0, 1])
    np.testing.assert_array_equal(batch.explored, [False, False, True])
    explored = [agent.act(obs(2.0), epsilon=1.0) for _ in range(200)]
    assert all(a.explored for a in explored)
    assert 60 < sum(a.action == 0 for a in explored) < 140


def test_dueling_act_reports_value_and_advantages():
    space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    agent = make_agent(space, gym.spaces.Discrete(4), DQNConfig(dueling=True, replay_capacity=32), "cpu")
    act = agent.act(np.array([0.1, -0.2, 0.3], np.float32), epsilon=0.0)
    assert act.value is not None and act.advantages is not None
    np.testing.assert_allclose(act.q_values, act.value + act.advantages, atol=1e-6)
    assert act.advantages.mean() == pytest.approx(0.0, abs=1e-6)


def test_hard_target_refresh_every_period_and_soft_blend():
    agent = hand_agent(target_update_period=2)
    agent.observe(Transition(obs(1.0), 0, 1.0, obs(2.0), True, False))
    agent.update()
    assert agent.target_network.weight[0, 0].item() == pytest.approx(3.0)  # not yet
    agent.update()
    torch.testing.assert_close(agent.target_network.weight, agent.network.weight)

    soft = hand_agent(target_update_period=1, target_tau=0.25, learning_rate=0.0)
    soft.optimizer.param_groups[0]["lr"] = 0.0
    soft.observe(Transition(obs(1.0), 0, 1.0, obs(2.0), True, False))
    soft.update()
    np.testing.assert_allclose(soft.target_network.weight.detach().numpy()[:, 0], [2.5, 0.875])


class Corridor(gym.Env):
    """Positions 0..5, start at 2; reaching 5 pays 1, reaching 0 pays 0.1; both end the episode.

    ## Observation Space: one-hot position, float32 (6,). ## Action Space: 0 left, 1 right.
    """

    LENGTH = 6
    START = 2

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, (self.LENGTH,), np.float32)
        self.action_space = gym.spaces.Discrete(2)

    def _obs(self) -> np.ndarray:
        return np.eye(self.LENGTH, dtype=np.float32)[self.position]

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position, self.t = self.START, 0
        return self._obs(), {}

    def step(self, action):
        self.position += 1 if action == 1 else -1
        self.t += 1
        at_goal, at_wall = self.position == self.LENGTH - 1, self.position == 0
        reward = 1.0 if at_goal else 0.1 if at_wall else 0.0
        return self._obs(), reward, at_goal or at_wall, self.t >= 20, {}


def greedy_return(agent: DQNAgent) -> float:
    env = Corridor()
    observation, _ = env.reset(seed=0)
    total, done = 0.0, False
    while not done:
        observation, reward, terminated, truncated, _ = env.step(agent.act(observation, 0.0).action)
        total, done = total + reward, terminated or truncated
    return total


@pytest.mark.parametrize("n_step", [1, 3])
def test_dqn_learns_the_corridor_within_a_small_budget(n_step):
    torch.manual_seed(0)
    config = DQNConfig(
        gamma=0.9,
        n_step=n_step,
        learning_rate=1e-3,
        batch_size=32,
        target_update_period=50,
        hidden=(32,),
        replay_capacity=2_000,
        seed=0,
    )
    envs = [Corridor(), Corridor()]
    agent = make_agent(envs[0].observation_space, envs[0].action_space, config, "cpu", n_streams=2)
    epsilon = LinearSchedule(1.0, 0.05, 600)
    observations = np.stack([env.reset(seed=i)[0] for i, env in enumerate(envs)])
    for step in range(0, 1200, 2):  # env steps, two envs at a time, one update per step pair
        decision = agent.act_batch(observations, epsilon(step))
        for i, env in enumerate(envs):
            next_obs, reward, terminated, truncated, _ = env.step(int(decision.actions[i]))
            agent.observe(
                Transition(observations[i], decision.actions[i], reward, next_obs, terminated, truncated), i
            )
            observations[i] = env.reset()[0] if terminated or truncated else next_obs
        if step >= 100:
            assert np.isfinite(agent.update()["loss"])
    assert greedy_return(agent) == pytest.approx(1.0)
    start = np.eye(6, dtype=np.float32)[2]
    q = agent.act(start, 0.0).q_values
    assert q[1] == pytest.approx(0.9**2, abs=0.1)  # right, right, right: reward 1 after 3 steps


def test_nature_cnn_agent_updates_on_frame_stacks():
    space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    config = DQNConfig(batch_size=4, replay_capacity=64, n_step=2, prioritized=True, dueling=True)
    agent = make_agent(space, gym.spaces.Discrete(6), config, "cpu")
    assert agent.network.channels_last
    rng = np.random.default_rng(0)
    stack = np.repeat(rng.integers(0, 255, (1, 84, 84), dtype=np.uint8), 4, axis=0)
    for t in range(6):
        frame = rng.integers(0, 255, (1, 84, 84), dtype=np.uint8)
        next_stack = np.concatenate([stack[1:], frame])
        agent.observe(Transition(stack, t % 6, 1.0, next_stack, False, t == 5))
        stack = next_stack
    stats = agent.update()
    assert set(stats) >= {"loss", "mean_q", "td_error", "grad_norm"}
    assert all(np.isfinite(v) for v in stats.values())
    act = agent.act(stack, 0.1)
    assert act.q_values.shape == (6,) and act.value is not None


def test_discrete_observations_are_one_hot_encoded_end_to_end():
    agent = make_agent(
        gym.spaces.Discrete(5), gym.spaces.Discrete(2), DQNConfig(batch_size=2, hidden=(8,)), "cpu"
    )
    agent.observe(Transition(0, 1, 1.0, 3, False, False))
    agent.observe(Transition(3, 0, 0.0, 4, True, False))
    assert np.isfinite(agent.update()["loss"])
    assert agent.act(3, 0.0).q_values.shape == (2,)
    assert agent.act_batch(np.array([0, 4]), 0.0).q_values.shape == (2, 2)


def test_bf16_autocast_update_runs():
    space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    agent = make_agent(space, gym.spaces.Discrete(2), DQNConfig(batch_size=2, bf16_autocast=True), "cpu")
    for t in range(3):
        agent.observe(
            Transition(np.full(3, t, np.float32), 0, 1.0, np.full(3, t + 1, np.float32), t == 2, False)
        )
    assert np.isfinite(agent.update()["loss"])


def test_config_round_trips_through_a_dict():
    config = DQNConfig(hidden=(32, 16), n_step=3)
    assert DQNConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown"):
        DQNConfig.from_dict({"gama": 0.9})
    # A network kind is refused when the settings are read, not later inside make_network.
    with pytest.raises(ValueError, match=r"dqn\.network must be one of .*nips"):
        DQNConfig(network="resnet")
    assert DQNConfig(network="nips").network == "nips"


@pytest.mark.parametrize("native", [True, False])
def test_bf16_updates_only_where_the_device_does_bfloat16_natively(monkeypatch, native):
    monkeypatch.setattr("agents.dqn.bf16_is_fast", lambda device: native)
    space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    agent = make_agent(
        space, gym.spaces.Discrete(3), DQNConfig(bf16_autocast=True, device="cpu", batch_size=4)
    )
    assert agent.bf16 is native
    frames = np.random.default_rng(0).integers(0, 255, (12, 84, 84), dtype=np.uint8)
    for t in range(8):
        agent.observe(Transition(frames[t : t + 4], t % 3, 1.0, frames[t + 1 : t + 5], False, False))
    assert np.isfinite(agent.update()["loss"])
    plain = make_agent(space, gym.spaces.Discrete(3), DQNConfig(device="cpu"))
    assert plain.bf16 is False


def test_a_bfloat16_target_gives_the_same_bellman_targets_as_a_float32_one_under_autocast(monkeypatch):
    monkeypatch.setattr("agents.dqn.bf16_is_fast", lambda device: True)
    space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    config = DQNConfig(bf16_autocast=True, device="cpu", batch_size=4, dueling=True)
    agent = make_agent(space, gym.spaces.Discrete(4), config)
    assert next(agent.target_network.parameters()).dtype == torch.bfloat16
    soft = make_agent(space, gym.spaces.Discrete(4), dataclasses.replace(config, target_tau=0.01))
    assert next(soft.target_network.parameters()).dtype == torch.float32  # lerp needs the precision

    float_target = make_agent(space, gym.spaces.Discrete(4), config).target_network.float()
    float_target.load_state_dict(agent.network.state_dict())
    agent.sync_target()
    next_obs = torch.from_numpy(np.random.default_rng(1).integers(0, 255, (6, 4, 84, 84), dtype=np.uint8))
    with torch.autocast("cpu", dtype=torch.bfloat16), torch.no_grad():
        torch.testing.assert_close(agent.target_network(next_obs), float_target(next_obs), rtol=0, atol=0)
    restored = make_agent(space, gym.spaces.Discrete(4), config)
    restored.load_state_dict(agent.state_dict())  # a checkpoint keeps the rounded target
    for name, value in agent.target_network.state_dict().items():
        assert torch.equal(restored.target_network.state_dict()[name], value)
