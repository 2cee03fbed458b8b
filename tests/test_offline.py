"""Learning offline: FQI's targets by hand, FQI reaching a scripted expert's Catch score from its recorded
play alone, offline DQN's update count, and ``main.py datasets`` / ``main.py train --offline`` as a user
runs them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from agents.checkpoint import load_checkpoint
from agents.dqn import make_agent
from agents.dqn_config import DQNConfig
from agents.networks import make_network
from agents.offline import (
    FQIConfig,
    action_counts,
    fitted_q_iteration,
    fqi_targets,
    offline_dqn,
    q_values,
    replay_slots,
    trust_table,
)
from agents.pools import play_episodes
from agents.transitions import Transitions
from game.catalog import find_game
from game.modes.datasets import load_transitions
from game.modes.experts import catch_expert, expert_for, record_scripted

pytest.importorskip("minari")
ROOT = Path(__file__).resolve().parent.parent
CATCH_ID = "q-arcade/catch/play-v0"
EXPERT_EPISODES = 400  # a scripted Catch player's games in the dataset
EXPERT_SLIPS = 0.5  # share of its keys pressed at random: the data shows what every key does in most states
EVAL_GAMES = 20


class Table(nn.Module):
    """Q(s, a) as a table of parameters, indexed by a Discrete state."""

    def __init__(self, values: list[list[float]]) -> None:
        super().__init__()
        self.q = nn.Parameter(torch.tensor(values, dtype=torch.float32))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.q[obs.long()]


def two_states() -> Transitions:
    """s0 -a0-> s1 (r 1); s1 -a1-> end (r 2, terminated); s1 -a0-> s1 (r 0, truncated: still bootstraps)."""
    return Transitions(
        obs=np.array([0, 1, 1]),
        actions=np.array([0, 1, 0]),
        rewards=np.array([1.0, 2.0, 0.0], np.float32),
        next_obs=np.array([1, 0, 1]),
        terminated=np.array([False, True, False]),
        truncated=np.array([False, False, True]),
    )


def test_fqi_targets_equal_a_hand_computation():
    previous = Table([[1.0, 3.0], [5.0, -2.0]])
    targets = fqi_targets(previous, two_states(), gamma=0.9)
    np.testing.assert_allclose(targets, [1 + 0.9 * 5, 2.0, 0 + 0.9 * 5], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(fqi_targets(None, two_states(), gamma=0.9), [1.0, 2.0, 0.0])  # Q_0 = 0


def test_fqi_rounds_regress_onto_the_bellman_targets():
    config = FQIConfig(iterations=2, epochs=2000, batch_size=3, learning_rate=0.02, gamma=0.9, huber_delta=0)
    result = fitted_q_iteration(lambda: Table([[0.0, 0.0], [0.0, 0.0]]), two_states(), config)
    first, second = result.stats
    assert first.mean_target == pytest.approx(1.0)  # round 1: the rewards (1 + 2 + 0) / 3
    # Round 1 fits Q(s0,a0)=1, Q(s1,a1)=2, Q(s1,a0)=0, so round 2's targets are 1 + 0.9*2, 2, 0 + 0.9*2.
    assert second.mean_target == pytest.approx((2.8 + 2.0 + 1.8) / 3, abs=1e-2)
    q = result.network.q.detach().numpy()
    np.testing.assert_allclose([q[0, 0], q[1, 1], q[1, 0]], [2.8, 2.0, 1.8], atol=1e-2)
    assert result.updates == second.updates == config.updates(3) == 2 * 2000


def test_the_conservative_penalty_pushes_down_the_action_the_data_never_took():
    """State 0 only ever took action 0: plain FQI leaves Q(s0, a1) where it started (above Q(s0, a0)
    here, so the greedy move would be the untried one); CQL's penalty brings it below."""
    start = [[3.0, 4.0], [0.0, 0.0]]
    plain = FQIConfig(iterations=3, epochs=300, batch_size=3, learning_rate=0.02, gamma=0.9, huber_delta=0)
    q = fitted_q_iteration(lambda: Table(start), two_states(), plain).network.q.detach().numpy()
    assert q[0, 1] == pytest.approx(4.0) and q[0, 1] > q[0, 0]
    cql = dataclasses.replace(plain, conservative=1.0)
    q = fitted_q_iteration(lambda: Table(start), two_states(), cql).network.q.detach().numpy()
    assert q[0, 1] < q[0, 0] - 0.5


def test_action_counts_per_action_and_per_state():
    data = two_states()
    np.testing.assert_array_equal(action_counts(data, 2), [2, 1])
    np.testing.assert_array_equal(action_counts(data, 2, n_states=2), [[1, 0], [1, 1]])
    rows = trust_table(Table([[1.0, 3.0], [5.0, -2.0]]), data, 2)
    assert [(r.count, r.mean_q) for r in rows] == [(2, pytest.approx(11 / 3)), (1, pytest.approx(-1 / 3))]
    assert rows[1].mean_q_where_taken == pytest.approx(-2.0)


@pytest.fixture(scope="module")
def catch_data(tmp_path_factory) -> tuple[Path, float]:
    """A scripted Catch player's recorded play (it slips half the time), and its mean return."""
    data_dir = tmp_path_factory.mktemp("data")
    record_scripted(
        "catch", catch_expert, EXPERT_EPISODES, data_dir, seed=0, epsilon=EXPERT_SLIPS, algorithm="scripted"
    )
    flat = load_transitions(CATCH_ID, data_dir)
    episodes = int(flat.terminated.sum() + flat.truncated.sum())
    return data_dir, float(flat.rewards.sum()) / episodes


@pytest.fixture
def one_thread():
    """Tiny networks run fastest, and steadiest on a busy machine, on one torch thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
def test_fqi_reaches_the_recorded_experts_score_on_catch(catch_data, one_thread):
    data_dir, recorded = catch_data
    torch.manual_seed(0)
    data = load_transitions(CATCH_ID, data_dir)
    spec = find_game("catch")
    env = spec.make_env("train")
    config = DQNConfig(hidden=(64, 64), seed=0, device="cpu")
    agent = make_agent(env.observation_space, env.action_space, config)
    result = fitted_q_iteration(
        lambda: make_network(env.observation_space, 3, "mlp", hidden=(64, 64)),
        data,
        FQIConfig(iterations=12, epochs=8),
    )
    agent.network.load_state_dict(result.network.state_dict())
    score = float(np.mean(play_episodes(agent, lambda: spec.make_env("train"), EVAL_GAMES, 0.0, 5_000, 100)))
    expert = float(np.mean(play_episodes_of(catch_expert, EVAL_GAMES)))
    assert recorded < expert, "the recorded play slips"
    assert score >= 0.9 * expert, f"FQI {score} against the expert's {expert} (recorded play {recorded})"
    env.close()


def play_episodes_of(policy, games: int) -> list[float]:
    env = find_game("catch").make_env("train")
    returns = []
    for game in range(games):
        obs, _ = env.reset(seed=5_000 + game)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += reward
            done = terminated or truncated
        returns.append(total)
    return returns


def test_offline_dqn_counts_its_updates(catch_data):
    data = load_transitions(CATCH_ID, catch_data[0])
    env = find_game("catch").make_env("train")
    config = DQNConfig(
        hidden=(32,), replay_capacity=replay_slots(data), target_update_period=50, seed=0, device="cpu"
    )
    agent = make_agent(env.observation_space, env.action_space, config)
    result = offline_dqn(agent, data, 120, log_every=50)
    assert result.updates == agent.update_count == 120
    assert [row.updates for row in result.stats] == [50, 100, 120]
    assert np.isfinite(q_values(agent.network, data.obs)).all()


def main_py(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_datasets_lists_and_train_offline_refuses_in_one_sentence(catch_data, tmp_path):
    data_dir, recorded = catch_data
    listing = main_py("datasets", "--data", str(data_dir), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert (
        CATCH_ID in listing.stdout
        and f"{EXPERT_EPISODES:,}" in listing.stdout
        and f"{recorded:.3f}" in listing.stdout
    )

    missing = main_py("train", "catch", "--offline", "NO_SUCH", "--data", str(data_dir), cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "NO_SUCH" in missing.stderr

    env = find_game("gridworld").make_env("train")
    record_scripted("gridworld", expert_for("gridworld", env), 2, data_dir)
    other = main_py(
        "train", "catch", "--offline", "q-arcade/gridworld/play-v0", "--data", str(data_dir), cwd=tmp_path
    )
    assert other.returncode == 2 and other.stderr.count("\n") == 1 and "gridworld" in other.stderr


def test_train_offline_saves_a_checkpoint_the_arena_loads(catch_data, tmp_path):
    from game.modes.protocol import SessionConfig
    from game.modes.runs import check_checkpoint
    from game.modes.session import Session

    data_dir, _ = catch_data
    done = main_py(
        "train",
        "catch",
        "--offline",
        CATCH_ID,
        "--data",
        str(data_dir),
        "--iterations",
        "3",
        "--eval-episodes",
        "5",
        "--out",
        "RUN",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "recorded play" in done.stdout and "Trust" in done.stdout and "NOOP" in done.stdout
    checkpoint = tmp_path / "RUN" / "checkpoints" / "latest.pt"
    _, metadata = load_checkpoint(checkpoint)
    assert metadata["offline"]["dataset"] == CATCH_ID and metadata["updates"] > 0
    spec = find_game("catch")
    check_checkpoint(spec, str(checkpoint))  # what `main.py arena catch --checkpoint` checks first
    session = Session(SessionConfig("catch", str(tmp_path / "arena"), checkpoint=str(checkpoint)))
    try:
        assert session.showcase_step().q_values.shape == (3,)
    finally:
        session.close()
