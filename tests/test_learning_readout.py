"""The "how it learns" values are the update's own: a traced update's readout against the loss's inputs
and a hand computation, term by term (Double DQN, n = 1 and n = 3, termination against truncation);
the surprise and predicted-return views of the Lens by hand; sampling with an included transition."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from agents import dqn as dqn_module
from agents.dqn import DQNAgent, DQNConfig
from agents.replay import ReplayMemory, Transition
from game.modes.lens import Lens, readout_of

torch.set_num_threads(1)
GAMMA = 0.9


def linear(*weights: float) -> nn.Linear:
    """Q(s) = s * weights: one input, one output per action, no bias."""
    layer = nn.Linear(1, len(weights), bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weights).reshape(-1, 1))
    return layer


def hand_agent(n_step: int, batch_size: int = 1, double: bool = True) -> DQNAgent:
    """Online Q(s) = [s, 2s] picks action 1 for s > 0; target Q(s) = [3s, 0.5s] would pick action 0."""
    replay = ReplayMemory((1,), capacity=32, n_step=n_step, gamma=GAMMA)
    network, target = linear(1.0, 2.0), linear(3.0, 0.5)
    settings = DQNConfig(
        gamma=GAMMA, n_step=n_step, batch_size=batch_size, double_dqn=double, max_grad_norm=0.0
    )
    return DQNAgent(network, target, replay, torch.optim.SGD(network.parameters(), lr=0.1), settings)


def s(value: float) -> np.ndarray:
    return np.array([value], np.float32)


def play(agent: DQNAgent, rewards: list[float], end: str) -> list[int]:
    """An episode s = 1, 2, 3, ... with actions 0, 1, 0, ... and these rewards, ended as ``end``
    ("terminated", "truncated" or "open"); returns the transitions' replay indices."""
    indices = []
    for t, reward in enumerate(rewards):
        last = t == len(rewards) - 1
        transition = Transition(
            s(t + 1), t % 2, reward, s(t + 2), last and end == "terminated", last and end == "truncated"
        )
        indices.append(agent.observe(transition))
    return indices


@pytest.fixture
def loss_inputs(monkeypatch) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every (Q(s, a), target) pair handed to the Huber loss, as the update computed them."""
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    huber = dqn_module.functional.huber_loss

    def recording(q, target, **kwargs):
        seen.append((q.detach().numpy().copy(), target.detach().numpy().copy()))
        return huber(q, target, **kwargs)

    monkeypatch.setattr(dqn_module.functional, "huber_loss", recording)
    return seen


def hand_values(agent: DQNAgent, state: float, action: int, rewards: list[float], next_state, terminal):
    """(a', Q_target(s', a'), y, Q(s, a)) by hand: the online network picks a', the target values it."""
    with torch.no_grad():
        q = agent.network(torch.tensor([[state]])).numpy()[0]
        if next_state is None:
            return None, None, sum(GAMMA**j * r for j, r in enumerate(rewards)), float(q[action])
        online_next = agent.network(torch.tensor([[next_state]])).numpy()[0]
        target_next = agent.target_network(torch.tensor([[next_state]])).numpy()[0]
    a_next = int(np.argmax(online_next))
    assert a_next != int(np.argmax(target_next))  # the test tells Double DQN from plain DQN
    ret = sum(GAMMA**j * r for j, r in enumerate(rewards))
    y = ret + (0.0 if terminal else GAMMA ** len(rewards) * float(target_next[a_next]))
    return a_next, float(target_next[a_next]), y, float(q[action])


CASES = {
    # name: (n, episode rewards, how it ends, traced transition, its window's rewards, s', ended)
    "n1": (1, [1.0, 2.0, 3.0], "open", 0, [1.0], 2.0, ""),
    "n3-full": (3, [1.0, 2.0, 3.0, 4.0, 5.0], "open", 0, [1.0, 2.0, 3.0], 4.0, ""),
    "n3-terminated": (3, [1.0, 2.0, -3.0], "terminated", 1, [2.0, -3.0], None, "terminated"),
    "n3-truncated": (3, [1.0, 2.0, -3.0], "truncated", 1, [2.0, -3.0], 4.0, "truncated"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_readout_is_the_loss_computation_term_by_term(name, loss_inputs):
    n, episode, end, traced, window, next_state, ended = CASES[name]
    agent = hand_agent(n, batch_size=3)
    indices = play(agent, episode, end)
    state, action = traced + 1.0, traced % 2
    a_next, q_next, y, q_before = hand_values(agent, state, action, window, next_state, ended == "terminated")

    agent.trace_next_update(indices[traced])
    agent.update()
    readout = readout_of(agent.last_trace, n)

    q_loss, target_loss = loss_inputs[-1]
    assert readout.rewards == window  # each r_{t+j}, as stored
    assert readout.discounts == pytest.approx([GAMMA**j for j in range(len(window))], abs=1e-12)
    assert readout.ended == ended
    assert readout.action == action and readout.double_dqn
    assert readout.target == pytest.approx(float(target_loss[0]), abs=1e-6)  # the loss's own target
    assert readout.q_before == pytest.approx(float(q_loss[0]), abs=1e-6)  # and its own Q(s, a)
    assert readout.td_error == pytest.approx(float(target_loss[0] - q_loss[0]), abs=1e-6)
    assert readout.target == pytest.approx(y, abs=1e-5)
    assert readout.q_before == pytest.approx(q_before, abs=1e-6)
    terms = sum(d * r for d, r in zip(readout.discounts, readout.rewards, strict=True))
    assert terms + readout.bootstrap_discount * readout.next_q_target == pytest.approx(
        readout.target, abs=1e-5
    )
    if ended == "terminated":
        assert readout.bootstrap_discount == 0.0
    else:
        assert readout.bootstrap_discount == pytest.approx(GAMMA ** len(window))
        assert readout.next_action == a_next
        assert readout.next_q_target == pytest.approx(q_next, abs=1e-6)
    assert readout.clipped == (abs(y - q_before) > 1.0)
    with torch.no_grad():
        assert readout.q_after == pytest.approx(agent.network(torch.tensor([[state]]))[0, action].item())
    assert readout.q_after != pytest.approx(readout.q_before)  # the update moved it
    assert readout.state_before == [state]


def test_plain_dqn_readout_lets_the_target_network_pick(loss_inputs):
    agent = hand_agent(1, double=False)
    indices = play(agent, [1.0, 2.0], "open")
    agent.trace_next_update(indices[0])
    agent.update()
    readout = readout_of(agent.last_trace, 1)
    assert not readout.double_dqn
    assert readout.next_action == 0  # target Q(2) = [6, 1]
    assert readout.target == pytest.approx(1.0 + GAMMA * 6.0) == pytest.approx(float(loss_inputs[-1][1][0]))


def test_an_update_not_asked_for_is_not_traced_and_one_not_ready_is_skipped():
    agent = hand_agent(3)
    indices = play(agent, [1.0, 2.0, 3.0, 4.0], "open")
    agent.update()
    assert agent.last_trace is None
    agent.trace_next_update(indices[-1])  # its window needs two more steps
    agent.update()
    assert agent.last_trace is None
    agent.trace_next_update(None)  # whatever the batch holds
    agent.update()
    assert agent.last_trace is not None and agent.last_trace.traced_row is None


def test_sampling_with_an_included_transition_weights_it_by_its_own_probability():
    memory = ReplayMemory((1,), capacity=64, n_step=1, gamma=GAMMA, prioritized=True, priority_alpha=1.0)
    for t in range(20):
        memory.add(0, Transition(s(t), 0, 0.0, s(t + 1), False, False))
    memory.update_priorities(np.arange(19), np.arange(1, 20, dtype=np.float64))
    batch = memory.sample(8, beta=1.0, include=np.array([3]))
    assert batch.index[0] == 3 and len(batch.index) == 8
    total = memory.main.tree.total
    raw = (19 * memory.main.tree.get(batch.index) / total) ** -1.0
    np.testing.assert_allclose(batch.weight, raw / raw.max(), rtol=1e-6)
    with pytest.raises(ValueError, match="ready to sample"):
        memory.sample(8, include=np.array([19]))  # the newest: its window is not complete


def test_ages_run_from_the_newest_slot_to_the_oldest():
    memory = ReplayMemory((1,), capacity=8, n_step=1, gamma=GAMMA)
    for t in range(5):
        memory.add(0, Transition(s(t), 0, 0.0, s(t + 1), False, False))
    np.testing.assert_allclose(memory.ages(np.array([4, 0, 2])), [0.0, 1.0, 0.5])
    for t in range(5, 12):  # the ring wraps: the oldest live slot follows the cursor
        memory.add(0, Transition(s(t), 0, 0.0, s(t + 1), False, False))
    cursor = memory.main.cursor
    assert memory.ages(np.array([(cursor - 1) % 8, (cursor + 1) % 8])).tolist() == [0.0, 1.0]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_surprise_is_the_n_step_td_error_of_each_showcase_step_by_hand():
    agent = hand_agent(2)
    clock = Clock()
    lens = Lens(agent, (1,), clock=clock)
    frame = np.zeros((8, 8, 3), np.uint8)
    rewards = [1.0, 0.0, 2.0]
    for t, reward in enumerate(rewards):
        state = float(t + 1)
        q = agent.network(torch.tensor([[state]])).detach().numpy()[0]
        lens.before_step(s(state), q)
        done = t == len(rewards) - 1
        lens.after_step(s(state), 0, float(q[0]), reward, s(state + 1), done, False, t, frame)
        clock.now += 1.0
    snapshot = type("S", (), {})()
    lens.fill(snapshot)
    # Step 0: r0 + g r1 + g^2 Q_target(3, argmax Q_online(3) = 1) - Q(1, 0) = 1 + 0 + 0.81 * 1.5 - 1.
    # Steps 1 and 2 end in the termination: r1 + g r2 - Q(2, 0) and r2 - Q(3, 0).
    expected = [abs(1.0 + 0.81 * 1.5 - 1.0), abs(0.0 + GAMMA * 2.0 - 2.0), abs(2.0 - 3.0)]
    np.testing.assert_allclose(snapshot.surprise.values, expected, rtol=1e-6)
    np.testing.assert_allclose(snapshot.surprise.seconds_ago, [3.0, 2.0, 1.0])
    assert snapshot.surprise.moments[0].td_error == pytest.approx(1.0 + 0.81 * 1.5 - 1.0)
    predicted = snapshot.predicted
    np.testing.assert_allclose(predicted.predicted, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(predicted.received, [1.0 + GAMMA**2 * 2.0, GAMMA * 2.0, 2.0], rtol=1e-6)
    assert predicted.episode == 1 and not predicted.truncated
    assert snapshot.target.q_online.tolist() == [3.0, 6.0]
    assert snapshot.target.q_target.tolist() == [9.0, 1.5]


def test_surprise_over_many_batched_target_passes_matches_each_window_by_hand():
    """Twenty steps (several batched target passes), n = 3, ended by a truncation that bootstraps."""
    n, steps = 3, 20
    agent = hand_agent(n)
    clock = Clock()
    lens = Lens(agent, (1,), clock=clock)
    frame = np.zeros((8, 8, 3), np.uint8)
    rewards = [float((t * 7) % 5 - 2) for t in range(steps)]
    for t, reward in enumerate(rewards):
        state = float(t + 1)
        lens.before_step(s(state), np.array([state, 2 * state], np.float32))
        last = t == steps - 1
        lens.after_step(s(state), 0, state, reward, s(state + 1), False, last, t, frame)
        clock.now += 0.01

    def bootstrap(state: float) -> float:  # online [s, 2s] picks action 1; target [3s, 0.5s] values it
        return 0.5 * state

    expected = []
    for t in range(steps):
        window = rewards[t : t + n]
        ret = sum(GAMMA**j * r for j, r in enumerate(window))
        expected.append(ret + GAMMA ** len(window) * bootstrap(t + 1 + len(window)) - (t + 1))
    snapshot = type("S", (), {})()
    lens.fill(snapshot)
    np.testing.assert_allclose(snapshot.surprise.values, np.abs(expected), rtol=1e-5)
    assert snapshot.predicted.truncated
