"""Replay memory fed by N parallel environments: single-frame storage, n-step returns, optional
proportional priorities, and a separate store for demonstrations.

The slot layout lives in ``agents.replay_store``; this module routes transitions to the main or
the demonstration store, samples batches with a chosen demonstration share, turns TD errors into
priorities, and saves and loads everything as one ``.npz`` file.

Indices returned by ``sample`` are global: main-store slots are 0..capacity-1 and demonstration
slots follow at capacity + slot.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

import gymnasium as gym
import numpy as np

from agents.replay_store import DEMO, ReplayStore

FORMAT_VERSION = 1  # of the .npz written by ReplayMemory.save
MAX_STACK = 16  # most frames in an observation taken for a frame stack
MIN_FRAME_SIDE_PX = 32  # smallest frame side taken for a screen image in a frame stack


class Transition(NamedTuple):
    """One environment step, as the agent observes it."""

    obs: np.ndarray
    action: int
    reward: float
    next_obs: np.ndarray
    terminated: bool
    """the episode ended in a terminal state: do not bootstrap"""
    truncated: bool
    """the episode was cut (time limit): bootstrap from next_obs"""
    demo: bool = False
    """a person chose the action"""


class Batch(NamedTuple):
    """Sampled transitions with n-step returns; arrays with a leading batch axis."""

    obs: np.ndarray
    action: np.ndarray
    """(B,) int64"""
    reward: np.ndarray
    """(B,) float32: sum_{j<k} gamma^j r_{t+j} over the k steps summed"""
    next_obs: np.ndarray
    """observation after the k steps"""
    discount: np.ndarray
    """(B,) float32: gamma^k, or 0 when the episode terminated within the k steps"""
    weight: np.ndarray
    """(B,) float32 importance-sampling weights (all 1 without priorities)"""
    index: np.ndarray
    """(B,) int64 global indices for update_priorities"""
    demo: np.ndarray
    """(B,) bool: the transition came from a person"""
    steps: np.ndarray
    """(B,) int64: k, the rewards summed (n, or fewer at an episode end)"""
    rewards: np.ndarray
    """(B, n) float32: the rewards r_{t+j} summed into ``reward`` (0 beyond k)"""
    truncated: np.ndarray
    """(B,) bool: the window's last step was cut by a time limit (it still bootstraps)"""


def observation_layout(obs_space: gym.Space) -> tuple[tuple[int, ...], np.dtype, bool]:
    """How to store an observation space: (obs_shape, dtype, frame_stack).

    uint8 (k, H, W) boxes of screen-sized frames (k <= 16, H and W >= 32) are taken as frame stacks:
    one frame is stored per step, and ``add`` says so when the stacking does not hold. Other boxes
    are stored whole (float32 unless uint8); Discrete spaces as int64 scalars.
    """
    if isinstance(obs_space, gym.spaces.Discrete):
        return (), np.dtype(np.int64), False
    if not isinstance(obs_space, gym.spaces.Box):
        raise ValueError(f"replay memory stores Box or Discrete observations, not {obs_space}")
    shape = tuple(int(s) for s in obs_space.shape)
    if obs_space.dtype == np.uint8:
        stacked = len(shape) == 3 and 1 < shape[0] <= MAX_STACK and min(shape[1:]) >= MIN_FRAME_SIDE_PX
        return shape, np.dtype(np.uint8), stacked
    return shape, np.dtype(np.float32), False


def replay_nbytes(obs_space: gym.Space, capacity: int, demo_capacity: int = 0) -> int:
    """The bytes a replay memory of ``capacity`` (and ``demo_capacity``) slots for ``obs_space``
    allocates, as ``make_agent`` lays it out, computed without allocating anything."""
    obs_shape, obs_dtype, stacked = observation_layout(obs_space)
    return sum(
        ReplayStore.nbytes(slots, obs_shape, obs_dtype, stacked)
        for slots in (capacity, demo_capacity)
        if slots
    )


class ReplayMemory:
    """Transitions from ``n_streams`` environments, sampled uniformly or by priority.

    Args:
        obs_shape: shape of one observation.
        capacity: slots in the main store (about one per transition; episodes add one each).
        n_streams: parallel environments; stream i's transitions must arrive in order.
        obs_dtype: storage dtype (uint8 for frames, float32 for vectors, int64 for Discrete).
        frame_stack: observations are (k, H, W) stacks, newest frame last: store single frames.
        n_step: rewards summed per target (1 = the textbook one-step target).
        gamma: discount per step.
        demo_capacity: slots kept for demonstrations, apart from the ring (0: demos share the ring).
        demo_fraction: share of each batch drawn from the demonstration store when it has any.
        prioritized: sample in proportion to (|TD error| + priority_epsilon) ** priority_alpha.
        priority_alpha: how strongly priorities skew sampling (0 = uniform).
        priority_epsilon: keeps every priority above zero.
        seed: seed of the sampling generator.
    """

    def __init__(
        self,
        obs_shape: tuple[int, ...],
        *,
        capacity: int,
        n_streams: int = 1,
        obs_dtype: np.dtype | type = np.float32,
        frame_stack: bool = False,
        n_step: int = 1,
        gamma: float = 0.99,
        demo_capacity: int = 0,
        demo_fraction: float = 0.0,
        prioritized: bool = False,
        priority_alpha: float = 0.6,
        priority_epsilon: float = 1e-6,
        seed: int = 0,
    ) -> None:
        if n_step < 1:
            raise ValueError(f"n_step must be >= 1, got {n_step}")
        if not 0.0 <= demo_fraction <= 1.0:
            raise ValueError(f"demo_fraction must be in [0, 1], got {demo_fraction}")
        self.settings = dict(
            obs_shape=list(obs_shape),
            capacity=capacity,
            n_streams=n_streams,
            obs_dtype=np.dtype(obs_dtype).str,
            frame_stack=frame_stack,
            n_step=n_step,
            gamma=gamma,
            demo_capacity=demo_capacity,
            prioritized=prioritized,
            priority_alpha=priority_alpha,
        )
        self.n_streams = n_streams
        self.n_step = n_step
        self.gamma = gamma
        self.demo_fraction = demo_fraction
        self.prioritized = prioritized
        self.priority_alpha = priority_alpha if prioritized else 0.0
        self.priority_epsilon = priority_epsilon
        self.rng = np.random.default_rng(seed)

        def store(slots: int) -> ReplayStore:
            return ReplayStore(
                slots, tuple(obs_shape), np.dtype(obs_dtype), frame_stack, n_streams, n_step, gamma
            )

        self.main = store(capacity)
        self.demos = store(demo_capacity) if demo_capacity > 0 else None

    # ---------------------------------------------------------------- adding

    def add(self, stream: int, transition: Transition) -> int:
        """Store one transition of ``stream`` (0 <= stream < n_streams); returns its global index."""
        if not 0 <= stream < self.n_streams:
            raise IndexError(f"stream {stream} out of range for {self.n_streams} streams")
        store = self.demos if transition.demo and self.demos is not None else self.main
        other = self.main if store is self.demos else self.demos
        if other is not None:
            other.end_segment(stream)  # the stream continues in the other store
        slot = store.add(stream, *transition)
        return slot if store is self.main else self.main.capacity + slot

    def add_batch(
        self,
        obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
        demo: np.ndarray | None = None,
    ) -> None:
        """Store one transition per stream: row i of every array belongs to stream i."""
        if len(obs) != self.n_streams:
            raise ValueError(f"add_batch expects {self.n_streams} rows (one per stream), got {len(obs)}")
        demo = np.zeros(self.n_streams, dtype=bool) if demo is None else demo
        for i in range(self.n_streams):
            row = Transition(obs[i], action[i], reward[i], next_obs[i], terminated[i], truncated[i], demo[i])
            self.add(i, row)

    # ---------------------------------------------------------------- sampling

    def __len__(self) -> int:
        """Transitions ready to sample (their n-step window is complete)."""
        return sum(store.num_sampleable for store in self._stores())

    @property
    def num_demos(self) -> int:
        """Demonstration transitions ready to sample in the demonstration store."""
        return 0 if self.demos is None else self.demos.num_sampleable

    def sample(self, batch_size: int, beta: float = 1.0, include: np.ndarray | None = None) -> Batch:
        """Draw a batch; ``beta`` is the importance-sampling exponent (1 = full correction).

        ``include``: global indices of sampleable transitions that take the batch's first rows (the
        rest is drawn as usual), weighted by their own sampling probability like every row.
        """
        include = np.zeros(0, dtype=np.int64) if include is None else np.asarray(include, dtype=np.int64)
        if not all(self.is_sampleable(int(i)) for i in include):
            raise ValueError("only transitions ready to sample can be included in a batch")
        drawn = batch_size - len(include)
        n_demo = self._demo_count(drawn)
        parts = [(self.main, drawn - n_demo, 0)]
        if self.demos is not None:
            parts.append((self.demos, n_demo, self.main.capacity))
        indices = [include]
        for store, count, offset in parts:
            if count == 0:
                continue
            if store.num_sampleable == 0:
                raise ValueError("the replay memory has no complete transitions to sample yet")
            indices.append(store.tree.sample(count, self.rng) + offset)
        index = np.concatenate(indices)
        return self.gather(index, self._importance_weights(index, beta))

    def _importance_weights(self, indices: np.ndarray, beta: float) -> np.ndarray:
        """(N * P(i)) ** -beta for each index, over its own store, divided by the batch's largest."""
        weight = np.empty(len(indices), dtype=np.float64)
        for store, offset, rows in self._split(indices):
            probabilities = store.tree.get(indices[rows] - offset) / store.tree.total
            weight[rows] = (store.num_sampleable * probabilities) ** -beta
        return weight / weight.max()

    def is_sampleable(self, index: int) -> bool:
        """Whether the transition at global ``index`` can be drawn now (its window is complete and held)."""
        store, slot = self._locate(index)
        return store is not None and bool(store.tree.get(np.array([slot]))[0] > 0.0)

    def ages(self, indices: np.ndarray) -> np.ndarray:
        """Where each global index stands in its store: 0 = the newest transition, 1 = the oldest held."""
        indices = np.asarray(indices, dtype=np.int64)
        ages = np.zeros(len(indices), dtype=np.float64)
        for store, offset, rows in self._split(indices):
            ages[rows] = store.ages(indices[rows] - offset)
        return ages

    def nbytes_held(self) -> int:
        """Bytes of the slots written so far (main ring and demonstrations)."""
        return int(sum(store.size * store.nbytes_per_slot() for store in self._stores()))

    def _locate(self, index: int) -> tuple[ReplayStore | None, int]:
        if 0 <= index < self.main.capacity:
            return self.main, index
        if self.demos is not None and 0 <= index - self.main.capacity < self.demos.capacity:
            return self.demos, index - self.main.capacity
        return None, index

    def _demo_count(self, batch_size: int) -> int:
        if self.demos is None or self.demos.num_sampleable == 0:
            return 0
        if self.main.num_sampleable == 0:
            return batch_size
        expected = batch_size * self.demo_fraction
        return int(expected) + int(self.rng.random() < expected - int(expected))  # right on average

    def gather(self, indices: np.ndarray, weight: np.ndarray | None = None) -> Batch:
        """The transitions at global ``indices`` with their n-step returns (no sampling)."""
        indices = np.asarray(indices, dtype=np.int64)
        n = len(indices)
        obs_shape, obs_dtype = self.main.obs_shape, self.main.obs_dtype
        batch = Batch(
            obs=np.empty((n, *obs_shape), dtype=obs_dtype),
            action=np.empty(n, dtype=np.int64),
            reward=np.empty(n, dtype=np.float32),
            next_obs=np.empty((n, *obs_shape), dtype=obs_dtype),
            discount=np.empty(n, dtype=np.float32),
            weight=np.ones(n, dtype=np.float32) if weight is None else np.asarray(weight, dtype=np.float32),
            index=indices,
            demo=np.empty(n, dtype=bool),
            steps=np.empty(n, dtype=np.int64),
            rewards=np.empty((n, self.n_step), dtype=np.float32),
            truncated=np.empty(n, dtype=bool),
        )
        for store, offset, rows in self._split(indices):
            slots = indices[rows] - offset
            windows = store.n_step_windows(slots)
            batch.obs[rows] = store.stacks(slots)
            batch.action[rows] = store.action[slots]
            batch.reward[rows] = windows.returns
            batch.next_obs[rows] = store.stacks(windows.bootstrap)
            batch.discount[rows] = windows.discounts
            batch.demo[rows] = store.flags[slots] & DEMO != 0
            batch.steps[rows] = windows.steps
            batch.rewards[rows] = windows.rewards
            batch.truncated[rows] = windows.truncated
        return batch

    def update_priorities(self, indices: np.ndarray, td_errors: np.ndarray) -> None:
        """Set priorities (|td| + epsilon) ** alpha for sampled indices (ignored without priorities)."""
        if not self.prioritized:
            return
        indices = np.asarray(indices, dtype=np.int64)
        weights = (
            np.abs(np.asarray(td_errors, dtype=np.float64)) + self.priority_epsilon
        ) ** self.priority_alpha
        for store, offset, rows in self._split(indices):
            slots, new = indices[rows] - offset, weights[rows]
            live = store.tree.get(slots) > 0.0  # a slot overwritten since it was sampled stays out
            store.tree.set(slots[live], new[live])
            if np.any(live):
                store.max_weight = max(store.max_weight, float(new[live].max()))

    def _split(self, indices: np.ndarray) -> list[tuple[ReplayStore, int, np.ndarray]]:
        """(store, offset of its slots in global indices, which of ``indices`` are its)."""
        in_main = indices < self.main.capacity
        pieces = [(self.main, 0, in_main)]
        if self.demos is not None:
            pieces.append((self.demos, self.main.capacity, ~in_main))
        return [(store, offset, rows) for store, offset, rows in pieces if rows.any()]

    def _stores(self) -> list[ReplayStore]:
        return [self.main] if self.demos is None else [self.main, self.demos]

    # ---------------------------------------------------------------- memory and persistence

    def bytes_per_transition(self) -> float:
        """Bytes of the main store per slot: the frame plus small per-slot arrays and the sum tree."""
        return self.main.nbytes_per_slot()

    def save(self, path: str | os.PathLike) -> None:
        """Write the whole memory to an ``.npz`` file atomically (temporary file, then os.replace)."""
        path = Path(path)
        arrays = {
            "settings": np.array(json.dumps(self.settings)),
            "version": np.array(FORMAT_VERSION),
            "rng": np.array(json.dumps(self.rng.bit_generator.state)),
        }
        for name, store in (("main", self.main), ("demos", self.demos)):
            if store is not None:
                arrays.update({f"{name}.{key}": value for key, value in store.to_arrays().items()})
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "wb") as file:
                np.savez(file, **arrays)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def load(self, path: str | os.PathLike) -> None:
        """Restore a memory saved by ``save`` into this one, which must have the same settings."""
        with np.load(Path(path), allow_pickle=False) as data:
            saved = json.loads(str(data["settings"]))
            if int(data["version"]) != FORMAT_VERSION or saved != json.loads(json.dumps(self.settings)):
                raise ValueError(
                    f"replay file {path} was saved with settings {saved}, which differ from this "
                    f"memory's {self.settings}; start with an empty replay memory instead."
                )
            self.rng.bit_generator.state = json.loads(str(data["rng"]))
            for name, store in (("main", self.main), ("demos", self.demos)):
                if store is not None:
                    store.from_arrays(_NpzSection(data, name))


class _NpzSection:
    """The arrays of one store inside an open ``.npz``, read straight into preallocated memory."""

    def __init__(self, data: np.lib.npyio.NpzFile, name: str) -> None:
        self.data = data
        self.prefix = f"{name}."

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[self.prefix + name]

    def read_into(self, name: str, out: np.ndarray) -> None:
        if out.size == 0:
            return  # an empty memory (saved before the first step) has nothing to read
        with self.data.zip.open(f"{self.prefix}{name}.npy") as file:
            version = np.lib.format.read_magic(file)
            reader = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran_order, dtype = reader(file)
            if shape != out.shape or dtype != out.dtype or fortran_order or not out.flags.c_contiguous:
                raise ValueError(f"replay file array {self.prefix}{name} does not fit this memory")
            view = memoryview(out).cast("B")  # the bytes of `out` itself, so reading fills it
            done = 0
            while done < len(view):
                count = file.readinto(view[done:])
                if not count:
                    raise ValueError(f"replay file array {self.prefix}{name} is truncated")
                done += count
