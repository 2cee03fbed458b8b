"""Replay memory: stacks rebuilt from single frames, n-step targets, demos, priorities, save/load."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import FrameStackObservation

from agents.replay import ReplayMemory, Transition, observation_layout

STACK = 4
GAMMA = 0.5


class CountingFrames(gym.Env):
    """Emits 2x3 uint8 frames that name (stream, episode, t); episodes of random length end by
    termination or truncation at random. Reward = 1 + t + 100 * stream."""

    def __init__(self, stream: int) -> None:
        self.stream = stream
        self.observation_space = gym.spaces.Box(0, 255, (2, 3), np.uint8)
        self.action_space = gym.spaces.Discrete(3)
        self.episode = -1

    def _frame(self) -> np.ndarray:
        return np.array([[self.stream, self.episode % 256, self.t], [self.episode // 256, 7, 9]], np.uint8)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.episode += 1
        self.t = 0
        self.length = int(self.np_random.integers(1, 10))
        return self._frame(), {}

    def step(self, action):
        self.t += 1
        end = self.t >= self.length
        terminated = end and bool(self.np_random.random() < 0.5)
        reward = float(1 + self.t + 100 * self.stream)
        return self._frame(), reward, terminated, end and not terminated, {}


def key(obs: np.ndarray) -> tuple[int, int, int]:
    """(stream, episode, t) of the newest frame of a stack."""
    frame = obs[-1]
    return int(frame[0, 0]), int(frame[0, 1]) + 256 * int(frame[1, 0]), int(frame[0, 2])


class Recorder:
    """Drives several frame-stacked envs, feeds the replay, and remembers every transition."""

    def __init__(self, replay: ReplayMemory, n_streams: int, seed: int = 0) -> None:
        self.replay = replay
        self.envs = [FrameStackObservation(CountingFrames(i), STACK) for i in range(n_streams)]
        self.obs = [env.reset(seed=seed + i)[0] for i, env in enumerate(self.envs)]
        self.sequences: list[list[Transition]] = [[] for _ in range(n_streams)]
        self.where: dict[tuple[int, int, int], tuple[int, int]] = {}
        self.rng = np.random.default_rng(seed)

    def step(self, stream: int, demo: bool = False) -> None:
        env = self.envs[stream]
        action = int(self.rng.integers(3))
        next_obs, reward, terminated, truncated, _ = env.step(action)
        transition = Transition(self.obs[stream], action, reward, next_obs, terminated, truncated, demo)
        self.replay.add(stream, transition)
        self.where[key(self.obs[stream])] = (stream, len(self.sequences[stream]))
        self.sequences[stream].append(transition)
        self.obs[stream] = env.reset()[0] if terminated or truncated else next_obs

    def expected(self, stream: int, position: int, steps: int) -> tuple[float, float, np.ndarray]:
        """n-step return, discount and next_obs after ``steps`` steps, from the recorded sequence."""
        sequence = self.sequences[stream]
        ret = sum(GAMMA**j * sequence[position + j].reward for j in range(steps))
        last = sequence[position + steps - 1]
        discount = 0.0 if last.terminated else GAMMA**steps
        return ret, discount, last.next_obs

    def full_steps(self, stream: int, position: int, n_step: int, cut_on_demo_change: bool = False) -> int:
        sequence = self.sequences[stream]
        for j in range(n_step):
            t = sequence[position + j]
            if t.terminated or t.truncated or j == n_step - 1:
                return j + 1
            if cut_on_demo_change and sequence[position + j + 1].demo != t.demo:
                return j + 1
        raise AssertionError("unreachable")


def all_ready(replay: ReplayMemory) -> np.ndarray:
    indices = [np.flatnonzero(replay.main.tree.leaves)]
    if replay.demos is not None:
        indices.append(replay.main.capacity + np.flatnonzero(replay.demos.tree.leaves))
    return np.concatenate(indices)


def check_exact(
    replay: ReplayMemory, recorder: Recorder, *, exact_window: bool = True, cut_demo=False
) -> int:
    """Every sampleable transition equals what the environment produced; returns how many there are."""
    indices = all_ready(replay)
    assert len(replay) == len(indices)  # the running count agrees with the tree
    batch = replay.gather(indices)
    for i in range(len(indices)):
        stream, position = recorder.where[key(batch.obs[i])]
        original = recorder.sequences[stream][position]
        np.testing.assert_array_equal(batch.obs[i], original.obs)
        assert batch.action[i] == original.action
        assert batch.demo[i] == original.demo
        steps = int(batch.steps[i])
        full = recorder.full_steps(stream, position, replay.n_step, cut_demo)
        assert steps == full if exact_window else 1 <= steps <= full
        ret, discount, next_obs = recorder.expected(stream, position, steps)
        assert batch.reward[i] == pytest.approx(ret, rel=1e-6)
        assert batch.discount[i] == pytest.approx(discount)
        np.testing.assert_array_equal(batch.next_obs[i], next_obs)
    return len(indices)


def frame_replay(capacity: int, n_streams: int, n_step: int = 3, **kwargs) -> ReplayMemory:
    return ReplayMemory(
        (STACK, 2, 3),
        capacity=capacity,
        n_streams=n_streams,
        obs_dtype=np.uint8,
        frame_stack=True,
        n_step=n_step,
        gamma=GAMMA,
        **kwargs,
    )


def test_stacks_and_windows_match_the_env_across_wraparound_and_episodes():
    replay = frame_replay(capacity=64, n_streams=3)
    recorder = Recorder(replay, n_streams=3)
    rng = np.random.default_rng(1)
    checked = 0
    for step in range(900):
        recorder.step(int(rng.integers(3)))  # streams interleave irregularly
        if step % 60 == 59:
            count = check_exact(replay, recorder)
            assert count >= 30  # most of the 63 live slots hold sampleable transitions
            checked += count
    assert replay.main.size == replay.main.capacity  # the ring wrapped many times
    assert checked > 400


def test_stream_that_pauses_while_others_overwrite_its_frames_resumes_exactly():
    replay = frame_replay(capacity=40, n_streams=2)
    recorder = Recorder(replay, n_streams=2, seed=5)
    for _ in range(300):
        recorder.step(0)
        if recorder.rng.random() < 0.05:  # stream 1 is slow, so its frames age out mid-episode
            recorder.step(1)
        check_exact(replay, recorder, exact_window=False)
    assert len(replay) > 15


def stack_of(*planes: int) -> np.ndarray:
    return np.stack([np.full((2, 3), p, np.uint8) for p in planes])


def test_episode_start_stores_one_frame_and_rebuilds_the_repeated_reset_stack():
    replay = frame_replay(capacity=32, n_streams=1, n_step=1)
    reset_obs, obs1, obs2 = stack_of(5, 5, 5, 5), stack_of(5, 5, 5, 6), stack_of(5, 5, 6, 7)
    replay.add(0, Transition(reset_obs, 0, 0.0, obs1, False, False))
    assert replay.main.size == 1  # no history slots for a reset stack
    replay.add(0, Transition(obs1, 1, 0.0, obs2, False, False))
    batch = replay.gather(np.array([0]))
    np.testing.assert_array_equal(batch.obs[0], reset_obs)
    np.testing.assert_array_equal(batch.next_obs[0], obs1)


def test_mid_episode_start_stores_only_the_planes_it_needs():
    replay = frame_replay(capacity=32, n_streams=1, n_step=1)
    obs, next_obs = stack_of(1, 1, 2, 3), stack_of(1, 2, 3, 4)
    replay.add(0, Transition(obs, 0, 0.0, next_obs, False, True))
    assert replay.main.size == 4  # history 1, 2; the transition's 3; the boundary's 4
    batch = replay.gather(np.array([2]))
    np.testing.assert_array_equal(batch.obs[0], obs)
    np.testing.assert_array_equal(batch.next_obs[0], next_obs)


def test_atari_transition_costs_at_most_7200_bytes():
    replay = ReplayMemory(
        (4, 84, 84), capacity=10_000, obs_dtype=np.uint8, frame_stack=True, prioritized=True
    )
    per_transition = replay.bytes_per_transition()
    assert 84 * 84 <= per_transition <= 7200


def test_observation_layout_takes_atari_stacks_as_frames_and_vectors_as_float32():
    atari = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    assert observation_layout(atari) == ((4, 84, 84), np.dtype(np.uint8), True)
    grid = gym.spaces.Box(0.0, 1.0, (3, 10, 10), np.float32)
    assert observation_layout(grid) == ((3, 10, 10), np.dtype(np.float32), False)
    assert observation_layout(gym.spaces.Discrete(16)) == ((), np.dtype(np.int64), False)


def test_non_stacked_observations_are_refused_in_frame_mode_with_a_clear_message():
    replay = frame_replay(capacity=32, n_streams=1)
    obs = np.zeros((STACK, 2, 3), np.uint8)
    with pytest.raises(ValueError, match="not frame stacks"):
        replay.add(0, Transition(obs, 0, 0.0, obs + 1, False, False))


def vector_replay(n_step: int, **kwargs) -> ReplayMemory:
    return ReplayMemory((1,), capacity=32, n_step=n_step, gamma=GAMMA, **kwargs)


def add_episode(replay: ReplayMemory, rewards: list[float], *, terminated: bool, stream: int = 0, start=0.0):
    for t, reward in enumerate(rewards):
        last = t == len(rewards) - 1
        obs, next_obs = np.array([start + t], np.float32), np.array([start + t + 1], np.float32)
        replay.add(stream, Transition(obs, t, reward, next_obs, last and terminated, last and not terminated))


def test_one_step_targets_by_hand():
    replay = vector_replay(n_step=1)
    add_episode(replay, [1.0, 2.0, 3.0], terminated=True)
    batch = replay.gather(np.array([0, 1, 2]))
    np.testing.assert_allclose(batch.reward, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(batch.discount, [0.5, 0.5, 0.0])  # no bootstrap after termination
    np.testing.assert_allclose(batch.next_obs[:, 0], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(batch.action, [0, 1, 2])


def test_three_step_targets_by_hand_with_a_terminal_end():
    replay = vector_replay(n_step=3)
    add_episode(replay, [1.0, 2.0, 3.0, 4.0], terminated=True)  # slots 0-3, boundary 4
    batch = replay.gather(np.array([0, 1, 2, 3]))
    np.testing.assert_allclose(batch.reward, [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3 + 0.25 * 4, 3 + 0.5 * 4, 4])
    np.testing.assert_allclose(batch.discount, [0.125, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(batch.next_obs[:, 0], [3.0, 4.0, 4.0, 4.0])
    np.testing.assert_array_equal(batch.steps, [3, 3, 2, 1])


def test_three_step_targets_by_hand_with_a_truncated_end_bootstrap():
    replay = vector_replay(n_step=3)
    add_episode(replay, [1.0, 2.0, 3.0, 4.0], terminated=False)
    batch = replay.gather(np.array([0, 1, 2, 3]))
    np.testing.assert_allclose(batch.reward, [2.75, 4.5, 5.0, 4.0])
    np.testing.assert_allclose(batch.discount, [0.125, 0.125, 0.25, 0.5])  # truncation bootstraps
    np.testing.assert_allclose(batch.next_obs[:, 0], [3.0, 4.0, 4.0, 4.0])


def test_open_windows_are_not_sampled_until_complete():
    replay = vector_replay(n_step=3)
    obs = [np.array([float(t)], np.float32) for t in range(6)]
    for t in range(4):
        replay.add(0, Transition(obs[t], 0, 1.0, obs[t + 1], False, False))
    assert len(replay) == 1  # only transition 0 has 3 later frames (1, 2, 3) ... and 4 pending
    replay.add(0, Transition(obs[4], 0, 1.0, obs[5], False, True))
    assert len(replay) == 5


def test_two_interleaved_vector_streams_keep_their_own_windows():
    replay = ReplayMemory((1,), capacity=64, n_streams=2, n_step=2, gamma=GAMMA)
    for t in range(3):
        for stream in (0, 1):
            base = 100.0 * stream
            obs, next_obs = np.array([base + t], np.float32), np.array([base + t + 1], np.float32)
            replay.add(stream, Transition(obs, stream, base + t, next_obs, False, t == 2))
    batch = replay.gather(all_ready(replay))
    by_obs = {
        float(o[0]): (float(r), float(d), float(n[0]))
        for o, r, d, n in zip(batch.obs, batch.reward, batch.discount, batch.next_obs, strict=True)
    }
    assert by_obs[0.0] == (0.0 + 0.5 * 1.0, 0.25, 2.0)
    assert by_obs[100.0] == (100.0 + 0.5 * 101.0, 0.25, 102.0)
    assert by_obs[102.0] == (102.0, 0.5, 103.0)


def test_add_batch_equals_one_add_per_stream():
    one, batched = (ReplayMemory((2,), capacity=32, n_streams=3, n_step=2, gamma=GAMMA) for _ in range(2))
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(3, 2)).astype(np.float32)
    for t in range(6):
        next_obs = rng.normal(size=(3, 2)).astype(np.float32)
        actions, rewards = np.array([0, 1, 2]), np.array([t, -t, 2.0 * t])
        terminated, truncated = np.array([t == 3, False, False]), np.array([False, t == 4, False])
        batched.add_batch(obs, actions, rewards, next_obs, terminated, truncated)
        for i in range(3):
            one.add(
                i,
                Transition(
                    obs[i], int(actions[i]), float(rewards[i]), next_obs[i], terminated[i], truncated[i]
                ),
            )
        obs = next_obs
    for a, b in zip(one.gather(all_ready(one)), batched.gather(all_ready(batched)), strict=True):
        np.testing.assert_array_equal(a, b)


def test_demonstrations_survive_the_ring_and_are_sampled_at_the_chosen_share():
    replay = ReplayMemory((1,), capacity=40, n_streams=2, demo_capacity=30, demo_fraction=0.3, seed=3)
    for t in range(20):  # a person plays stream 1 for one episode
        obs, next_obs = np.array([1000.0 + t], np.float32), np.array([1001.0 + t], np.float32)
        replay.add(1, Transition(obs, 1, 1.0, next_obs, False, t == 19, demo=True))
    for t in range(500):  # then the agent overwrites its ring many times
        obs, next_obs = np.array([float(t)], np.float32), np.array([t + 1.0], np.float32)
        replay.add(0, Transition(obs, 0, 0.0, next_obs, False, False))
    assert replay.num_demos == 20
    shares = []
    for _ in range(300):
        batch = replay.sample(32)
        assert np.all((batch.obs[:, 0] >= 1000.0) == batch.demo)
        shares.append(batch.demo.mean())
    assert np.mean(shares) == pytest.approx(0.3, abs=0.01)  # 9.6 of 32 on average


def test_taking_over_mid_episode_keeps_stacks_exact_in_both_stores():
    replay = frame_replay(capacity=48, n_streams=2, demo_capacity=48, demo_fraction=0.5)
    recorder = Recorder(replay, n_streams=2, seed=2)
    rng = np.random.default_rng(4)
    demo = False
    for _ in range(400):
        if rng.random() < 0.15:
            demo = not demo  # a person grabs or hands back the controls of stream 1
        recorder.step(0)
        recorder.step(1, demo=demo)
        check_exact(replay, recorder, cut_demo=True)
    assert replay.num_demos > 10


def test_priorities_set_sampling_proportions_and_importance_weights():
    replay = ReplayMemory(
        (1,), capacity=16, prioritized=True, priority_alpha=1.0, priority_epsilon=0.0, seed=0
    )
    for t in range(4):
        obs, next_obs = np.array([float(t)], np.float32), np.array([t + 1.0], np.float32)
        replay.add(0, Transition(obs, 0, 0.0, next_obs, False, t == 3))
    replay.update_priorities(np.arange(4), np.array([1.0, 2.0, 3.0, -4.0]))  # |td| counts
    counts = np.zeros(4)
    for _ in range(500):
        batch = replay.sample(8, beta=1.0)
        counts += np.bincount(batch.index, minlength=4)
        # w_i = (N P_i)^-beta / max w = (p_min / p_i) in this batch; here beta = 1 gives 1 / p_i scaled
        expected = (1.0 / (batch.index + 1.0)) / (1.0 / (batch.index.min() + 1.0))
        np.testing.assert_allclose(batch.weight, expected, rtol=1e-6)
    np.testing.assert_allclose(counts / counts.sum(), [0.1, 0.2, 0.3, 0.4], atol=0.015)


class Both:
    """Feeds the same transitions to two memories."""

    def __init__(self, *memories: ReplayMemory) -> None:
        self.memories = memories

    def add(self, stream: int, transition: Transition) -> None:
        for memory in self.memories:
            memory.add(stream, transition)


def test_save_and_load_round_trip(tmp_path):
    def build() -> ReplayMemory:
        return frame_replay(capacity=40, n_streams=2, demo_capacity=20, demo_fraction=0.3, prioritized=True)

    replay = build()
    recorder = Recorder(replay, n_streams=2, seed=7)
    for t in range(70):
        recorder.step(t % 2, demo=t % 7 == 0)
    batch = replay.sample(16)
    replay.update_priorities(batch.index, np.linspace(0.0, 3.0, 16))
    path = tmp_path / "replay.npz"
    replay.save(path)
    assert path.exists() and not list(tmp_path.glob(".*tmp"))

    restored = build()
    restored.load(path)
    for a, b in zip(replay.sample(16), restored.sample(16), strict=True):  # same generator and priorities
        np.testing.assert_array_equal(a, b)
    recorder.replay = Both(replay, restored)
    for t in range(30):  # both go on identically, from the open segments they saved
        recorder.step(t % 2, demo=t % 5 == 0)
    np.testing.assert_array_equal(all_ready(replay), all_ready(restored))
    for a, b in zip(replay.gather(all_ready(replay)), restored.gather(all_ready(restored)), strict=True):
        np.testing.assert_array_equal(a, b)
    check_exact(restored, recorder, cut_demo=True)


def test_loading_into_a_differently_built_memory_fails_clearly(tmp_path):
    replay = vector_replay(n_step=1)
    add_episode(replay, [1.0], terminated=True)
    replay.save(tmp_path / "r.npz")
    with pytest.raises(ValueError, match="differ"):
        vector_replay(n_step=3).load(tmp_path / "r.npz")
