"""The Trainer in-process: it learns within a step budget, resumes where it stopped, saves what a
checkpoint promises, scores Atari games (not lives), and learns from the final observation."""

from __future__ import annotations

import csv
import dataclasses
import itertools
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents.checkpoint import load_checkpoint
from agents.dqn import DQNConfig
from agents.pools import EnvPool, play_pool_episodes
from agents.replay import Transition
from agents.schedules import PowerSchedule
from agents.tabular import QTable, value_iteration
from agents.train_config import TrainConfig
from agents.trainer import Trainer
from game.arcade.catch import CatchEnv
from game.arcade.gridworld import GridWorldEnv
from game.catalog import find_game
from game.presets import preset

torch.set_num_threads(1)

TINY_CATCH = TrainConfig(
    total_steps=600,
    learning_starts=100,
    epsilon_decay_steps=300,
    eval_every_steps=300,
    eval_episodes=3,
    eval_epsilon=0.0,
    checkpoint_every_steps=200,
    keep_checkpoints=2,
    dqn=DQNConfig(batch_size=16, hidden=(32,), replay_capacity=2_000, target_update_period=50, device="cpu"),
)
"""Catch settings for the bookkeeping tests: a second of training that evaluates and checkpoints."""


def catch_trainer(config: TrainConfig, run_dir: Path | None = None) -> Trainer:
    spec = find_game("catch")
    return Trainer(spec.id, lambda: spec.make_env("train"), config, run_dir)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as file:
        return list(csv.reader(file))


@pytest.mark.slow
def test_dqn_catches_the_fruit_with_the_catch_preset():
    # Seeds 0-10 all evaluate at 1.0 after the preset's 6,000 steps (most from 2,000 or 3,000 on).
    config = preset("catch")
    trainer = catch_trainer(config)
    trainer.train()
    assert trainer.steps == config.total_steps
    assert trainer.last_eval is not None and trainer.last_eval >= 0.8
    assert trainer.evaluate(20) >= 0.8  # a random basket scores about -0.5
    trainer.close()


@pytest.mark.slow
def test_dqn_balances_cartpole_within_the_classic_preset_budget():
    # A random policy scores about 22. With the preset, seeds 0-5 first evaluate at 234, 274, 244,
    # 226, 258 and 245 after 2,500, 7,500, 2,500, 2,500, 5,000 and 2,500 steps; the run stops there.
    spec = find_game("CartPole-v1")
    config = dataclasses.replace(preset("classic"), eval_every_steps=0)
    trainer = Trainer(
        spec.id, lambda: spec.make_env("train"), config, make_eval_env=lambda: spec.make_env("show")
    )
    evaluations: list[tuple[int, float]] = []
    while trainer.steps < config.total_steps and not (evaluations and evaluations[-1][1] >= 195.0):
        trainer.step()
        if trainer.steps % 2_500 == 0:
            evaluations.append((trainer.steps, trainer.evaluate(20)))
    trainer.close()
    assert evaluations[-1][1] >= 195.0, evaluations


def reachable_nonterminal_states(env: GridWorldEnv) -> list[int]:
    """The states a walk from the start can stand on, following every outcome of the model."""
    seen, frontier = {env.start_state}, [env.start_state]
    while frontier:
        state = frontier.pop()
        for outcomes in env.P[state].values():
            for probability, next_state, _, terminated in outcomes:
                if probability > 0 and not terminated and next_state not in seen:
                    seen.add(next_state)
                    frontier.append(next_state)
    return sorted(seen)


def test_q_learning_on_gridworld_converges_to_value_iteration():
    # Synchronous Q-learning: every reachable (state, action) is sampled from the real environment
    # in each sweep. A random walk from the start reaches the bridge between the pits too rarely to
    # average out its slips in seconds. With 4,000 sweeps the error over seeds 0-9 stays below 0.035.
    env = GridWorldEnv()
    gamma = 0.9
    _, q_star = value_iteration(env.P, env.n_states, env.n_actions, gamma)
    states = reachable_nonterminal_states(env)
    assert len(states) == 28 and env.start_state in states  # the 7x7 map's floor, walls and pits aside
    table = QTable(
        env.n_actions, env.n_states, gamma=gamma, learning_rate=PowerSchedule(1.0, 0.8), per_pair_steps=True
    )
    env.reset(seed=0)
    for _ in range(4_000):
        for state in states:
            for action in range(env.n_actions):
                env.state = state
                next_state, reward, terminated, _, _ = env.step(action)
                table.update(state, action, reward, next_state, terminated)
    error = np.abs(table.as_array() - q_star)[states]
    assert error.max() < 0.05, (error.max(), states[int(error.max(axis=1).argmax())])


def test_resume_continues_counts_weights_replay_and_metrics(tmp_path):
    first = catch_trainer(TINY_CATCH, tmp_path)
    first.train()
    first.close()
    assert first.agent.update_count == 501  # one per step from learning_starts (step 100) to 600

    second = catch_trainer(dataclasses.replace(TINY_CATCH, total_steps=1_000), tmp_path)
    second.restore()
    assert (second.steps, second.episodes) == (600, first.episodes)
    assert second.agent.update_count == first.agent.update_count
    assert second.epsilon == first.epsilon < TINY_CATCH.epsilon_start
    assert second.last_eval == first.last_eval
    assert len(second.agent.replay) == len(first.agent.replay) > 500
    for mine, theirs in (
        (second.agent.network, first.agent.network),
        (second.agent.target_network, first.agent.target_network),
    ):
        saved, restored = theirs.state_dict(), mine.state_dict()
        assert saved.keys() == restored.keys()
        assert all(torch.equal(saved[name], restored[name]) for name in saved)
    probe = np.random.default_rng(0).uniform(0, 1, (8, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        second.agent.act_batch(probe, 0.0).q_values, first.agent.act_batch(probe, 0.0).q_values
    )

    second.train()
    second.close()
    assert second.steps == 1_000 and second.agent.update_count == 501 + 400

    episodes = read_csv(tmp_path / "episodes.csv")
    assert episodes[0] == ["step", "episode", "return", "length", "epsilon", "wall_s"]
    rows = episodes[1:]
    assert [int(row[1]) for row in rows] == list(range(1, second.episodes + 1))  # numbered on, one header
    steps = [int(row[0]) for row in rows]
    assert steps == sorted(steps) and steps[-1] > 600 and min(s for s in steps if s > 600) < 620
    evaluations = read_csv(tmp_path / "eval.csv")
    assert evaluations[0] == ["step", "mean_return", "returns"]
    assert [int(row[0]) for row in evaluations[1:]] == [300, 600, 900, 1_000]
    if (tmp_path / "train.csv").exists():  # rows come about once a second: a fast run may write none
        assert sum(row[:1] == ["step"] for row in read_csv(tmp_path / "train.csv")) == 1
    _, metadata = load_checkpoint(tmp_path / "checkpoints" / "latest.pt")
    assert (metadata["steps"], metadata["updates"]) == (1_000, 901)


def test_checkpoint_metadata_and_pruning(tmp_path):
    config = dataclasses.replace(TINY_CATCH, total_steps=500, checkpoint_every_steps=100, keep_checkpoints=2)
    trainer = catch_trainer(config, tmp_path)
    trainer.train()
    trainer.close()
    folder = tmp_path / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == [
        "best.pt",  # the weights of the best evaluation, kept apart from the pruned ones
        "latest.pt",
        "step-0000000400.pt",
        "step-0000000500.pt",
    ]

    expected = {"game_id": "catch", "observation_shape": [3], "n_actions": 3}
    state, metadata = load_checkpoint(folder / "latest.pt", expected)
    assert metadata["network"] == type(trainer.agent.network).__name__
    assert (metadata["steps"], metadata["episodes"]) == (500, trainer.episodes) and trainer.episodes > 40
    assert metadata["epsilon"] == pytest.approx(config.epsilon(500))
    assert metadata["updates"] == trainer.agent.update_count == state["model"]["update_count"]
    assert metadata["last_eval"] == trainer.last_eval
    assert TrainConfig.from_dict(metadata["config"]) == config
    _, older = load_checkpoint(folder / "step-0000000400.pt", expected)
    assert older["steps"] == 400 and older["epsilon"] == pytest.approx(config.epsilon(400))


def test_ctrl_c_saves_a_checkpoint_before_it_propagates(tmp_path):
    def interrupt(trainer: Trainer) -> None:
        if trainer.steps == 250:
            raise KeyboardInterrupt

    trainer = catch_trainer(TINY_CATCH, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(progress=interrupt)
    trainer.close()
    _, metadata = load_checkpoint(tmp_path / "checkpoints" / "latest.pt")
    assert metadata["steps"] == 250 and metadata["updates"] == trainer.agent.update_count


class Recorder(gym.Wrapper):
    """Keeps (reward, terminated, truncated, game_over) of every step."""

    def __init__(self, env: gym.Env, log: list[tuple[float, bool, bool, bool]]):
        super().__init__(env)
        self.log = log

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.log.append((float(reward), terminated, truncated, info["game_over"]))
        return obs, reward, terminated, truncated, info


def test_with_episodic_life_an_atari_return_is_reported_per_game_not_per_life(tmp_path):
    spec = find_game("ALE/Breakout-v5")
    log: list[tuple[float, bool, bool, bool]] = []
    config = TrainConfig(
        total_steps=10_000,
        learning_starts=10**9,  # acting only: no update, so this stays cheap
        epsilon_start=1.0,
        epsilon_end=1.0,
        eval_every_steps=0,
        seed=2,  # a random game of Breakout that scores 2 over 196 steps and 5 lives
        dqn=DQNConfig(replay_capacity=1_000, device="cpu", seed=2),
    )
    trainer = Trainer(spec.id, lambda: Recorder(spec.make_env("train"), log), config, tmp_path)
    ended = []
    while not ended and trainer.steps < 2_000:
        life_lost_before = sum(terminated and not over for _, terminated, _, over in log)
        ended = trainer.step()
        assert ended == [] or log[-1][3], "an episode was reported on a lost life"
    trainer.close()

    assert ended, "no game over within 2,000 random steps"
    assert life_lost_before >= 2 and log[-1][1] and log[-1][3]  # lives were lost before the game ended
    (end,) = ended
    assert end.length == len(log) == trainer.steps
    assert end.ret == sum(reward for reward, *_ in log) > 0
    assert trainer.episodes == 1 and list(trainer.recent_returns) == [end.ret]
    assert trainer.agent.update_count == 0
    rows = read_csv(tmp_path / "episodes.csv")[1:]
    assert len(rows) == 1 and float(rows[0][2]) == end.ret and int(rows[0][3]) == end.length


class CountingPool:
    """Games that pay 1 a step and end after ``lengths[i]`` steps, then start again (autoreset)."""

    def __init__(self, lengths: list[int]):
        self.lengths = np.array(lengths)
        self.num_envs = len(lengths)
        self.clock = np.zeros(self.num_envs, dtype=int)
        self.closed = False

    def reset(self) -> np.ndarray:
        self.clock[:] = 0
        return np.zeros((self.num_envs, 1), dtype=np.float32)

    def step(self, actions):
        self.clock += 1
        ended = self.clock == self.lengths
        self.clock[ended] = 0
        obs = np.zeros((self.num_envs, 1), dtype=np.float32)
        infos = [{} for _ in range(self.num_envs)]
        return obs, np.ones(self.num_envs, dtype=np.float32), ended, np.zeros_like(ended), infos, obs

    def close(self) -> None:
        self.closed = True


class FirstActionAgent:
    def act_batch(self, obs, epsilon):
        return type("Acts", (), {"actions": np.zeros(len(obs), dtype=np.int64)})()


def test_a_pool_evaluation_counts_each_game_once_and_cuts_long_ones():
    assert play_pool_episodes(FirstActionAgent(), CountingPool([3, 5, 4]), 0.0, max_steps=100) == [3, 5, 4]
    assert play_pool_episodes(FirstActionAgent(), CountingPool([3, 9]), 0.0, max_steps=6) == [3, 6]


def test_an_atari_evaluation_plays_whole_games_side_by_side(tmp_path):
    spec = find_game("ALE/Pong-v5")
    config = dataclasses.replace(
        preset("atari"),
        num_envs=2,
        eval_episodes=3,
        eval_epsilon=1.0,
        learning_starts=10**9,
        dqn=dataclasses.replace(preset("atari").dqn, replay_capacity=1_000),
    )
    pools: list[object] = []

    def make_eval_pool(episodes: int, seed: int):
        pools.append(spec.eval_pool_factory(episodes, seed))
        return pools[-1]

    trainer = Trainer(
        spec.id,
        lambda: spec.make_env("train"),
        config,
        tmp_path,
        make_pool=spec.pool_factory,
        make_eval_pool=make_eval_pool,
    )
    mean = trainer.evaluate()
    trainer.close()
    assert len(pools) == 1 and pools[0].num_envs == 3  # one game per environment
    (row,) = read_csv(tmp_path / "eval.csv")[1:]
    returns = [float(x) for x in row[2].split()]
    # A random paddle loses each whole game: 21 points against it, a few for it. A game whose end
    # was missed would run on into the next one and go below -21.
    assert len(returns) == 3 and all(-21.0 <= r <= -15.0 for r in returns)
    assert mean == pytest.approx(np.mean(returns))

    rows = iter([5, 10])  # env 0's fruit lands after 4 steps, env 1's after 9
    pool = EnvPool(lambda: CatchEnv(rows=next(rows)), num_envs=2, seed=0)
    obs = pool.reset()
    assert obs[:, 0].tolist() == [0.0, 0.0]  # both fruits at the top
    for step in range(1, 5):
        next_obs, _, terminated, truncated, _, obs = pool.step(np.zeros(2, dtype=np.int64))
        assert not truncated.any()
        assert terminated.tolist() == [step == 4, False]
    assert next_obs[0, 0] == 1.0 and obs[0, 0] == 0.0  # landed, and a new fruit on top after the reset
    np.testing.assert_array_equal(next_obs[1], obs[1])  # an unfinished episode goes on
    assert next_obs[1, 0] == pytest.approx(4 / 9)
    next_obs, *_ = pool.step(np.zeros(2, dtype=np.int64))  # env 0 plays its new episode
    assert next_obs[0, 0] == pytest.approx(1 / 4)
    pool.close()


def test_the_agent_learns_from_the_final_observation_and_the_next_episode_starts_fresh(monkeypatch):
    trainer = catch_trainer(dataclasses.replace(TINY_CATCH, num_envs=2))
    seen: list[tuple[int, Transition]] = []
    monkeypatch.setattr(trainer.agent, "observe", lambda t, stream=0: seen.append((stream, t)))
    for _ in range(10):
        trainer.step()
    for stream in (0, 1):
        mine = [t for s, t in seen if s == stream]
        assert [t.terminated for t in mine] == [False] * 8 + [True, False]
        assert mine[8].next_obs[0] == 1.0  # the fruit on the bottom row, not the next reset
        assert mine[9].obs[0] == 0.0 and mine[9].next_obs[0] == pytest.approx(1 / 9)
        for before, after in itertools.pairwise(mine[:9]):
            np.testing.assert_array_equal(before.next_obs, after.obs)
    assert trainer.episodes == 2
    trainer.close()


def test_spread_exploration_gives_each_environment_its_own_final_epsilon(monkeypatch):
    config = dataclasses.replace(
        TINY_CATCH,
        num_envs=4,
        epsilon_start=1.0,
        epsilon_end=0.01,
        epsilon_end_max=0.1,
        epsilon_decay_steps=40,
    )
    np.testing.assert_allclose(config.epsilon_ends(), [0.01, 0.01 * 10 ** (1 / 3), 0.01 * 10 ** (2 / 3), 0.1])
    np.testing.assert_allclose(config.epsilons(0), 1.0)
    np.testing.assert_allclose(config.epsilons(20), (1.0 + config.epsilon_ends()) / 2)
    assert config.epsilons(40)[0] == pytest.approx(config.epsilon(40)) == pytest.approx(0.01)

    trainer = catch_trainer(config)
    seen: list[np.ndarray] = []
    act_batch = trainer.agent.act_batch
    monkeypatch.setattr(
        trainer.agent,
        "act_batch",
        lambda obs, epsilon: seen.append(np.asarray(epsilon)) or act_batch(obs, epsilon),
    )
    for _ in range(15):  # 60 agent steps: past the decay
        trainer.step()
    np.testing.assert_allclose(seen[0], 1.0)
    np.testing.assert_allclose(seen[-1], config.epsilon_ends())
    assert trainer.epsilon == pytest.approx(0.01)  # what the screen and the progress line show: environment 0
    trainer.epsilon_override = 0.3  # the arena's slider sets every environment
    trainer.step()
    np.testing.assert_allclose(seen[-1], 0.3)
    trainer.close()


@pytest.mark.parametrize(
    ("end", "end_max"),
    [(0.05, 0.05), (0.05, 0.01), (0.05, 1.5), (0.0, 0.1)],
    ids=["equal", "below", "above 1", "zero end"],
)
def test_a_spread_must_rise_from_a_positive_epsilon_end_to_at_most_one(end, end_max):
    with pytest.raises(ValueError, match="epsilon_end"):
        TrainConfig(epsilon_end=end, epsilon_end_max=end_max)
