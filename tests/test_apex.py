"""Ape-X's plain parts, in one process: chunks, epsilons, the rate limiter, weight versions, the learner."""

from __future__ import annotations

import dataclasses
import itertools
import json

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents.apex import chunks as chunk_codec
from agents.apex.actor import Actor, Collected, Episode, actor_epsilons, apex_epsilon
from agents.apex.chunks import ChunkWriter, transitions
from agents.apex.learner import ApexLearner, InlineFleet
from agents.apex.limiter import RateLimiter
from agents.replay import ReplayMemory, Transition
from agents.train_config import TrainConfig
from game.modes.apex import game_for, make_actor, make_evaluator, make_learner
from game.presets import preset

GAMMA = 0.9


def stacked_stream(
    steps: int, seed: int = 0, stack: int = 4, side: int = 32
) -> list[tuple[Transition, np.ndarray]]:
    """(transition, the observation the next step starts from) of frame-stacked episodes that end by
    termination and by truncation, with random frames and rewards."""
    rng = np.random.default_rng(seed)

    def frame() -> np.ndarray:
        return rng.integers(0, 256, (side, side), dtype=np.uint8)

    def reset() -> np.ndarray:
        first = frame()
        return np.stack([first] * stack)

    out = []
    obs = reset()
    length = 0
    for t in range(steps):
        next_obs = np.concatenate([obs[1:], frame()[None]])
        length += 1
        terminated = length == 7 and t % 2 == 0
        truncated = length == 9
        transition = Transition(
            obs, int(rng.integers(3)), float(rng.integers(-1, 3)), next_obs, terminated, truncated
        )
        obs = reset() if terminated or truncated else next_obs
        if terminated or truncated:
            length = 0
        out.append((transition, obs))
    return out


def chunked(stream: list[tuple[Transition, np.ndarray]], size: int, stacked: bool) -> list:
    writer = ChunkWriter(0, stacked)
    out = []
    for transition, following in stream:
        ended = transition.terminated or transition.truncated
        writer.add(*transition[:6], following if ended else None)
        if len(writer) == size:
            out.append(writer.flush())
    if (last := writer.flush()) is not None:
        out.append(last)
    return out


def replay_of(items: list[Transition]) -> ReplayMemory:
    replay = ReplayMemory(
        (4, 32, 32), capacity=500, obs_dtype=np.uint8, frame_stack=True, n_step=3, gamma=GAMMA
    )
    for transition in items:
        replay.add(0, transition)
    return replay


def sampleable(replay: ReplayMemory) -> np.ndarray:
    return np.array([i for i in range(replay.main.capacity) if replay.is_sampleable(i)])


# ---------------------------------------------------------------------- chunks


@pytest.mark.parametrize("codec", ["lz4", "zlib", "none"])
def test_a_chunk_gives_back_every_transition_of_its_steps(codec):
    stream = stacked_stream(40)
    writer = ChunkWriter(3, stacked=True, codec=codec)
    for transition, following in stream:
        ended = transition.terminated or transition.truncated
        writer.add(*transition[:6], following if ended else None)
    chunk = writer.flush()
    assert chunk.stream == 3 and chunk.steps == 40 and writer.flush() is None
    assert any(chunk.terminated) and any(chunk.truncated)
    for (want, _), got in zip(stream, transitions(chunk), strict=True):
        assert np.array_equal(got.obs, want.obs) and np.array_equal(got.next_obs, want.next_obs)
        assert (got.action, got.reward, got.terminated, got.truncated) == (
            want.action,
            want.reward,
            want.terminated,
            want.truncated,
        )


def test_frames_are_sent_once_and_compressed():
    # A game's frames: mostly one colour, a few moving pixels (what LZ4 and zlib shrink many times).
    writer = ChunkWriter(0, stacked=True)
    obs = np.zeros((4, 84, 84), np.uint8)
    for t in range(100):
        frame = np.zeros((84, 84), np.uint8)
        frame[t % 80 : t % 80 + 4, 10:14] = 255
        next_obs = np.concatenate([obs[1:], frame[None]])
        writer.add(obs, 0, 0.0, next_obs, False, False)
        obs = next_obs
    chunk = writer.flush()
    raw_stacks = 100 * 2 * obs.nbytes  # what sending each transition's two stacks would cost
    assert chunk.nbytes < raw_stacks / 50


def test_vector_observations_are_sent_whole():
    writer = ChunkWriter(0, stacked=False)
    obs = np.array([0.5, -1.0], np.float32)
    writer.add(obs, 1, 1.0, obs + 1, True, False, np.zeros(2, np.float32))
    (got,) = transitions(writer.flush())
    assert np.array_equal(got.next_obs, obs + 1) and got.terminated


def test_a_writer_refuses_what_is_not_a_frame_stack_and_a_missing_reset():
    writer = ChunkWriter(0, stacked=True)
    obs = np.zeros((4, 32, 32), np.uint8)
    with pytest.raises(ValueError, match="not frame stacks"):
        writer.add(obs, 0, 0.0, np.ones_like(obs), False, False)
    with pytest.raises(ValueError, match="reset_obs"):
        writer.add(obs, 0, 0.0, obs, True, False)


@pytest.mark.parametrize("size", [1, 2, 5, 7, 40])
def test_n_step_windows_across_chunk_boundaries_are_those_of_the_unbroken_stream(size):
    stream = stacked_stream(60)
    whole = replay_of([t for t, _ in stream])
    pieces = replay_of([t for chunk in chunked(stream, size, stacked=True) for t in transitions(chunk)])
    indices = sampleable(whole)
    assert len(indices) > 40 and np.array_equal(indices, sampleable(pieces))
    a, b = whole.gather(indices), pieces.gather(indices)
    for name in ("obs", "action", "reward", "next_obs", "discount"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_a_window_over_a_chunk_boundary_sums_the_rewards_of_both_by_hand():
    obs = np.stack([np.full((32, 32), 9, np.uint8)] * 4)
    writer, sent = ChunkWriter(0, stacked=True), []
    for t, reward in enumerate([1.0, 2.0, 3.0, 4.0]):
        next_obs = np.concatenate([obs[1:], np.full((1, 32, 32), t, np.uint8)])
        writer.add(obs, 0, reward, next_obs, False, False)
        obs = next_obs
        if t == 1:  # the first window's three rewards come in two chunks
            sent.append(writer.flush())
    sent.append(writer.flush())
    replay = replay_of([t for chunk in sent for t in transitions(chunk)])
    batch = replay.gather(np.array([0]))
    assert batch.reward[0] == pytest.approx(1.0 + GAMMA * 2.0 + GAMMA**2 * 3.0)
    assert batch.discount[0] == pytest.approx(GAMMA**3)


def test_a_chunk_that_does_not_continue_its_stream_starts_a_new_segment():
    # An actor that was restarted sends a chunk from a fresh reset: the window before it is cut there,
    # bootstrapping from the last frame it had, instead of running on into the other game.
    first, second = stacked_stream(5, seed=1), stacked_stream(5, seed=2)
    items = [t for chunk in chunked(first, 5, True) + chunked(second, 5, True) for t in transitions(chunk)]
    replay = replay_of(items)
    batch = replay.gather(np.array([3]))  # transition 3 of the first stream: two rewards, then the cut
    assert batch.reward[0] == pytest.approx(first[3][0].reward + GAMMA * first[4][0].reward)
    assert batch.discount[0] == pytest.approx(GAMMA**2)


# ---------------------------------------------------------------------- exploration


def test_actor_epsilons_run_from_0_4_to_0_4_to_the_eighth():
    values = [apex_epsilon(i, 8) for i in range(8)]
    assert values[0] == pytest.approx(0.4) and values[-1] == pytest.approx(0.4**8)
    assert values[3] == pytest.approx(0.4 ** (1 + 7 * 3 / 7))
    assert all(a > b for a, b in itertools.pairwise(values))
    with pytest.raises(ValueError):
        apex_epsilon(8, 8)


def test_a_lone_actor_follows_the_presets_schedule_and_many_keep_their_own():
    config = TrainConfig(num_envs=2, epsilon_start=1.0, epsilon_end=0.1, epsilon_decay_steps=100)
    assert np.allclose(actor_epsilons(config, 0, 1, 0), [1.0, 1.0])
    assert np.allclose(actor_epsilons(config, 0, 1, 50), [0.55, 0.55])
    assert np.allclose(actor_epsilons(config, 1, 3, 50), [0.4**4.5] * 2)
    assert np.allclose(actor_epsilons(config, 1, 3, 10_000), [0.4**4.5] * 2)


# ---------------------------------------------------------------------- the rate limiter


def test_the_rate_limiter_owes_updates_by_the_ratio_after_the_first_inserts():
    limiter = RateLimiter(updates_per_insert=0.25, min_inserts=100, max_lead=64)
    limiter.record_inserts(99)
    assert limiter.updates_allowed() == 0 and limiter.inserts_allowed() == 1 + 64
    limiter.record_inserts(1 + 10)
    assert limiter.updates_allowed() == 2  # floor(10 / 4)
    limiter.record_updates(2)
    assert limiter.updates_allowed() == 0
    limiter.record_inserts(2)  # 12 since the start: 3 owed
    assert limiter.updates_allowed() == 1


def test_the_rate_limiter_holds_fast_actors_back_until_the_learner_catches_up():
    limiter = RateLimiter(updates_per_insert=0.5, min_inserts=0, max_lead=10)
    assert limiter.inserts_allowed() == 10
    limiter.record_inserts(10)  # 5 updates owed: the learner is 10 transitions behind
    assert limiter.inserts_allowed() == 0
    limiter.record_updates(3)  # 2 owed: 4 behind
    assert limiter.inserts_allowed() == 6


@pytest.mark.parametrize("actors", [1, 3, 8])
def test_the_ratio_is_the_same_whatever_the_number_of_actors(actors):
    # Each round every actor offers a batch; the learner manages 5 updates a round at most. Inserts
    # wait for the learner, and the ratio at the end is the settings' ratio.
    limiter = RateLimiter(updates_per_insert=1 / 8, min_inserts=200, max_lead=400)
    for _ in range(500):
        for _ in range(actors):
            if limiter.inserts_allowed() >= 50:
                limiter.record_inserts(50)
        limiter.record_updates(min(5, limiter.updates_allowed()))
    assert limiter.inserted > 5_000
    assert limiter.ratio == pytest.approx(1 / 8, rel=0.05)
    assert limiter.updates_allowed() <= 400 / 8  # never more behind than max_lead allows


def test_a_resumed_run_owes_no_updates_for_its_old_steps():
    limiter = RateLimiter(updates_per_insert=1.0, min_inserts=100, max_lead=10, inserted=5_000)
    assert limiter.updates_allowed() == 0 and limiter.inserts_allowed() == 10


# ---------------------------------------------------------------------- the learner and its fleet


class RecordingFleet:
    """A fleet that remembers every request and answers only when told."""

    def __init__(self, size: int, steps: int = 4):
        self.size = size
        self.requests: list[tuple[int, int, tuple | None]] = []
        self.answers: list[Collected] = []
        self.steps = steps
        self.published: list[int] = []

    def publish(self, version, weights):
        self.published.append(version)
        return f"weights-{version}"

    def submit(self, actor, steps, learner_step, weights):
        self.requests.append((actor, learner_step, weights))

    def ready(self, timeout_s):
        answers, self.answers = self.answers, []
        return answers

    def evaluate(self, token, weights, seed):
        return False

    def evaluations(self):
        return []

    def close(self):
        pass


def catch_learner(fleet, **settings) -> ApexLearner:
    spec = game_for("catch", preset("catch"))
    config = dataclasses.replace(preset("catch"), actors=fleet.size, **settings)
    return make_learner(spec, config, fleet, None)


def lost(actor: int) -> Collected:
    return Collected(actor, [], [], 0, 0.0, 0.0, error="ActorDiedError")


def test_each_actor_gets_a_version_once_and_again_after_it_died():
    fleet = RecordingFleet(2)
    learner = catch_learner(fleet)
    learner.step()
    sent = {(actor, weights) for actor, _, weights in fleet.requests}
    assert sent == {(0, (1, "weights-1")), (1, (1, "weights-1")), (0, None), (1, None)}
    assert len(fleet.requests) == 4  # two in flight an actor, no more
    fleet.requests.clear()
    learner.step()
    assert fleet.requests == []  # nothing came back: nothing more is asked
    fleet.answers = [lost(1)]
    learner.step()
    assert learner.lost_requests == 1 and learner.actor_stats[1].lost == 1
    learner._resting_until[1] = 0.0  # its rest is over
    learner.step()
    assert fleet.requests == [(1, 0, (1, "weights-1"))]  # the restarted actor needs the weights again
    learner.publish()
    assert fleet.published == [1, 2]
    learner.close()


def make_collected(actor: int, stream: int, steps: int) -> Collected:
    writer = ChunkWriter(stream, stacked=False)
    obs = np.array([0.0, 0.0, 0.0], np.float32)
    for t in range(steps):
        writer.add(obs, 0, 1.0, obs + t + 1, False, False)
        obs = obs + t + 1
    episode = Episode(stream, 3.0, 5, 0.4)
    return Collected(actor, [writer.flush()], [episode], 1, 0.4, 0.1)


def test_the_learner_takes_results_into_its_replay_and_learns_by_the_ratio():
    fleet = RecordingFleet(2)
    learner = catch_learner(fleet, learning_starts=64, train_every=4)
    learner.step()
    fleet.answers = [make_collected(0, 0, 128), make_collected(1, 1, 128)]
    for _ in range(4):  # at most MAX_UPDATES_PER_STEP updates a step
        learner.step()
    assert learner.steps == 256 and learner.episodes == 2 and len(learner.agent.replay) > 200
    assert learner.agent.update_count == (256 - 64) // 4
    assert list(learner.recent_returns) == [3.0, 3.0]
    learner.close()


def test_an_actor_plays_its_steps_with_the_weights_it_was_sent():
    config = dataclasses.replace(preset("catch"), actors=2)
    actor = make_actor("catch", config, 1, 2)
    learner_net = make_actor("catch", config, 0, 2).policy.network
    actor.load_weights(7, learner_net.state_dict())
    result = actor.collect(50, learner_step=0)
    assert result.version == 7 and result.transitions == 50
    assert result.epsilon == pytest.approx(0.4**8)
    assert [chunk.stream for chunk in result.chunks] == [1]  # actor 1's one environment
    assert all(episode.ret in (-1.0, 1.0) for episode in result.episodes)
    actor.close()


def test_a_learner_on_an_inline_fleet_keeps_every_actor_busy_and_the_ratio():
    config = dataclasses.replace(preset("catch"), actors=3, total_steps=1_500, eval_every_steps=0)
    fleet = InlineFleet([make_actor("catch", config, i, 3) for i in range(3)])
    learner = make_learner(game_for("catch", config), config, fleet, None)
    learner.train()
    shares = [stats.transitions for stats in learner.actor_stats]
    assert min(shares) >= 0.25 * sum(shares)
    owed = (learner.steps - config.learning_starts) / config.train_every
    assert owed - learner.limiter.max_lead <= learner.agent.update_count <= owed
    learner.close()


@pytest.mark.slow
def test_two_inline_actors_learn_catch_to_the_presets_score(tmp_path):
    config = dataclasses.replace(preset("catch"), actors=2)
    fleet = InlineFleet([make_actor("catch", config, i, 2) for i in range(2)])
    learner = make_learner(game_for("catch", config), config, fleet, tmp_path / "run")
    learner.train()
    learner.close()
    assert learner.best_eval is not None and learner.best_eval >= 0.8  # as a local run must (test_trainer)
    assert (tmp_path / "run" / "checkpoints" / "latest.pt").exists()
    assert (tmp_path / "run" / "eval.csv").read_text().count("\n") >= 5


def test_a_chunk_codec_that_is_unknown_is_refused():
    with pytest.raises(ValueError):
        chunk_codec.compress(np.zeros(3), "brotli")


def test_the_learner_only_knows_the_spaces_of_its_game():
    fleet = RecordingFleet(1)
    learner = catch_learner(fleet)
    assert isinstance(learner.pool.observation_space, gym.spaces.Box)
    with pytest.raises(RuntimeError):
        learner.pool.reset()
    learner.close()


def test_the_actors_setting_cannot_be_negative():
    with pytest.raises(ValueError, match="actors"):
        TrainConfig(actors=-1)


def test_make_actor_seeds_each_actor_apart():
    config = preset("catch")
    actors = [make_actor("catch", config, i, 2) for i in range(2)]
    assert isinstance(actors[0], Actor)
    first = [actor.pool.reset()[0] for actor in actors]
    assert not np.array_equal(first[0], first[1]) or actors[0].pool.seed != actors[1].pool.seed
    for actor in actors:
        actor.close()


def test_evaluations_on_the_fleets_evaluator_are_logged_at_the_step_of_their_weights(tmp_path):
    config = dataclasses.replace(preset("catch"), actors=2, total_steps=2_000, eval_every_steps=500)
    fleet = InlineFleet(
        [make_actor("catch", config, i, 2) for i in range(2)], make_evaluator("catch", config)
    )
    learner = make_learner(game_for("catch", config), config, fleet, tmp_path / "run")
    learner.train()
    learner.close()
    rows = (tmp_path / "run" / "eval.csv").read_text().splitlines()[1:]
    steps = [int(row.split(",")[0]) for row in rows]
    assert len(steps) >= 4 and all(0 < b - a <= 1_000 for a, b in itertools.pairwise(steps))
    assert all(len(row.split(",")[2].split()) == config.eval_episodes for row in rows)
    best = torch.load(tmp_path / "run" / "checkpoints" / "best.pt", weights_only=True)
    assert json.loads(best["metadata"])["steps"] in steps  # the weights that scored best, with their own step


def test_a_running_job_tells_watchers_its_state_and_newest_weights(tmp_path):
    config = dataclasses.replace(preset("catch"), actors=2, total_steps=600, eval_every_steps=0)
    fleet = InlineFleet([make_actor("catch", config, i, 2) for i in range(2)])
    learner = make_learner(game_for("catch", config), config, fleet, tmp_path / "run")
    learner.train()
    learner.close()
    state = json.loads((tmp_path / "run" / "fleet.json").read_text())
    assert state["running"] is False and state["steps"] == learner.steps
    assert [actor["index"] for actor in state["actors"]] == [0, 1]
    assert state["actors"][1]["epsilon"] == pytest.approx(0.4**8)
    assert sum(actor["transitions"] for actor in state["actors"]) == learner.steps
    assert state["replay_ratio"] == pytest.approx(learner.limiter.ratio * config.dqn.batch_size)
    live = torch.load(tmp_path / "run" / "checkpoints" / "live.pt", weights_only=True)
    assert json.loads(live["metadata"])["steps"] == learner.steps
